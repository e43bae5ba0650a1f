/**
 * Thrown by a shared store that fails closed, for an admission (`incrementWithin`, `acquireLease`) it cannot check
 * because its backend is unreachable. The gateway answers it with a clear error rather than a rate-limit refusal:
 * the limit was not reached, it could not be checked.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
