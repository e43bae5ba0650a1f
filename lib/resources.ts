/**
 * The guardrails, knowledge bases and agents a config names (`guardrails`, `knowledge_bases`, `agents`): clients may
 * call them by name (or id), upstream gets their ids. An id that no entry names passes as given.
 */
import type { GatewayConfig } from './config/types';
import type { SubjectKind } from './routes';

/** The kinds of resource a config may name and a key may be restricted to. */
export type ResourceKind = Exclude<SubjectKind, 'model' | 'async-invoke'>;

/** A resource a request names, resolved. */
export interface NamedResource {
  readonly kind: ResourceKind;
  /** The configured name, or the id as the client gave it. */
  readonly name: string;
  /** The id sent upstream. */
  readonly id: string;
  /** The second path parameter the config pins (a guardrail's version, an agent's alias id), if it does. */
  readonly pinned?: string | undefined;
}

export class ResourceCatalog {
  private readonly byKindAndName: ReadonlyMap<ResourceKind, ReadonlyMap<string, NamedResource>>;

  constructor(config: GatewayConfig) {
    const guardrails = (config.guardrails ?? []).map((entry): NamedResource => ({ kind: 'guardrail', name: entry.name, id: entry.id, pinned: entry.version }));
    const knowledgeBases = (config.knowledge_bases ?? []).map((entry): NamedResource => ({ kind: 'knowledge-base', name: entry.name, id: entry.id }));
    const agents = (config.agents ?? []).map((entry): NamedResource => ({ kind: 'agent', name: entry.name, id: entry.id, pinned: entry.alias_id }));
    // By id, then by name (a name wins over another entry's id): a resource called by its id is still the named one.
    const byName = (list: NamedResource[]) =>
      new Map([...list.map((resource) => [resource.id, resource] as const), ...list.map((resource) => [resource.name, resource] as const)]);
    this.byKindAndName = new Map([
      ['guardrail', byName(guardrails)],
      ['knowledge-base', byName(knowledgeBases)],
      ['agent', byName(agents)],
    ]);
  }

  /** The resource a client named: a configured name or id, else the id itself. */
  resolve(kind: ResourceKind, given: string): NamedResource {
    return this.byKindAndName.get(kind)?.get(given) ?? { kind, name: given, id: given };
  }
}
