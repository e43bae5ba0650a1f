/** A fake of the gateway's admin data, with secrets planted where a careless implementation might leave them. */
import type { AdminData, DeploymentStatus, KeyStatus, RecentError } from '../../lib/admin';
import type { SpendReport, SpendRow, SpendTotals } from '../../lib/tracking/spend-table';

export const MASTER_KEY = 'sk-admin-master-7f3a9c';
/** The secret of a client key: the fake's `keys()` returns it beside the key's status; it must never be served. */
export const CLIENT_KEY_SECRET = 'sk-client-secret-41d2e8';
/** Upstream credentials the fake's `deployments()` leaves on each deployment. */
export const AWS_SECRET = 'aws-secret-EXAMPLEKEY-0000';
/** A key name written to be parsed as markup: the page must show it as text. */
export const HOSTILE_KEY_NAME = '<img src=x onerror="document.title=\'pwned\'">';

/** The day `days` before today (UTC), `YYYY-MM-DD`: the dashboard asks for the last 30 days, so the data is recent. */
export function daysAgo(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}

/** Three consecutive days of spend, ending two days ago (so that a test can add a later day, leaving a gap). */
export const DAYS = [daysAgo(4), daysAgo(3), daysAgo(2)] as const;
export const KEY_NAMES = ['alice', HOSTILE_KEY_NAME] as const;
export const MODEL_NAMES = ['claude-sonnet', 'nova-pro'] as const;

function totals(rows: readonly SpendTotals[]): SpendTotals {
  const sum = (field: keyof SpendTotals) => rows.reduce((total, row) => total + row[field], 0);
  return {
    requests: sum('requests'),
    errors: sum('errors'),
    inputTokens: sum('inputTokens'),
    outputTokens: sum('outputTokens'),
    cacheReadTokens: sum('cacheReadTokens'),
    cacheWriteTokens: sum('cacheWriteTokens'),
    costUsd: sum('costUsd'),
    unpricedRequests: sum('unpricedRequests'),
  };
}

function grouped(rows: readonly SpendRow[], by: (row: SpendRow) => string): Record<string, SpendTotals> {
  const groups = new Map<string, SpendRow[]>();
  for (const row of rows) groups.set(by(row), [...(groups.get(by(row)) ?? []), row]);
  return Object.fromEntries([...groups].map(([name, members]) => [name, totals(members)]));
}

/** A report built the way the memory cost tracker builds one. */
export function reportOf(rows: readonly SpendRow[]): SpendReport {
  return {
    rows,
    byKey: grouped(rows, (row) => row.keyName),
    byModel: grouped(rows, (row) => row.modelName),
    byDay: grouped(rows, (row) => row.day),
    total: totals(rows),
  };
}

/**
 * One row for every day × key × model, each costing `costPerRow`: 12 rows, so the total is 12 × `costPerRow`
 * (12.5 USD by default: an amount whose rendering is easy to look for).
 */
export function spendRows(costPerRow = 12.5 / 12): SpendRow[] {
  return DAYS.flatMap((day, d) =>
    KEY_NAMES.flatMap((keyName) =>
      MODEL_NAMES.map((modelName) => ({
        day,
        keyName,
        modelName,
        requests: 10 + d,
        errors: 1,
        inputTokens: 1000,
        outputTokens: 250,
        cacheReadTokens: 100,
        cacheWriteTokens: 50,
        costUsd: costPerRow,
        unpricedRequests: modelName === 'nova-pro' ? 1 : 0,
      })),
    ),
  );
}

