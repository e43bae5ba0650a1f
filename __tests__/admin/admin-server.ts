/**
 * A `node:http` server that routes `/bedrock/admin...` to the admin handler as the gateway's handler does: the
 * mount path and `/admin` stripped, the query string left out of `path`.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdminHandler, type AdminHandlerOptions } from '../../lib/admin';

export const ADMIN_PREFIX = '/bedrock/admin';

export interface RunningAdminServer {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** The admin API's base URL: origin plus `/bedrock/admin`. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startAdminServer(options: AdminHandlerOptions): Promise<RunningAdminServer> {
  const admin = createAdminHandler(options);
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const path = url.split('?', 1)[0] ?? '/';
    if (path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`)) {
      admin(req, res, path.slice(ADMIN_PREFIX.length));
      return;
    }
    res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: `${origin}${ADMIN_PREFIX}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
