/**
 * What the emulated agents answer to InvokeAgent, in Bedrock Agent Runtime's wire shapes: an event stream of
 * `chunk` events (`PayloadPart`, whose `bytes` blob travels base64 in the JSON payload and reaches SDK users
 * decoded) and, when asked, `trace` events (`TracePart`) before them.
 */
import { randomUUID } from 'node:crypto';
import { encodeEventFrame } from '../aws/bedrock-frames';
import { asObject, asString, valueAt, type JsonObject } from './json-values';

/** The agent an InvokeAgent call names (path) and what it asks (body). */
export interface AgentCall {
  readonly agentId: string;
  readonly agentAliasId: string;
  readonly sessionId: string;
  readonly json: JsonObject;
}

/** InvokeAgent's own response headers (beside the event-stream content type); the memory id only when the request gave one. */
export function invokeAgentHeaders(call: AgentCall): Record<string, string> {
  const memoryId = asString(call.json['memoryId']);
  return {
    'x-amzn-bedrock-agent-content-type': 'application/json',
    'x-amz-bedrock-agent-session-id': call.sessionId,
    ...(memoryId === undefined ? {} : { 'x-amz-bedrock-agent-memory-id': memoryId }),
  };
}

/** Orchestration traces of one emulated step: the model's input, then its final answer. */
function traceFrames(call: AgentCall, answer: string): Buffer[] {
  const traceId = `${randomUUID()}-0`;
  const part = (trace: object) =>
    encodeEventFrame('trace', {
      agentAliasId: call.agentAliasId,
      agentId: call.agentId,
      agentVersion: '1',
      eventTime: new Date().toISOString(),
      sessionId: call.sessionId,
      trace,
    });
  return [
    part({
      orchestrationTrace: {
        modelInvocationInput: { traceId, text: asString(call.json['inputText']) ?? '', type: 'ORCHESTRATION' },
      },
    }),
    part({ orchestrationTrace: { observation: { traceId, type: 'FINISH', finalResponse: { text: answer } } } }),
  ];
}

/**
 * InvokeAgent frames: traces when `enableTrace` is true, then the answer as one `chunk`, or one chunk per delta
 * when `streamingConfigurations.streamFinalResponse` is true.
 */
export function invokeAgentFrames(call: AgentCall, deltas: readonly string[]): Buffer[] {
  const answer = deltas.join('');
  const streamed = valueAt(asObject(call.json['streamingConfigurations']), 'streamFinalResponse') === true;
  const chunk = (text: string) => encodeEventFrame('chunk', { bytes: Buffer.from(text, 'utf8').toString('base64') });
  return [
    ...(call.json['enableTrace'] === true ? traceFrames(call, answer) : []),
    ...(streamed ? deltas.map(chunk) : [chunk(answer)]),
  ];
}
