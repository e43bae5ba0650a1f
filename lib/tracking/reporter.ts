/**
 * Where each finished request's {@link UsageRecord} goes: the log line, the built-in spend table, the host's cost
 * tracker and hooks. Nothing here can break a request: every consumer's failure is logged and forgotten.
 */
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
    try {
      Promise.resolve(call()).catch((error: unknown) => logger.error({ requestId, error: String(error) }, `${what} failed`));
    } catch (error) {
      logger.error({ requestId, error: String(error) }, `${what} failed`);
    }
  };
  return (record, extras) => {
    logger.info(extras ? { ...requestLogFields(record), ...extras } : requestLogFields(record), 'request');
    for (const consumer of consumers) if (consumer) isolate('cost tracker', record.requestId, () => consumer.record(record));
    const { onResponse, onError } = hooks ?? {};
    if (onResponse) isolate('onResponse hook', record.requestId, () => onResponse(record));
    if (onError && (record.status >= 400 || record.outcome === 'upstream-failed')) {
      isolate('onError hook', record.requestId, () => onError(record));
    }
  };
}