const DEPLOYMENTS: DeploymentStatus[] = [
  {
    id: 'claude-east',
    modelName: 'claude-sonnet',
    modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0',
    region: 'us-east-1',
    endpoint: 'https://bedrock-runtime.us-east-1.amazonaws.com',
    coolingDown: false,
    coolingDownUntil: null,
    inFlight: 3,
    latencyMs: { plain: 812.4, stream: 341.9 },
    thisMinute: { requests: 42, tokens: 91_000 },
    limits: { rpm: 60, tpm: 100_000 },
  },
  {
    id: 'claude-west',
    modelName: 'claude-sonnet',
    modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0',
    region: 'us-west-2',
    endpoint: 'https://bedrock-runtime.us-west-2.amazonaws.com',
    coolingDown: true,
    coolingDownUntil: '2026-03-03T12:00:30.000Z',
    inFlight: 0,
    latencyMs: { plain: null, stream: null },
    thisMinute: { requests: 0, tokens: 0 },
    limits: { rpm: null, tpm: null },
  },
];

const KEYS: KeyStatus[] = [
  {
    id: 'key:alice',
    name: 'alice',
    models: ['claude-sonnet'],
    operations: null,
    limits: { rpm: 100, tpm: 50_000, maxParallelRequests: 4, maxBudgetUsd: 25, budgetDuration: '30d', expires: '2027-01-01T00:00:00.000Z' },
    disabled: false,
    metadata: { team: 'search', owner: 'ana@example.com' },
    usage: { thisMinute: { requests: 12, tokens: 8_000 }, inFlight: 1, budgetSpendUsd: 6.25, budgetResetsAt: '2026-12-01T00:00:00.000Z' },
  },
  {
    id: 'key:mallory',
    name: HOSTILE_KEY_NAME,
    models: null,
    operations: ['converse'],
    limits: { rpm: null, tpm: null, maxParallelRequests: null, maxBudgetUsd: null, budgetDuration: null, expires: null },
    disabled: true,
    metadata: {},
    usage: { thisMinute: { requests: 0, tokens: 0 }, inFlight: 0, budgetSpendUsd: 6.25, budgetResetsAt: null },
  },
];

const ERRORS: RecentError[] = [
  {
    time: '2026-03-03T11:59:58.000Z',
    requestId: 'req-0001',
    keyName: 'alice',
    modelName: 'claude-sonnet',
    operation: 'converse',
    deploymentId: 'claude-west',
    status: 429,
    errorType: 'ThrottlingException',
  },
  {
    time: '2026-03-03T11:58:00.000Z',
    requestId: 'req-0002',
    keyName: null,
    modelName: null,
    operation: 'invoke',
    deploymentId: null,
    status: 403,
    errorType: 'AccessDeniedException',
  },
];

/** The fake, and the levers a test pulls on it. */
export interface FakeAdminData {
  readonly data: AdminData;
  /** The spend rows the next reports are made of. */
  rows: SpendRow[];
  /** When set, every method rejects with this error. */
  failure: Error | undefined;
  /** Every call made to `data`, by method name, with its argument. */
  readonly calls: Array<{ method: keyof AdminData; argument?: unknown }>;
}

export function createFakeAdminData(): FakeAdminData {
  const fake: FakeAdminData = {
    rows: spendRows(),
    failure: undefined,
    calls: [],
    data: {
      async spend(query) {
        answer('spend', query);
        return reportOf(fake.rows.filter((row) => query.since === undefined || row.day >= query.since));
      },
      async deployments() {
        answer('deployments');
        // What a hasty implementation might pass: the internal deployment, credentials and all.
        return DEPLOYMENTS.map((deployment) => {
          const internal = { ...deployment, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: AWS_SECRET } };
          return internal;
        });
      },
      async keys() {
        answer('keys');
        return KEYS.map((key) => {
          const withSecret = { ...key, key: CLIENT_KEY_SECRET };
          return withSecret;
        });
      },
      async recentErrors() {
        answer('recentErrors');
        return ERRORS.map((error) => {
          const withMessage = { ...error, message: `upstream said no to ${CLIENT_KEY_SECRET}` };
          return withMessage;
        });
      },
    },
  };

  function answer(method: keyof AdminData, argument?: unknown): void {
    fake.calls.push({ method, ...(argument === undefined ? {} : { argument }) });
    if (fake.failure) throw fake.failure;
  }

  return fake;
}
