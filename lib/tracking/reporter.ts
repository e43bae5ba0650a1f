/**
 * Where each finished request's {@link UsageRecord} goes: the log line, the built-in spend table, the host's cost
 * tracker and hooks. Nothing here can break a request: every consumer's failure is logged and forgotten.
 */
import { SILENT_LOGGER } from '../logging/default-logger';
import { requestLogFields } from '../logging/request-line';
import type { CostTracker, Hooks, Logger, UsageRecord } from '../types';

export interface ReporterParts {
  readonly logger: Logger;
  readonly consumers: readonly (CostTracker | undefined)[];
  readonly hooks?: Hooks | undefined;
}

/** Extra fields for the request's log line (opted-in bodies). */
export type LogExtras = Readonly<Record<string, unknown>> | undefined;

export function createReporter({ logger, consumers, hooks }: ReporterParts): (record: UsageRecord, extras?: LogExtras) => void {
  const isolate = (what: string, requestId: string, call: () => void | Promise<void>) => {
    const failed = (error: unknown) => logger.error({ requestId, error: String(error) }, `${what} failed`);
    try {
      const result = call();
      // Most consumers are synchronous: a promise is made only for those that return one.
      if (typeof (result as Promise<void> | undefined)?.then === 'function') (result as Promise<void>).then(undefined, failed);
    } catch (error) {
      failed(error);
    }
  };
  // The library's default logger drops every line: building the request line for it would be work for nothing.
  const logsRequests = logger !== SILENT_LOGGER;
  const present = consumers.filter((consumer): consumer is CostTracker => consumer !== undefined);
  return (record, extras) => {
    if (logsRequests) logger.info(extras ? { ...requestLogFields(record), ...extras } : requestLogFields(record), 'request');
    for (const consumer of present) isolate('cost tracker', record.requestId, () => consumer.record(record));
    const { onResponse, onError } = hooks ?? {};
    if (onResponse) isolate('onResponse hook', record.requestId, () => onResponse(record));
    if (onError && (record.status >= 400 || record.outcome === 'upstream-failed')) {
      isolate('onError hook', record.requestId, () => onError(record));
    }
  };
}
