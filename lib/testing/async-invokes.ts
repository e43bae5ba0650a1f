/**
 * The emulator's asynchronous invocations (StartAsyncInvoke, ListAsyncInvokes, GetAsyncInvoke), held in memory.
 * A job is `InProgress` until it has run for the configured time or a test settles it; its status is worked out
 * when asked, so no timers run and an injected clock moves jobs along too.
 */
import { randomBytes } from 'node:crypto';
import { EmulatedError, validationError } from './emulated-error';
import { asArray, asString, stringAt, type JsonObject } from './json-values';

/** The status of an async invocation. */
export type AsyncInvokeStatus = 'InProgress' | 'Completed' | 'Failed';

/** One async invocation, as GetAsyncInvoke would describe it at the time it was read. */
export interface EmulatedAsyncInvoke {
  readonly invocationArn: string;
  /** The `modelId` it was started with. */
  readonly modelId: string;
  readonly modelArn: string;
  readonly clientRequestToken?: string | undefined;
  /** The request's `modelInput`, `outputDataConfig` and `tags`, as sent. */
  readonly modelInput: unknown;
  readonly outputDataConfig: unknown;
  readonly tags: readonly unknown[];
  readonly status: AsyncInvokeStatus;
  readonly failureMessage?: string | undefined;
  readonly submitTime: Date;
  readonly lastModifiedTime: Date;
  readonly endTime?: Date | undefined;
}

/** The emulator's async invocations, to inspect them and to end them on command. */
export interface AsyncInvokeJobs {
  /** Every invocation, oldest first. */
  list(): readonly EmulatedAsyncInvoke[];
  get(invocationArn: string): EmulatedAsyncInvoke | undefined;
  /** Ends the invocation now as `Completed`, whatever its state. Throws on an unknown ARN. */
  complete(invocationArn: string): void;
  /** Ends the invocation now as `Failed` with this message, whatever its state. Throws on an unknown ARN. */
  fail(invocationArn: string, failureMessage?: string): void;
}

/** Where the emulator's invocations live and how long they run. */
export interface AsyncInvokeSettings {
  readonly region: string;
  readonly accountId: string;
  readonly clock: () => Date;
  /** How long a job stays `InProgress` unless settled first; `Infinity` for only on command. */
  readonly durationMs: number;
}

interface Job {
  /** Submission order: the sort key and what a page token points at. */
  readonly sequence: number;
  readonly invocationArn: string;
  readonly modelId: string;
  readonly clientRequestToken: string | undefined;
  readonly modelInput: unknown;
  readonly outputDataConfig: unknown;
  readonly tags: readonly unknown[];
  readonly submitTime: Date;
  settled?: { readonly status: 'Completed' | 'Failed'; readonly at: Date; readonly failureMessage?: string | undefined };
}

const INVOCATION_ARN = /^arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:async-invoke\/[a-z0-9]{12}$/;
const STATUSES: readonly AsyncInvokeStatus[] = ['InProgress', 'Completed', 'Failed'];
const SORT_ORDERS = ['Ascending', 'Descending'] as const;
const MAX_RESULTS = 1000;

/** Twelve lowercase letters and digits, as in real invocation ARNs. */
function invocationId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(12), (byte) => alphabet[byte % alphabet.length]).join('');
}

function enumProblem(value: string, member: string, allowed: readonly string[]): string {
  return `Value '${value}' at '${member}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`;
}

/** The in-memory store behind the three operations and {@link AsyncInvokeJobs}. */
export class AsyncInvokeStore implements AsyncInvokeJobs {
  private readonly jobs: Job[] = [];
  private readonly byToken = new Map<string, Job>();
  private sequence = 0;

  constructor(private readonly settings: AsyncInvokeSettings) {}

  /**
   * StartAsyncInvoke. The same `clientRequestToken` with the same request answers the same ARN; with another
   * request, a ConflictException.
   */
  start(json: JsonObject): { invocationArn: string } | EmulatedError {
    const modelId = stringAt(json, 'modelId') ?? '';
    const clientRequestToken = asString(json['clientRequestToken']);
    const earlier = clientRequestToken === undefined ? undefined : this.byToken.get(clientRequestToken);
    if (earlier) {
      const same =
        earlier.modelId === modelId &&
        JSON.stringify([earlier.modelInput, earlier.outputDataConfig]) === JSON.stringify([json['modelInput'], json['outputDataConfig']]);
      return same
        ? { invocationArn: earlier.invocationArn }
        : new EmulatedError('ConflictException', 'The client request token was already used for a different request.');
    }
    const { region, accountId, clock } = this.settings;
    const job: Job = {
      sequence: this.sequence++,
      invocationArn: `arn:aws:bedrock:${region}:${accountId}:async-invoke/${invocationId()}`,
      modelId,
      clientRequestToken,
      modelInput: json['modelInput'],
      outputDataConfig: json['outputDataConfig'],
      tags: asArray(json['tags']) ?? [],
      submitTime: clock(),
    };
    this.jobs.push(job);
    if (clientRequestToken !== undefined) this.byToken.set(clientRequestToken, job);
    return { invocationArn: job.invocationArn };
  }

  /**
   * GetAsyncInvoke. AWS models no ResourceNotFoundException for it (only AccessDenied, Throttling, InternalServer
   * and Validation), so an unknown or malformed ARN gets a ValidationException.
   */
  describe(invocationArn: string): object | EmulatedError {
    if (!INVOCATION_ARN.test(invocationArn)) {
      return validationError([
        `Value '${invocationArn}' at 'invocationArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ${INVOCATION_ARN.source.slice(1, -1)}`,
      ]);
    }
    const job = this.jobs.find((candidate) => candidate.invocationArn === invocationArn);
    if (!job) return new EmulatedError('ValidationException', `The async invocation ${invocationArn} does not exist.`);
    return this.summary(job);
  }

