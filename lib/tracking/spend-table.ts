/**
 * The built-in spend table: requests, tokens and USD by day, key and model group, counted in the {@link Store} so
 * that every instance sharing it adds to one table (in memory by default). Enough to answer "who spent what" without
 * a database; hosts that need durable records pass their own cost tracker.
 */
import type { Store } from '../state/store';
import { SILENT_LOGGER } from '../logging/default-logger';
import type { CostTracker, Logger, UsageRecord } from '../types';

/** Totals of a set of requests. */
export interface SpendTotals {
  requests: number;
  /** Requests that failed (status 400 or more, or a stream that broke off). */
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** USD of the requests whose cost is known. */
  costUsd: number;
  /** Requests that used tokens at prices the gateway does not know: their cost is missing from `costUsd`. */
  unpricedRequests: number;
}

/** One cell of the spend table: a day (UTC, `YYYY-MM-DD`), a key and a model group. */
export interface SpendRow extends SpendTotals {
  readonly day: string;
  readonly keyName: string;
  readonly modelName: string;
}

/** The spend table, and its totals by key, by model group and by day. */
export interface SpendReport {
  readonly rows: readonly SpendRow[];
  readonly byKey: Readonly<Record<string, SpendTotals>>;
  readonly byModel: Readonly<Record<string, SpendTotals>>;
  readonly byDay: Readonly<Record<string, SpendTotals>>;
  readonly total: SpendTotals;
}

export interface SpendTable extends CostTracker {
  /**
   * The spend so far (this store's, all instances'), optionally from a day on (`YYYY-MM-DD`, inclusive). This
   * instance's latest requests are in it; other instances' reach the store within {@link FLUSH_EVERY_MS}.
   */
  report(options?: { since?: string }): Promise<SpendReport>;
  /** Writes what this instance counted since its last write to the store (done every second, by `report`, on close). */
  flush(): Promise<void>;
}

/**
 * Requests are counted in this instance's memory and written to the store at most this long after: one write per
 * cell and field per second instead of several per request, which matters on a busy gateway and more with Redis.
 */
export const FLUSH_EVERY_MS = 1000;

const PREFIX = 'spend/';
/** Rows are kept this long, then expire with their counters. */
const KEPT_MS = 90 * 86_400_000;
const FIELDS = ['requests', 'errors', 'inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'costUsd', 'unpricedRequests'] as const;
type Field = (typeof FIELDS)[number];

function emptyTotals(): SpendTotals {
  return { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0, unpricedRequests: 0 };
}

function add(into: SpendTotals, from: SpendTotals): void {
  for (const field of FIELDS) into[field] += from[field];
}

/** Adds what one record counts to `totals`. */
function count(totals: SpendTotals, usage: UsageRecord): void {
  const tokens = usage.usage;
  totals.requests += 1;
  if (usage.status >= 400 || usage.outcome === 'upstream-failed') totals.errors += 1;
  if (tokens) {
    totals.inputTokens += tokens.inputTokens;
    totals.outputTokens += tokens.outputTokens;
    totals.cacheReadTokens += tokens.cacheReadTokens;
    totals.cacheWriteTokens += tokens.cacheWriteTokens;
  }
  if (usage.costUsd !== null) totals.costUsd += usage.costUsd;
  else if (tokens) totals.unpricedRequests += 1;
}

/** Key and model names may hold any character: each part of a counter's name is encoded. */
function cellKey(row: Omit<SpendRow, Field>, field: Field): string {
  return `${PREFIX}${row.day}/${encodeURIComponent(row.keyName)}/${encodeURIComponent(row.modelName)}/${field}`;
}

const DAY_MS = 86_400_000;
let lastDayNumber = Number.NaN;
let lastDay = '';

/** `YYYY-MM-DD` (UTC) of a time, formatted once a day. */
function dayOf(time: Date): string {
  const dayNumber = Math.floor(time.getTime() / DAY_MS);
  if (dayNumber !== lastDayNumber) {
    lastDay = time.toISOString().slice(0, 10);
    lastDayNumber = dayNumber;
  }
  return lastDay;
}

export function createSpendTable(store: Store, logger: Logger = SILENT_LOGGER): SpendTable {
  /** Rows counted since the last write, by day, key and model group. */
  let unwritten = new Map<string, SpendRow>();
  let timer: NodeJS.Timeout | undefined;

  async function flush(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    if (unwritten.size === 0) return;
    const rows = unwritten;
    unwritten = new Map();
    const writes: Array<Promise<number>> = [];
    for (const row of rows.values()) {
      for (const field of FIELDS) if (row[field] > 0) writes.push(store.increment(cellKey(row, field), row[field], KEPT_MS));
    }
    try {
      await Promise.all(writes);
    } catch (error) {
      // Not retried: some of the writes may have landed, and counting them twice would be worse than missing them.
      logger.warn({ rows: rows.size, error: String(error) }, 'spend table: could not write the latest counts to the store');
    }
  }

  return {
    record(usage: UsageRecord): void {
      const day = dayOf(usage.time);
      const keyName = usage.keyName ?? 'anonymous';
      const cell = `${day}\n${keyName}\n${usage.modelName}`;
      let row = unwritten.get(cell);
      if (!row) {
        row = { day, keyName, modelName: usage.modelName, ...emptyTotals() };
        unwritten.set(cell, row);
      }
      count(row, usage);
      if (!timer) {
        timer = setTimeout(() => void flush(), FLUSH_EVERY_MS);
        // A pending write never keeps a process alive: close() writes it.
        timer.unref();
      }
    },

    flush,

    async report(options = {}): Promise<SpendReport> {
      await flush();
      const cells = new Map<string, SpendRow>();
      for (const [key, value] of await store.entries(PREFIX)) {
        const [day, keyName, modelName, field] = key.slice(PREFIX.length).split('/');
        if (!day || keyName === undefined || modelName === undefined || !FIELDS.includes(field as Field)) continue;
        if (options.since !== undefined && day < options.since) continue;
        const cell = `${day}/${keyName}/${modelName}`;
        let row = cells.get(cell);
        if (!row) {
          row = { day, keyName: decodeURIComponent(keyName), modelName: decodeURIComponent(modelName), ...emptyTotals() };
          cells.set(cell, row);
        }
        row[field as Field] += value;
      }
      const rows = [...cells.values()].sort((a, b) => a.day.localeCompare(b.day) || a.keyName.localeCompare(b.keyName) || a.modelName.localeCompare(b.modelName));
      const byKey: Record<string, SpendTotals> = {};
      const byModel: Record<string, SpendTotals> = {};
      const byDay: Record<string, SpendTotals> = {};
      const total = emptyTotals();
      for (const row of rows) {
        add((byKey[row.keyName] ??= emptyTotals()), row);
        add((byModel[row.modelName] ??= emptyTotals()), row);
        add((byDay[row.day] ??= emptyTotals()), row);
        add(total, row);
      }
      return { rows, byKey, byModel, byDay, total };
    },
  };
}
