/**
 * Where a matched request goes and what it asks to use: the deployments to try, the guardrail, knowledge base or
 * agent it names, and the upstream request for each deployment. The upstream path, query and body are rebuilt from
 * the route and the resolved ids, never copied from the client: nothing a client writes can reach another path.
 */
import { GatewayError } from './errors';
import type { DeploymentTarget, ModelCatalog, ModelGroup } from './models';
import type { NamedResource, ResourceCatalog } from './resources';
import { patternSegments, type RouteDefinition, type Subject } from './routes';
import type { AsyncInvokeDirectory } from './routing/async-invokes';
import { decodeComponentLenient } from './util/uri';

/** The upstream request of one attempt, for the deployment it goes to. */
export interface UpstreamCall {
  readonly method: RouteDefinition['method'];
  /** The path, percent-encoded, below the deployment's endpoint. */
  path(deployment: DeploymentTarget): string;
  /** The query, encoded, without `?`; undefined for none. */
  readonly query: string | undefined;
  /** The body: the client's bytes, unless the model or resource it names was an alias to replace. */
  body(deployment: DeploymentTarget): Buffer;
}

/** A request resolved. */
export interface RequestTarget {
  readonly group: ModelGroup;
  /** The operation follows a model: the key's model list applies and the group's fallbacks may be tried. */
  readonly followsModel: boolean;
  readonly resource?: NamedResource | undefined;
  /** What the request named (model, guardrail, knowledge base, agent, invocation ARN), decoded; empty for nothing. */
  readonly named: string;
  readonly upstream: UpstreamCall;
}

/** What the request brought, decoded and checked. */
export interface ReceivedRequest {
  readonly route: RouteDefinition;
  /** Path parameters, percent-decoded once. */
  readonly params: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** The body parsed, for routes whose body is a JSON object. */
  readonly json: Readonly<Record<string, unknown>> | undefined;
  /** The query as received, without `?`. */
  readonly query: string | undefined;
}

/**
 * Decodes the path parameters of a match. Refuses bad escapes, and dot segments, which an upstream server would
 * resolve into another path.
 */
export function decodeParams(encoded: Readonly<Record<string, string>>): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const name in encoded) {
    let value: string;
    try {
      value = decodeURIComponent(encoded[name] as string);
    } catch {
      throw new GatewayError('ValidationException', `The ${name} in the path is invalid: bad percent-encoding.`);
    }
    if (value === '.' || value === '..') throw new GatewayError('ValidationException', `The ${name} in the path is invalid.`);
    decoded[name] = value;
  }
  return decoded;
}

/** What a request names in its path, decoded; empty when it names nothing there. */
export function namedInPath(route: RouteDefinition, params: Readonly<Record<string, string>>): string {
  return route.subject && 'param' in route.subject ? (params[route.subject.param] ?? '') : '';
}

export class TargetResolver {
  constructor(
    private readonly catalog: ModelCatalog,
    private readonly resources: ResourceCatalog,
    private readonly asyncInvokes: AsyncInvokeDirectory,
  ) {}

  async resolve(request: ReceivedRequest): Promise<RequestTarget> {
    const { route } = request;
    const subject = route.subject;
    const named = subject ? nameOf(subject, request) : undefined;
    const query = route.query ? passedQuery(request.query, route.query) : undefined;
    const service = route.upstreamService;

    if (subject?.kind === 'model') {
      if (named === undefined) throw new GatewayError('ValidationException', `Malformed input request: ${memberName(subject)} is required.`);
      const group = this.catalog.resolve(named);
      return {
        group,
        followsModel: true,
        named,
        upstream: {
          method: route.method,
          query,
          path: (deployment) => buildPath(route, request.params, { model: deployment.modelId }),
          body: 'member' in subject ? bodyPerModelId(request, subject.member) : () => request.body,
        },
      };
    }
    if (subject?.kind === 'async-invoke') {
      const started = named === undefined ? undefined : await this.asyncInvokes.deploymentOf(named);
      const group = started ? { modelName: started.modelName, deployments: [started] } : this.catalog.serviceGroup(service, service);
      return { group, followsModel: false, named: named ?? '', upstream: fixedCall(route, buildPath(route, request.params, {}), query, request.body) };
    }
    if (subject && named !== undefined) {
      const resource = this.resources.resolve(subject.kind, named);
      const replaced: Record<string, string> = 'param' in subject ? { [subject.param]: resource.id } : {};
      if ('param' in subject && subject.pinnedParam && resource.pinned !== undefined) replaced[subject.pinnedParam] = resource.pinned;
      const body = 'member' in subject ? bodyNaming(request, subject.member, resource.id) : request.body;
      return {
        group: this.catalog.serviceGroup(service, resource.name),
        followsModel: false,
        resource,
        named,
        upstream: fixedCall(route, buildPath(route, request.params, replaced), query, body),
      };
    }
    return {
      group: this.catalog.serviceGroup(service, service),
      followsModel: false,
      named: '',
      upstream: fixedCall(route, buildPath(route, request.params, {}), query, request.body),
    };
  }
}