  /** ListAsyncInvokes, with its filters, sort order and pages. */
  listPage(query: URLSearchParams): object | EmulatedError {
    const problems: string[] = [];
    const time = (member: string) => {
      const value = query.get(member);
      if (value === null) return undefined;
      const parsed = new Date(value);
      if (Number.isNaN(parsed.getTime())) problems.push(`Value '${value}' at '${member}' failed to satisfy constraint: Member must be a timestamp`);
      return parsed;
    };
    const oneOf = <T extends string>(member: string, allowed: readonly T[]): T | undefined => {
      const value = query.get(member);
      if (value === null) return undefined;
      if (allowed.includes(value as T)) return value as T;
      problems.push(enumProblem(value, member, allowed));
      return undefined;
    };
    const after = time('submitTimeAfter');
    const before = time('submitTimeBefore');
    const status = oneOf('statusEquals', STATUSES);
    oneOf('sortBy', ['SubmissionTime']);
    const descending = oneOf('sortOrder', SORT_ORDERS) !== 'Ascending';
    const maxResultsText = query.get('maxResults');
    const maxResults = maxResultsText === null ? MAX_RESULTS : Number(maxResultsText);
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_RESULTS) {
      problems.push(`Value '${maxResultsText ?? ''}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and ${MAX_RESULTS}`);
    }
    const token = query.get('nextToken');
    const startAt = token === null ? undefined : Number(Buffer.from(token, 'base64url').toString('utf8'));
    if (startAt !== undefined && !Number.isInteger(startAt)) {
      return new EmulatedError('ValidationException', 'The provided pagination token is invalid.');
    }
    if (problems.length > 0) return validationError(problems);

    const matching = this.jobs
      .filter((job) => (after === undefined || job.submitTime > after) && (before === undefined || job.submitTime < before))
      .map((job) => ({ job, summary: this.summary(job) }))
      .filter(({ summary }) => status === undefined || summary.status === status);
    if (descending) matching.reverse();
    // The token names the first job of the next page by its submission order, so jobs started in between do not shift pages.
    const from = startAt === undefined ? 0 : matching.findIndex(({ job }) => (descending ? job.sequence <= startAt : job.sequence >= startAt));
    const page = from === -1 ? [] : matching.slice(from, from + maxResults);
    const next = from === -1 ? undefined : matching[from + maxResults];
    return {
      asyncInvokeSummaries: page.map(({ summary }) => summary),
      ...(next ? { nextToken: Buffer.from(String(next.job.sequence), 'utf8').toString('base64url') } : {}),
    };
  }

  list(): readonly EmulatedAsyncInvoke[] {
    return this.jobs.map((job) => this.view(job));
  }

  get(invocationArn: string): EmulatedAsyncInvoke | undefined {
    const job = this.jobs.find((candidate) => candidate.invocationArn === invocationArn);
    return job && this.view(job);
  }

  complete(invocationArn: string): void {
    this.settle(invocationArn, { status: 'Completed', at: this.settings.clock() });
  }

  fail(invocationArn: string, failureMessage = 'The emulated invocation failed.'): void {
    this.settle(invocationArn, { status: 'Failed', at: this.settings.clock(), failureMessage });
  }

  /** Forgets every invocation. */
  clear(): void {
    this.jobs.length = 0;
    this.byToken.clear();
  }

  private settle(invocationArn: string, settled: NonNullable<Job['settled']>): void {
    const job = this.jobs.find((candidate) => candidate.invocationArn === invocationArn);
    if (!job) throw new Error(`No async invocation ${invocationArn} in this emulator`);
    job.settled = settled;
  }

  /** The job now: settled by command, or completed once its duration has passed since submission. */
  private view(job: Job): EmulatedAsyncInvoke {
    const finishedAt = new Date(job.submitTime.getTime() + this.settings.durationMs);
    const settled = job.settled ?? (finishedAt <= this.settings.clock() ? { status: 'Completed' as const, at: finishedAt } : undefined);
    return {
      invocationArn: job.invocationArn,
      modelId: job.modelId,
      clientRequestToken: job.clientRequestToken,
      modelInput: job.modelInput,
      outputDataConfig: job.outputDataConfig,
      tags: job.tags,
      submitTime: job.submitTime,
      modelArn: job.modelId.startsWith('arn:') ? job.modelId : `arn:aws:bedrock:${this.settings.region}::foundation-model/${job.modelId}`,
      status: settled?.status ?? 'InProgress',
      failureMessage: settled?.failureMessage,
      lastModifiedTime: settled?.at ?? job.submitTime,
      endTime: settled?.at,
    };
  }

  /** The wire shape shared by GetAsyncInvoke and ListAsyncInvokes' summaries (timestamps as ISO 8601). */
  private summary(job: Job): { status: AsyncInvokeStatus } & Record<string, unknown> {
    const view = this.view(job);
    return {
      invocationArn: view.invocationArn,
      modelArn: view.modelArn,
      ...(view.clientRequestToken === undefined ? {} : { clientRequestToken: view.clientRequestToken }),
      status: view.status,
      ...(view.failureMessage === undefined ? {} : { failureMessage: view.failureMessage }),
      submitTime: view.submitTime.toISOString(),
      lastModifiedTime: view.lastModifiedTime.toISOString(),
      ...(view.endTime ? { endTime: view.endTime.toISOString() } : {}),
      outputDataConfig: view.outputDataConfig,
    };
  }
}
