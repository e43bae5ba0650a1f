/**
 * The route table: each Bedrock operation the gateway serves, with its method, path, upstream service, signing
 * name, whether it streams, and what the request names (a model, a guardrail, a knowledge base...). Adding an
 * operation is adding a row. Paths and shapes are those of the AWS service models (botocore's `service-2.json`).
 */
import type { OperationName } from './operations';

/** The AWS services behind the routes: their host is `{service}.{region}.amazonaws.com`. */
export type UpstreamService = 'bedrock-runtime' | 'bedrock-agent-runtime';

/** What a request names. A model decides where it goes; the others are checked against the key and may be aliased. */
export type SubjectKind = 'model' | 'guardrail' | 'knowledge-base' | 'agent' | 'async-invoke';

/** Where the request names its subject: a `{param}` of the path, or a member of its JSON body. */
export type Subject =
  | {
      readonly kind: SubjectKind;
      readonly param: string;
      /** A second path parameter a configured alias may pin (a guardrail's version, an agent's alias). */
      readonly pinnedParam?: string;
    }
  | {
      readonly kind: SubjectKind;
      /** The member's path in the body (`['modelId']`); a body without it names nothing. */
      readonly member: readonly string[];
    };

/** One operation's route. */
export interface RouteDefinition {
  readonly operation: OperationName;
  readonly method: 'GET' | 'POST';
  /** The path below the mount point; `{name}` stands for one (percent-encoded) segment. */
  readonly pattern: string;
  readonly upstreamService: UpstreamService;
  /** The SigV4 signing name (both services sign as `bedrock`). */
  readonly signingName: 'bedrock';
  /** The answer is an event stream (`application/vnd.amazon.eventstream`). */
  readonly streams: boolean;
  /** The body is a JSON object by the service model: the gateway refuses one that plainly is not (`{...}` expected). */
  readonly jsonBody: boolean;
  readonly subject?: Subject | undefined;
  /** Query parameters passed upstream; any other is dropped. */
  readonly query?: readonly string[] | undefined;
  /** Request headers of the operation that the general forwarding rules would drop (`x-amz-source-arn`). */
  readonly requestHeaders?: readonly string[] | undefined;
  /**
   * `retryable`: a retryable failure is tried again (elsewhere when possible). `unsent-only`: the operation acts (starts
   * a job, runs an agent's action groups), so a failure is tried again only when Bedrock surely did not act on it: it
   * throttled the call, or was never reached.
   */
  readonly retries: 'retryable' | 'unsent-only';
}

type RowOptions = Partial<Omit<RouteDefinition, 'operation' | 'method' | 'pattern' | 'upstreamService' | 'signingName'>>;

function row(operation: OperationName, method: RouteDefinition['method'], pattern: string, upstreamService: UpstreamService, options: RowOptions): RouteDefinition {
  return { operation, method, pattern, upstreamService, signingName: 'bedrock', streams: false, jsonBody: method === 'POST', retries: 'retryable', ...options };
}

const RUNTIME: UpstreamService = 'bedrock-runtime';
const AGENT_RUNTIME: UpstreamService = 'bedrock-agent-runtime';
const MODEL_IN_PATH: Subject = { kind: 'model', param: 'model' };
/** RetrieveAndGenerate names its knowledge base in the body (when its type is `KNOWLEDGE_BASE`). */
const KNOWLEDGE_BASE_IN_BODY: Subject = { kind: 'knowledge-base', member: ['retrieveAndGenerateConfiguration', 'knowledgeBaseConfiguration', 'knowledgeBaseId'] };

