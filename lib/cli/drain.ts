/**
 * Graceful stop for the standalone server, HTTP/1.1 and HTTP/2 alike: no new connections, idle ones closed at once,
 * responses in progress (streams included) allowed to finish up to a deadline, then whatever is left is cut.
 *
 * Node's `server.close()` alone is not enough: it closes idle HTTP/1.1 connections when called, but one busy at that
 * moment stays open for keep-alive after its response, HTTP/2 sessions stay open for new streams, and nothing bounds
 * how long a stream may run.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerResponse, ServerHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import type { DualProtocolServer } from './protocols';

/** How a drain ended. */
export interface DrainResult {
  /** Responses still in progress at the deadline, whose connections were cut. */
  readonly cutResponses: number;
}

/** Drains the server it was created for. */
export interface ConnectionDrainer {
  /** Responses in progress right now, HTTP/2 streams included. */
  readonly responsesInProgress: number;
  /**
   * Stops accepting connections before it returns, then resolves once every connection is closed: by finishing,
   * or at `graceMs` by being cut.
   */
  drain(graceMs: number): Promise<DrainResult>;
}

/** Starts tracking the server's connections and responses; call it before the server listens. */
export function trackConnections(server: DualProtocolServer): ConnectionDrainer {
  // Every accepted TCP connection until it closes, whatever it speaks (or before it said which).
  const sockets = new Set<Socket>();
  // HTTP/1.1 connections serving responses, with those responses (several when a client pipelines).
  const http1 = new Map<Socket, Set<ServerResponse>>();
  const sessions = new Set<ServerHttp2Session>();
  const http2Responses = new Set<Http2ServerResponse>();
  let draining = false;

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    if (draining) session.close();
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse | Http2ServerResponse) => {
    // Only HTTP/2's compatibility response has a stream.
    if ('stream' in res) return trackHttp2Response(res);
    const socket = req.socket;
    let responses = http1.get(socket);
    if (!responses) http1.set(socket, (responses = new Set()));
    responses.add(res);
    // A request that slipped in on a kept-alive connection while draining is served, but is its connection's last.
    if (draining && !res.headersSent) res.setHeader('connection', 'close');
    res.once('close', () => {
      responses.delete(res);
      if (responses.size > 0) return;
      http1.delete(socket);
      // `close` follows `finish`, so the response's bytes are handed to the OS: end() flushes them, then FIN.
      if (draining) socket.end();
    });
  });

  function trackHttp2Response(res: Http2ServerResponse): void {
    http2Responses.add(res);
    res.once('close', () => http2Responses.delete(res));
  }

  function responsesInProgress(): number {
    let count = http2Responses.size;
    for (const responses of http1.values()) count += responses.size;
    return count;
  }

  return {
    get responsesInProgress() {
      return responsesInProgress();
    },

    async drain(graceMs: number): Promise<DrainResult> {
      draining = true;
      // Closes the listening socket and, in node:http, the HTTP/1.1 connections without a request in progress.
      const allClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const responses of http1.values()) {
        for (const res of responses) if (!res.headersSent) res.setHeader('connection', 'close');
      }
      // GOAWAY: no new streams; each session closes once its streams are done. (HTTP/2 has no `connection` header.)
      for (const session of sessions) session.close();
      // Connections that have not said a word yet (which protocol is still unknown) have nothing to finish.
      for (const socket of sockets) if (socket.bytesRead === 0) socket.destroy();

      let cutResponses = 0;
      const deadline = setTimeout(() => {
        cutResponses = responsesInProgress();
        for (const socket of http1.keys()) socket.destroy();
        // With an error (GOAWAY INTERNAL_ERROR): without one, HTTP/2 clients read a cut stream as complete.
        const sessionsClosed = [...sessions].map((session) => {
          const closed = new Promise((resolve) => session.once('close', resolve));
          session.destroy(new Error('the grace period is over'));
          return closed;
        });
        // Then the rest (a TLS handshake, a first line still coming), once the sessions' last frames are out.
        void Promise.all(sessionsClosed).then(() => {
          for (const socket of sockets) socket.destroy();
        });
      }, graceMs);
      await allClosed;
      clearTimeout(deadline);
      return { cutResponses };
    },
  };
}
