/**
 * The soak's short version (`npm run soak` runs the long one): the same script, a few seconds of traffic. Two CLI
 * instances sharing a real redis-server, the emulator failing about one call in ten, clients abandoning calls; the
 * script checks every call's answer, the accounting, the limits and the instances' handles and memory itself.
 */
import { join } from 'node:path';
import { ROOT, runNode } from '../cli/processes';
import { describeWithRedis } from '../support/redis-server';

const SOAK = join(ROOT, 'scripts', 'soak', 'run.mjs');

interface SoakSummary {
  calls: number;
  outcomes: Record<string, number>;
  byOperation: Record<string, number>;
  checks: Array<{ name: string; ok: boolean; detail: string }>;
}

describeWithRedis('soak (short)', () => {
  it('answers every call once and well-formed, accounts for every upstream call, holds the limits and leaks nothing', async () => {
    const run = await runNode([SOAK, '--duration', '6s', '--json']);
    const json = /^soak-json (.*)$/m.exec(run.stdout)?.[1];
    if (!json) throw new Error(`the soak printed no summary (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
    const summary = JSON.parse(json) as SoakSummary;

    const failed = summary.checks.filter((check) => !check.ok);
    expect(failed).toEqual([]);
    expect(run.code).toBe(0);
    // The checks judged real traffic: every operation, the faults, the aborts and both limits showed up.
    expect(summary.checks.length).toBeGreaterThanOrEqual(12);
    expect(Object.keys(summary.byOperation).sort()).toEqual(['converse', 'converse-stream', 'invoke', 'invoke-with-response-stream']);
    expect(summary.outcomes).toEqual(
      expect.objectContaining({
        complete: expect.any(Number),
        'client-aborted': expect.any(Number),
        'error:403:AccessDeniedException': expect.any(Number),
        'error:429:ThrottlingException': expect.any(Number),
      }),
    );
    expect(Object.keys(summary.outcomes).some((kind) => kind.startsWith('stream-exception:'))).toBe(true);
    expect(summary.calls).toBeGreaterThan(500);
  }, 90_000);
});
