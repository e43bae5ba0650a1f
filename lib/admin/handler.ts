/**
 * The admin API and the spend dashboard, behind the master key: a framework-free handler for the paths below
 * `{mount}/admin`. Read-only: it answers GET and HEAD and refuses every other method, so no request through it
 * changes anything.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../types';
import { checkAdminCredentials } from './credentials';
import { DASHBOARD_HEADERS, DASHBOARD_HTML } from './dashboard/page';
import { sendAdminError, sendAuthenticationRequired, sendHtml, sendJson } from './responses';
import type { AdminData } from './types';
import { deploymentView, keyView, recentErrorView } from './views';

/** What {@link createAdminHandler} needs. */
export interface AdminHandlerOptions {
  /** `general_settings.master_key`: the only key that opens the admin API. */
  readonly masterKey: string;
  /** `general_settings.key_header_name`, when the gateway reads keys from a header of its own. */
  readonly keyHeaderName?: string | undefined;
  /** The gateway's state, read on every request. */
  readonly data: AdminData;
  /** Where failures of `data` are reported (the client only learns that the data was unavailable). Default: none. */
  readonly logger?: Logger | undefined;
}

/**
 * Serves one admin request.
 * @param path - the request's path after `/admin`, without the query string: `''` or `/` for the page, `/spend`...
 */
export type AdminHandler = (req: IncomingMessage, res: ServerResponse, path: string) => void;

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const READ_METHODS = 'GET, HEAD';
const KEY_HINT =
  'send the master key as Authorization: Bearer, in x-api-key, or as the password of HTTP Basic authentication';

type JsonRoute = (data: AdminData, query: URLSearchParams) => Promise<unknown>;

/**
 * The JSON routes. Each answer is an object, so fields can be added later without breaking a client; each route is
 * async, so that even a synchronous throw (a bad query, a data method that is not async) becomes a rejection.
 */
const JSON_ROUTES: ReadonlyMap<string, JsonRoute> = new Map<string, JsonRoute>([
  ['/spend', async (data, query) => data.spend(spendQuery(query))],
  ['/deployments', async (data) => ({ deployments: (await data.deployments()).map(deploymentView) })],
  ['/keys', async (data) => ({ keys: (await data.keys()).map(keyView) })],
  ['/errors', async (data) => ({ errors: (await data.recentErrors()).map(recentErrorView) })],
]);

/** The dashboard page, answered at `/admin` and `/admin/`. */
const PAGE = 'page';

/** A query parameter the client got wrong: answered with 400. */
class AdminQueryError extends Error {}

function spendQuery(query: URLSearchParams): { since?: string } {
  const since = query.get('since');
  if (since === null) return {};
  // The pattern alone lets 2024-02-31 through; a real date survives the round trip through Date unchanged.
  if (!DAY_PATTERN.test(since) || new Date(`${since}T00:00:00Z`).toISOString().slice(0, 10) !== since) {
    throw new AdminQueryError('since must be a day, YYYY-MM-DD.');
  }
  return { since };
}

function queryOf(req: IncomingMessage): URLSearchParams {
  const url = req.url ?? '';
  const queryAt = url.indexOf('?');
  return new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
}

/**
 * Creates the admin handler. Authentication: the master key, presented as the gateway accepts keys (the configured
 * header, `Authorization: Bearer`, `x-api-key`) or as the password of HTTP Basic authentication (any user name).
 * Refusals: 401 with a Basic challenge for the page (so a browser asks again) and whenever no credentials were
 * sent; 403 `AccessDeniedException` for wrong credentials on the JSON routes.
 * @throws TypeError when `masterKey` is empty: the admin API must not be open.
 */
export function createAdminHandler(options: AdminHandlerOptions): AdminHandler {
  const { masterKey, keyHeaderName, data, logger } = options;
  if (!masterKey) throw new TypeError('The admin API needs a master key (general_settings.master_key).');

  return (req, res, path) => {
    const target = path === '' || path === '/' ? PAGE : JSON_ROUTES.get(path);
    if (!target) {
      sendAdminError(res, 404, 'UnknownOperationException', `No admin route at ${path}.`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendAdminError(res, 405, 'UnknownOperationException', `${req.method} is not supported here; use ${READ_METHODS}.`, {
        allow: READ_METHODS,
      });
      return;
    }

    const credentials = checkAdminCredentials(req.headers, masterKey, keyHeaderName);
    // A browser asks its user again only on a 401 challenge: the page answers one for wrong credentials too.
    if (credentials === 'missing' || (credentials === 'wrong' && target === PAGE)) {
      sendAuthenticationRequired(res, `The admin API needs the master key: ${KEY_HINT}.`);
      return;
    }
    if (credentials === 'wrong') {
      sendAdminError(res, 403, 'AccessDeniedException', 'The master key is not valid.');
      return;
    }

    if (target === PAGE) sendHtml(res, DASHBOARD_HTML, DASHBOARD_HEADERS);
    else serveJson(res, target(data, queryOf(req)), logger, path);
  };
}

/** Sends what a route resolved to; a bad query gets 400, any other failure 500 and a line in the log. */
function serveJson(res: ServerResponse, answer: Promise<unknown>, logger: Logger | undefined, path: string): void {
  answer
    // Serialising may throw too (a cycle, a BigInt), before anything is written: that is a 500 like the rest.
    .then((value) => sendJson(res, value))
    .catch((error: unknown) => {
      if (error instanceof AdminQueryError) {
        sendAdminError(res, 400, 'ValidationException', error.message);
        return;
      }
      logger?.error({ route: `/admin${path}`, error: String(error) }, 'admin data unavailable');
      // The error's text stays in the log: it may name internals the client has no business reading.
      sendAdminError(res, 500, 'InternalServerException', 'The admin data is unavailable; see the gateway log.');
    });
}