export const ROUTES: readonly RouteDefinition[] = [
  // InvokeModel's body is the model's own format, not necessarily JSON.
  row('invoke', 'POST', '/model/{model}/invoke', RUNTIME, { subject: MODEL_IN_PATH, jsonBody: false }),
  row('invoke-with-response-stream', 'POST', '/model/{model}/invoke-with-response-stream', RUNTIME, { subject: MODEL_IN_PATH, jsonBody: false, streams: true }),
  row('converse', 'POST', '/model/{model}/converse', RUNTIME, { subject: MODEL_IN_PATH }),
  row('converse-stream', 'POST', '/model/{model}/converse-stream', RUNTIME, { subject: MODEL_IN_PATH, streams: true }),
  row('count-tokens', 'POST', '/model/{model}/count-tokens', RUNTIME, { subject: MODEL_IN_PATH }),
  row('start-async-invoke', 'POST', '/async-invoke', RUNTIME, { subject: { kind: 'model', member: ['modelId'] }, retries: 'unsent-only' }),
  row('list-async-invokes', 'GET', '/async-invoke', RUNTIME, {
    query: ['submitTimeAfter', 'submitTimeBefore', 'statusEquals', 'maxResults', 'nextToken', 'sortBy', 'sortOrder'],
  }),
  row('get-async-invoke', 'GET', '/async-invoke/{invocationArn}', RUNTIME, { subject: { kind: 'async-invoke', param: 'invocationArn' } }),
  row('apply-guardrail', 'POST', '/guardrail/{guardrail}/version/{version}/apply', RUNTIME, {
    subject: { kind: 'guardrail', param: 'guardrail', pinnedParam: 'version' },
  }),
  row('invoke-guardrail-checks', 'POST', '/guardrail-checks/invoke', RUNTIME, {}),
  row('retrieve', 'POST', '/knowledgebases/{knowledgeBase}/retrieve', AGENT_RUNTIME, { subject: { kind: 'knowledge-base', param: 'knowledgeBase' } }),
  row('retrieve-and-generate', 'POST', '/retrieveAndGenerate', AGENT_RUNTIME, { subject: KNOWLEDGE_BASE_IN_BODY }),
  row('retrieve-and-generate-stream', 'POST', '/retrieveAndGenerateStream', AGENT_RUNTIME, { subject: KNOWLEDGE_BASE_IN_BODY, streams: true }),
  row('invoke-agent', 'POST', '/agents/{agent}/agentAliases/{agentAlias}/sessions/{session}/text', AGENT_RUNTIME, {
    subject: { kind: 'agent', param: 'agent', pinnedParam: 'agentAlias' },
    streams: true,
    requestHeaders: ['x-amz-source-arn'],
    retries: 'unsent-only',
  }),
  row('rerank', 'POST', '/rerank', AGENT_RUNTIME, {}),
];

/** A request matched to a route: the route, and its path parameters as received (still percent-encoded). */
export interface RouteMatch {
  readonly route: RouteDefinition;
  readonly params: Readonly<Record<string, string>>;
}

/** Why no route matched: no such path at all, or a known path with another method. */
export type RouteMiss = { readonly kind: 'unknown-path' } | { readonly kind: 'wrong-method'; readonly allowed: string };

/** A segment of a route's pattern: a literal, or the name of a parameter. */
export type PatternSegment = { readonly literal: string } | { readonly param: string };

interface CompiledRoute {
  readonly route: RouteDefinition;
  /** Each segment of the pattern, the empty one before its leading `/` included. */
  readonly segments: readonly PatternSegment[];
}

const COMPILED: readonly CompiledRoute[] = ROUTES.map((route) => ({
  route,
  segments: route.pattern.split('/').map((segment) => (segment.startsWith('{') ? { param: segment.slice(1, -1) } : { literal: segment })),
}));
const SEGMENTS_BY_ROUTE = new Map(COMPILED.map((compiled) => [compiled.route, compiled.segments.slice(1)]));

/** The segments of a route's pattern (below the leading `/`), parsed once. */
export function patternSegments(route: RouteDefinition): readonly PatternSegment[] {
  return SEGMENTS_BY_ROUTE.get(route) as readonly PatternSegment[];
}

/** Matches a path (below the mount point, without the query) in one pass over the table. */
export function matchRoute(method: string, path: string): RouteMatch | RouteMiss {
  const segments = path.split('/');
  const allowed: string[] = [];
  for (const compiled of COMPILED) {
    if (compiled.segments.length !== segments.length) continue;
    let params: Record<string, string> | undefined = {};
    for (let index = 0; index < segments.length && params; index++) {
      const pattern = compiled.segments[index]!;
      const segment = segments[index] as string;
      if ('param' in pattern) {
        if (segment === '') params = undefined;
        else params[pattern.param] = segment;
      } else if (pattern.literal !== segment) {
        params = undefined;
      }
    }
    if (!params) continue;
    if (compiled.route.method !== method) {
      allowed.push(compiled.route.method);
      continue;
    }
    return { route: compiled.route, params };
  }
  return allowed.length > 0 ? { kind: 'wrong-method', allowed: allowed.join(', ') } : { kind: 'unknown-path' };
}