function nameOf(subject: Subject, request: ReceivedRequest): string | undefined {
  if ('param' in subject) return request.params[subject.param];
  let value: unknown = request.json;
  for (const member of subject.member) value = (value as Record<string, unknown> | undefined)?.[member];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function memberName(subject: Subject): string {
  return 'member' in subject ? subject.member.join('.') : subject.param;
}

function fixedCall(route: RouteDefinition, path: string, query: string | undefined, body: Buffer): UpstreamCall {
  const sent = route.method === 'GET' ? Buffer.alloc(0) : body;
  return { method: route.method, query, path: () => path, body: () => sent };
}

/** The route's pattern with each parameter: a replacement when given, else the client's value, encoded again. */
function buildPath(route: RouteDefinition, params: Readonly<Record<string, string>>, replacements: Readonly<Record<string, string>>): string {
  let path = '';
  for (const segment of patternSegments(route)) {
    path += 'literal' in segment ? `/${segment.literal}` : `/${encodeURIComponent(replacements[segment.param] ?? params[segment.param] ?? '')}`;
  }
  return path;
}

/** The body naming `value` at `path`: the client's bytes when they name it already, else the JSON re-serialised. */
function bodyNaming(request: ReceivedRequest, path: readonly string[], value: string): Buffer {
  if (nameOf({ kind: 'model', member: path }, request) === value) return request.body;
  return Buffer.from(JSON.stringify(withMember(request.json ?? {}, path, value)), 'utf8');
}

/** {@link bodyNaming} each deployment's model id, made once per model id (retries and fallbacks reuse it). */
function bodyPerModelId(request: ReceivedRequest, path: readonly string[]): (deployment: DeploymentTarget) => Buffer {
  const bodies = new Map<string, Buffer>();
  return (deployment) => {
    let body = bodies.get(deployment.modelId);
    if (!body) {
      body = bodyNaming(request, path, deployment.modelId);
      bodies.set(deployment.modelId, body);
    }
    return body;
  };
}

/** A copy of `object` with the member at `path` set, copying only the objects along the path. */
function withMember(object: Readonly<Record<string, unknown>>, path: readonly string[], value: string): Record<string, unknown> {
  const [first, ...rest] = path as [string, ...string[]];
  if (rest.length === 0) return { ...object, [first]: value };
  const inner = object[first];
  return { ...object, [first]: withMember(typeof inner === 'object' && inner !== null ? (inner as Record<string, unknown>) : {}, rest, value) };
}

/** The query parameters the operation defines, re-encoded; the rest are dropped. */
function passedQuery(query: string | undefined, allowed: readonly string[]): string | undefined {
  if (!query) return undefined;
  const passed: string[] = [];
  for (const pair of query.split('&')) {
    const equals = pair.indexOf('=');
    const name = decodeComponentLenient(equals === -1 ? pair : pair.slice(0, equals));
    if (!allowed.includes(name)) continue;
    const value = decodeComponentLenient(equals === -1 ? '' : pair.slice(equals + 1));
    passed.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  }
  return passed.length > 0 ? passed.join('&') : undefined;
}
