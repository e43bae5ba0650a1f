/**
 * The route table: each Bedrock operation the gateway serves, with its method, path, upstream service, signing
 * name and whether it streams. Adding an operation is adding a row.
 */
import type { OperationName } from './operations';

/** One operation's route. */
export interface RouteDefinition {
  readonly operation: OperationName;
  readonly method: 'POST';
  /** The path below the mount point; `{model}` stands for one (percent-encoded) segment. */
  readonly pattern: string;
  /** The AWS service that serves it: its host is `{service}.{region}.amazonaws.com`. */
  readonly upstreamService: 'bedrock-runtime';
  /** The SigV4 signing name. */
  readonly signingName: 'bedrock';
  /** The answer is an event stream (`application/vnd.amazon.eventstream`). */
  readonly streams: boolean;
  /** Bedrock defines the body (Converse): the gateway checks it is JSON before calling upstream. */
  readonly jsonBody: boolean;
}

export const ROUTES: readonly RouteDefinition[] = [
  { operation: 'invoke', method: 'POST', pattern: '/model/{model}/invoke', upstreamService: 'bedrock-runtime', signingName: 'bedrock', streams: false, jsonBody: false },
  { operation: 'invoke-with-response-stream', method: 'POST', pattern: '/model/{model}/invoke-with-response-stream', upstreamService: 'bedrock-runtime', signingName: 'bedrock', streams: true, jsonBody: false },
  { operation: 'converse', method: 'POST', pattern: '/model/{model}/converse', upstreamService: 'bedrock-runtime', signingName: 'bedrock', streams: false, jsonBody: true },
  { operation: 'converse-stream', method: 'POST', pattern: '/model/{model}/converse-stream', upstreamService: 'bedrock-runtime', signingName: 'bedrock', streams: true, jsonBody: true },
];

/** A request matched to a route: the route, and the `{model}` segment as received (still percent-encoded). */
export interface RouteMatch {
  readonly route: RouteDefinition;
  readonly encodedModel: string;
}

/** Why no route matched: no such path at all, or a known path with another method. */
export type RouteMiss = { readonly kind: 'unknown-path' } | { readonly kind: 'wrong-method'; readonly allowed: string };

interface CompiledRoute {
  readonly route: RouteDefinition;
  readonly segments: readonly string[];
  readonly modelIndex: number;
}

const COMPILED: readonly CompiledRoute[] = ROUTES.map((route) => {
  const segments = route.pattern.split('/');
  return { route, segments, modelIndex: segments.indexOf('{model}') };
});

/** Matches a path (below the mount point, without the query) in one pass over the table. */
export function matchRoute(method: string, path: string): RouteMatch | RouteMiss {
  const segments = path.split('/');
  let allowed: string | undefined;
  for (const compiled of COMPILED) {
    if (compiled.segments.length !== segments.length) continue;
    let same = true;
    for (let index = 0; index < segments.length && same; index++) {
      same = index === compiled.modelIndex ? segments[index] !== '' : compiled.segments[index] === segments[index];
    }
    if (!same) continue;
    if (compiled.route.method !== method) {
      allowed = compiled.route.method;
      continue;
    }
    return { route: compiled.route, encodedModel: segments[compiled.modelIndex] as string };
  }
  return allowed ? { kind: 'wrong-method', allowed } : { kind: 'unknown-path' };
}
