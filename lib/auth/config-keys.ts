/**
 * The built-in authenticator: `general_settings.master_key`, the `keys` list of the config (bearer keys and SigV4
 * credentials), and a host's key source.
 *
 * A key is looked up by the SHA-256 of what the client presented, never by comparing secrets character by
 * character: response times then depend only on a hash the client cannot steer towards a stored key. Configs may
 * hold that hash (`key_sha256`) instead of the key.
 */
import { hash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayConfig } from '../config/types';
import type { NamedResource, ResourceKind } from '../resources';
import type { Store } from '../state/store';
import { GatewayError } from '../errors';
import type { OperationName } from '../operations';
import type { Authenticator, InboundRequest, KeySource, Principal } from '../types';
import { createSigV4Verifier, isSigV4Signed, signingKeyIdOf, type SigningKey } from './client-sigv4';
import { principalOf } from './key-records';

const ANONYMOUS: Principal = { keyId: 'anonymous', keyName: 'anonymous' };
/** How long a key source's answer is trusted: a revoked key stops working within this time. */
const KEY_SOURCE_CACHE_MS = 30_000;
const KEY_SOURCE_CACHE_SIZE = 10_000;

function sha256(value: string): string {
  return hash('sha256', value, 'hex');
}

/** The key a client presented: the configured header, then `Authorization: Bearer`, then `x-api-key`. */
export function presentedKey(headers: IncomingHttpHeaders, keyHeaderName: string | undefined): string | undefined {
  if (keyHeaderName) {
    const custom = headers[keyHeaderName.toLowerCase()];
    const value = Array.isArray(custom) ? custom[0] : custom;
    if (value) return value.replace(/^Bearer\s+/i, '').trim() || undefined;
  }
  const authorization = headers.authorization;
  // An `AWS4-HMAC-SHA256 ...` signature is not a key: the client may still send one in x-api-key.
  if (authorization && /^Bearer\s+/i.test(authorization)) return authorization.replace(/^Bearer\s+/i, '').trim() || undefined;
  const apiKey = headers['x-api-key'];
  return (Array.isArray(apiKey) ? apiKey[0] : apiKey)?.trim() || undefined;
}

/** A key source's answers, kept briefly so that a busy key does not cost a database query per request. */
function cachedKeySource(source: KeySource, now: () => number): (hash: string) => Promise<Principal | undefined> {
  const cache = new Map<string, { principal: Principal; until: number }>();
  return async (hash) => {
    const cached = cache.get(hash);
    if (cached && cached.until > now()) return cached.principal;
    const key = await source(hash);
    if (!key) return undefined;
    if (cache.size >= KEY_SOURCE_CACHE_SIZE) cache.clear();
    const principal = principalOf(key);
    cache.set(hash, { principal, until: now() + KEY_SOURCE_CACHE_MS });
    return principal;
  };
}

/**
 * The built-in authenticator. A request with a key (configured header, `Authorization: Bearer`, `x-api-key`) is
 * checked by the key's hash; one signed with SigV4 and no key, by its signature, against the keys that have
 * `access_key_id` / `secret_access_key`. `store` remembers the signatures already used (see `client-sigv4.ts`).
 */
export function createConfigKeyAuthenticator(config: GatewayConfig, store: Store, keySource?: KeySource, now: () => number = Date.now): Authenticator {
  const general = config.general_settings ?? {};
  const principals = new Map<string, Principal>();
  if (general.master_key) principals.set(sha256(general.master_key), { keyId: 'master', keyName: 'master' });
  const signingKeys: SigningKey[] = [];
  for (const key of config.keys ?? []) {
    const principal = principalOf(key);
    const hash = key.key === undefined ? key.key_sha256?.toLowerCase() : sha256(key.key);
    if (hash) principals.set(hash, principal);
    if (key.access_key_id && key.secret_access_key) signingKeys.push({ accessKeyId: key.access_key_id, secretAccessKey: key.secret_access_key, principal });
  }
  const lookUp = keySource ? cachedKeySource(keySource, now) : undefined;
  const verifySignature = createSigV4Verifier(signingKeys, store, now);
  const signingKeyIds = new Set(signingKeys.map((key) => key.accessKeyId));
  const headerHint = general.key_header_name ? `the ${general.key_header_name} header, ` : '';

  return {
    async authenticate(request: InboundRequest): Promise<Principal> {
      const key = presentedKey(request.headers, general.key_header_name);
      if (key === undefined) {
        // An open gateway still checks its own keys' signatures; AWS SDKs sign with whatever credentials they have.
        const signed = isSigV4Signed(request.headers);
        if (signed && (!general.allow_unauthenticated || signingKeyIds.has(signingKeyIdOf(request.headers) ?? ''))) {
          return verifySignature(request);
        }
        if (general.allow_unauthenticated) return ANONYMOUS;
        throw new GatewayError(
          'AccessDeniedException',
          `Missing API key: send it in ${headerHint}an Authorization: Bearer header or an x-api-key header, or sign the request with SigV4 and a key's access_key_id and secret_access_key.`,
        );
      }
      const hash = sha256(key);
      const principal = principals.get(hash) ?? (await lookUp?.(hash));
      if (!principal) throw new GatewayError('AccessDeniedException', 'The API key is not valid.');
      return principal;
    },
  };
}

/** What a request asks to use, for {@link authorize}. */
export interface AccessRequest {
  readonly operation: OperationName;
  /** The model group, for operations that follow a model. */
  readonly modelName?: string | undefined;
  /** The guardrail, knowledge base or agent the request names. */
  readonly resource?: NamedResource | undefined;
}

const RESOURCE_LISTS: Readonly<Record<ResourceKind, { readonly field: 'guardrails' | 'knowledgeBases' | 'agents'; readonly noun: string }>> = {
  guardrail: { field: 'guardrails', noun: 'guardrail' },
  'knowledge-base': { field: 'knowledgeBases', noun: 'knowledge base' },
  agent: { field: 'agents', noun: 'agent' },
};

/**
 * Refuses, before any upstream call (403), a key that is disabled or expired, or that asked for a model group, an
 * operation or a guardrail, knowledge base or agent it may not use.
 */
export function authorize(principal: Principal, access: AccessRequest, now: number): void {
  if (principal.disabled) throw new GatewayError('AccessDeniedException', `Key '${principal.keyName}' is disabled.`);
  if (principal.expiresAt && principal.expiresAt.getTime() <= now) {
    throw new GatewayError('AccessDeniedException', `Key '${principal.keyName}' expired at ${principal.expiresAt.toISOString()}.`);
  }
  if (principal.operations && !principal.operations.includes(access.operation)) {
    throw new GatewayError('AccessDeniedException', `Key '${principal.keyName}' may not call ${access.operation}.`);
  }
  if (access.modelName !== undefined && principal.models && !principal.models.includes(access.modelName)) {
    throw new GatewayError('AccessDeniedException', `Key '${principal.keyName}' may not use model '${access.modelName}'.`);
  }
  const resource = access.resource;
  if (resource) {
    const { field, noun } = RESOURCE_LISTS[resource.kind];
    const allowed = principal[field];
    if (allowed && !allowed.includes(resource.name) && !allowed.includes(resource.id)) {
      throw new GatewayError('AccessDeniedException', `Key '${principal.keyName}' may not use ${noun} '${resource.name}'.`);
    }
  }
}
