/**
 * What each operation answers once a call is authenticated, past its behaviour's faults and validated: one
 * small function per operation, choosing the headers and the body or the stream frames.
 */
import type { AsyncInvokeStore } from './async-invokes';
import { invokeAgentFrames, invokeAgentHeaders } from './agent-responses';
import { EmulatedError } from './emulated-error';
import { applyGuardrailBody, applyGuardrailTexts, invokeGuardrailChecksBody } from './guardrail-responses';
import type { JsonObject } from './json-values';
import {
  generateAnswer,
  rerankBody,
  retrieveAndGenerateBody,
  retrieveAndGenerateStreamFrames,
  retrieveBody,
  type KnowledgeBaseSettings,
} from './knowledge-base-responses';
import {
  anthropicInvokeBody,
  anthropicStreamFrames,
  converseBody,
  converseStreamFrames,
  invokeResponseHeaders,
  replyText,
  type EmulatedReply,
} from './model-responses';
import type { EmulatedOperation, MatchedOperation, NamedResources } from './operations';

/** A successful answer: a body, or an event stream's frames (which the emulator writes with any stream faults). */
export type Answer =
  | { readonly kind: 'body'; readonly headers: Readonly<Record<string, string>>; readonly body: string }
  | { readonly kind: 'stream'; readonly headers: Readonly<Record<string, string>>; readonly frames: readonly Buffer[] };

/** Everything an answer may draw on. */
export interface AnswerContext {
  readonly call: MatchedOperation & NamedResources;
  /** The request body as a JSON object (validated: present for every operation that takes a body). */
  readonly json: JsonObject;
  readonly query: URLSearchParams;
  readonly reply: EmulatedReply;
  readonly guardrailBlockedWords: readonly string[];
  readonly knowledgeBases: KnowledgeBaseSettings;
  readonly asyncInvokes: AsyncInvokeStore;
}

const EVENT_STREAM = 'application/vnd.amazon.eventstream';

function json(body: string | object): Answer {
  return {
    kind: 'body',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

/** A JSON answer, or the error an operation chose to answer with instead. */
function jsonOrError(result: object | EmulatedError): Answer | EmulatedError {
  return result instanceof EmulatedError ? result : json(result);
}

function stream(frames: readonly Buffer[], headers: Readonly<Record<string, string>> = {}): Answer {
  return { kind: 'stream', headers: { 'content-type': EVENT_STREAM, ...headers }, frames };
}

const pathParameter = (context: AnswerContext, name: string) => context.call.pathParameters[name] ?? '';

const ANSWERS: { readonly [Operation in EmulatedOperation]: (context: AnswerContext) => Answer | EmulatedError } = {
  invoke: ({ reply, call }) => ({
    kind: 'body',
    headers: invokeResponseHeaders(reply),
    body: anthropicInvokeBody(reply, call.modelId ?? ''),
  }),
  'invoke-with-response-stream': ({ reply, call }) =>
    stream(anthropicStreamFrames(reply, call.modelId ?? ''), { 'x-amzn-bedrock-content-type': 'application/json' }),
  converse: ({ reply }) => json(converseBody(reply)),
  'converse-stream': ({ reply }) => stream(converseStreamFrames(reply)),
  'count-tokens': ({ reply }) => json({ inputTokens: reply.usage.inputTokens }),
  'apply-guardrail': (context) => json(applyGuardrailBody(applyGuardrailTexts(context.json), context.guardrailBlockedWords)),
  'invoke-guardrail-checks': (context) => json(invokeGuardrailChecksBody(context.json, context.guardrailBlockedWords)),
  'start-async-invoke': (context) => jsonOrError(context.asyncInvokes.start(context.json)),
  'list-async-invokes': (context) => jsonOrError(context.asyncInvokes.listPage(context.query)),
  'get-async-invoke': (context) => jsonOrError(context.asyncInvokes.describe(pathParameter(context, 'invocationArn'))),
  retrieve: (context) => json(retrieveBody(context.json, context.knowledgeBases)),
  'retrieve-and-generate': (context) =>
    json(retrieveAndGenerateBody(generateAnswer(context.json, replyText(context.reply), context.knowledgeBases))),
  'retrieve-and-generate-stream': (context) => {
    const answer = generateAnswer(context.json, replyText(context.reply), context.knowledgeBases);
    return stream(retrieveAndGenerateStreamFrames(answer, context.reply.deltas), {
      'x-amzn-bedrock-knowledge-base-session-id': answer.sessionId,
    });
  },
  'invoke-agent': (context) => {
    const agentCall = {
      agentId: pathParameter(context, 'agentId'),
      agentAliasId: pathParameter(context, 'agentAliasId'),
      sessionId: pathParameter(context, 'sessionId'),
      json: context.json,
    };
    return stream(invokeAgentFrames(agentCall, context.reply.deltas), invokeAgentHeaders(agentCall));
  },
  rerank: (context) => json(rerankBody(context.json)),
};

/** The answer to a call, or the error its operation answers with (an unknown async invocation, say). */
export function answer(context: AnswerContext): Answer | EmulatedError {
  return ANSWERS[context.call.operation](context);
}
