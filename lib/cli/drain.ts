/**
 * Graceful stop for an HTTP server: no new connections, idle keep-alive connections closed at once, responses in
 * progress (streams included) allowed to finish up to a deadline, then whatever is left is cut.
 *
 * Node's `server.close()` alone is not enough: it closes idle connections when called, but a connection busy at
 * that moment stays open for keep-alive after its response, and nothing bounds how long a stream may run.
 */
import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** How a drain ended. */
export interface DrainResult {
  /** Responses still in progress at the deadline, whose connections were cut. */
  readonly cutResponses: number;
}

/** Drains the server it was created for. */
export interface ConnectionDrainer {
  /** Responses in progress right now. */
  readonly responsesInProgress: number;
  /**
   * Stops accepting connections before it returns, then resolves once every connection is closed: by finishing,
   * or at `graceMs` by being cut.
   */
  drain(graceMs: number): Promise<DrainResult>;
}

/** Starts tracking the server's connections and responses; call it before the server listens. */
export function trackConnections(server: Server): ConnectionDrainer {
  // Every open connection, with the responses it is serving (several when a client pipelines); empty = idle.
  const connections = new Map<Socket, Set<ServerResponse>>();
  let draining = false;

  server.on('connection', (socket: Socket) => {
    connections.set(socket, new Set());
    socket.once('close', () => connections.delete(socket));
  });

  server.on('request', (req, res: ServerResponse) => {
    const socket = req.socket;
    const responses = connections.get(socket);
    if (!responses) return;
    responses.add(res);
    // A request that slipped in on a kept-alive connection while draining is served, but is its connection's last.
    if (draining && !res.headersSent) res.setHeader('connection', 'close');
    res.once('close', () => {
      responses.delete(res);
      // `close` follows `finish`, so the response's bytes are handed to the OS: end() flushes them, then FIN.
      if (draining && responses.size === 0) socket.end();
    });
  });

  return {
    get responsesInProgress() {
      let count = 0;
      for (const responses of connections.values()) count += responses.size;
      return count;
    },

    async drain(graceMs: number): Promise<DrainResult> {
      draining = true;
      const allClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const [socket, responses] of connections) {
        if (responses.size === 0) socket.destroy();
        for (const res of responses) if (!res.headersSent) res.setHeader('connection', 'close');
      }
      let cutResponses = 0;
      const deadline = setTimeout(() => {
        for (const [socket, responses] of connections) {
          cutResponses += responses.size;
          socket.destroy();
        }
      }, graceMs);
      await allClosed;
      clearTimeout(deadline);
      return { cutResponses };
    },
  };
}
