/**
 * How the admin API answers: JSON and the page, never cached (they show live state and are read with the master
 * key), and errors in Bedrock's format like every other error of the gateway. Bodies are written for HEAD too:
 * Node's `http` leaves them out of a HEAD answer itself, keeping `content-length`.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { writeBedrockError, type BedrockErrorType } from '../aws/bedrock-errors';

/** The realm a browser shows when it asks for the admin password. */
export const ADMIN_REALM = 'bedrock-passthrough admin';

/** Headers of every admin answer. */
const COMMON_HEADERS: OutgoingHttpHeaders = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Sends `value` as JSON with status 200. */
export function sendJson(res: ServerResponse, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(200, {
    ...COMMON_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Sends an HTML page with status 200 and the page's own security headers. */
export function sendHtml(res: ServerResponse, html: string, headers: OutgoingHttpHeaders): void {
  res.writeHead(200, {
    ...COMMON_HEADERS,
    ...headers,
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
  });
  res.end(html);
}

/** Sends an error in Bedrock's format (`x-amzn-ErrorType`, `{"message": ...}`). */
export function sendAdminError(
  res: ServerResponse,
  status: number,
  type: BedrockErrorType,
  message: string,
  headers: OutgoingHttpHeaders = {},
): void {
  writeBedrockError(res, status, type, message, { ...COMMON_HEADERS, ...headers });
}

/** 401 with a Basic challenge: browsers ask their user for the master key (as the password) and retry. */
export function sendAuthenticationRequired(res: ServerResponse, message: string): void {
  sendAdminError(res, 401, 'AccessDeniedException', message, {
    'www-authenticate': `Basic realm="${ADMIN_REALM}", charset="UTF-8"`,
  });
}
