/**
 * The built-in authenticator: `general_settings.master_key` and the `keys` list of the config.
 *
 * A key is looked up by the SHA-256 of what the client presented, never by comparing secrets character by
 * character: response times then depend only on a hash the client cannot steer towards a stored key.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayConfig } from '../config/types';
import { GatewayError } from '../errors';
import type { OperationName } from '../operations';
import type { Authenticator, InboundRequest, Principal } from '../types';

const ANONYMOUS: Principal = { keyId: 'anonymous', keyName: 'anonymous' };

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
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

export function createConfigKeyAuthenticator(config: GatewayConfig): Authenticator {
  const general = config.general_settings ?? {};
  const principals = new Map<string, Principal>();
  if (general.master_key) principals.set(sha256(general.master_key), { keyId: 'master', keyName: 'master' });
  for (const key of config.keys ?? []) {
    principals.set(sha256(key.key), {
      keyId: `key:${key.name}`,
      keyName: key.name,
      models: key.models,
      operations: key.operations as OperationName[] | undefined,
    });
  }
  const headerHint = general.key_header_name ? `the ${general.key_header_name} header, ` : '';

  return {
    async authenticate(request: InboundRequest): Promise<Principal> {
      const key = presentedKey(request.headers, general.key_header_name);
      if (key === undefined) {
        if (general.allow_unauthenticated) return ANONYMOUS;
        throw new GatewayError(
          'AccessDeniedException',
          `Missing API key: send it in ${headerHint}an Authorization: Bearer header or an x-api-key header.`,
        );
      }
      const principal = principals.get(sha256(key));
      if (!principal) throw new GatewayError('AccessDeniedException', 'The API key is not valid.');
      return principal;
    },
  };
}

/** Refuses a principal the model group or the operation it asked for (403, before any upstream call). */
export function authorize(principal: Principal, modelName: string, operation: OperationName): void {
  if (principal.models && !principal.models.includes(modelName)) {
    throw new GatewayError('AccessDeniedException', `Key '${principal.keyName}' may not use model '${modelName}'.`);
  }
  if (principal.operations && !principal.operations.includes(operation)) {
    throw new GatewayError('AccessDeniedException', `Key '${principal.keyName}' may not call ${operation}.`);
  }
}
