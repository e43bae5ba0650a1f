/**
 * Checks the master key on an admin request. Besides the gateway's own ways of presenting a key (the configured
 * header, `Authorization: Bearer`, `x-api-key`), HTTP Basic auth carries it as the password: that is what a browser
 * can send by itself, after prompting a person, for the page and for the page's own requests.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { presentedKey } from '../auth/config-keys';
import { constantTimeEqual } from '../util/constant-time';

/** How an admin request's credentials compare with the master key. */
export type AdminCredentials = 'valid' | 'missing' | 'wrong';

/** The password of an `Authorization: Basic` header (any user name), or undefined when there is none. */
export function basicAuthPassword(authorization: string | undefined): string | undefined {
  const match = authorization?.match(/^Basic\s+([A-Za-z0-9+/=]+)\s*$/i);
  if (!match?.[1]) return undefined;
  const userAndPassword = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = userAndPassword.indexOf(':');
  return colon === -1 ? undefined : userAndPassword.slice(colon + 1);
}

/**
 * Whether the request presents the master key. `missing` means no credentials at all were sent (the caller may be
 * a browser that has not asked its user yet); `wrong` means some were sent and they are not the master key.
 */
export function checkAdminCredentials(
  headers: IncomingHttpHeaders,
  masterKey: string,
  keyHeaderName: string | undefined,
): AdminCredentials {
  const key = presentedKey(headers, keyHeaderName) ?? basicAuthPassword(headers.authorization);
  if (key === undefined) return headers.authorization ? 'wrong' : 'missing';
  return constantTimeEqual(key, masterKey) ? 'valid' : 'wrong';
}
