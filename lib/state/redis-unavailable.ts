/**
 * Which failures mean "Redis cannot serve us now" (the store degrades to memory) rather than "this call was wrong"
 * (the error goes to the caller, as any bug should).
 */

/** What ioredis rejects a command with when the connection, not Redis, failed it. */
const CONNECTION_MESSAGES = ['Command timed out', "Stream isn't writeable", 'Connection is closed'];

/** ioredis's errors for commands aborted by a dropped connection, and for a reply stream it could not parse. */
const CONNECTION_ERROR_NAMES = new Set(['AbortError', 'InterruptError', 'MaxRetriesPerRequestError', 'ParserError']);

/**
 * Error codes of replies from a Redis that is there but cannot serve: still loading its data, busy with a script,
 * a replica after a failover, short of the replicas it needs to write, out of memory, or refusing our credentials (a
 * misconfiguration the gateway should survive and log, not turn into failed requests).
 */
const UNAVAILABLE_REPLY_CODES = new Set(['LOADING', 'BUSY', 'MASTERDOWN', 'READONLY', 'NOREPLICAS', 'OOM', 'CLUSTERDOWN', 'TRYAGAIN', 'NOAUTH', 'WRONGPASS', 'NOPERM']);

/** Whether `error` says Redis is unreachable or unable to serve, rather than that the call itself was wrong. */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'ReplyError') {
    const code = error.message.split(' ', 1)[0] ?? '';
    return UNAVAILABLE_REPLY_CODES.has(code) || error.message.startsWith('ERR max number of clients reached');
  }
  // System errors of the socket (ECONNREFUSED, ECONNRESET, ETIMEDOUT...) carry a code.
  if (typeof (error as { code?: unknown }).code === 'string') return true;
  return CONNECTION_ERROR_NAMES.has(error.name) || CONNECTION_MESSAGES.some((message) => error.message.startsWith(message));
}
