/** The ring of recent failures behind `GET /admin/errors`. */
import { createRecentErrorLog } from '../../lib/admin';
import type { UsageRecord } from '../../lib/types';

function record(requestId: string, fields: Partial<UsageRecord> = {}): UsageRecord {
  return {
    requestId,
    time: new Date('2026-03-03T12:00:00.000Z'),
    keyId: 'key:alice',
    keyName: 'alice',
    operation: 'converse',
    modelName: 'claude-sonnet',
    deploymentId: 'claude-east',
    streamed: false,
    status: 500,
    outcome: 'completed',
    errorType: 'InternalServerException',
    latencyMs: 12,
    overheadMs: 1,
    usageComplete: false,
    costUsd: null,
    attempts: [],
    ...fields,
  };
}

test('keeps failures only, newest first, without anything but the published fields', () => {
  const log = createRecentErrorLog();
  log.record(record('ok', { status: 200 }));
  log.record(record('throttled', { status: 429, errorType: 'ThrottlingException' }));
  log.record(record('broken-stream', { status: 200, outcome: 'upstream-failed', errorType: 'modelStreamErrorException' }));
  log.record(record('client-left', { status: 200, outcome: 'client-aborted' }));
  expect(log.list().map((error) => error.requestId)).toEqual(['broken-stream', 'throttled']);
  expect(log.list()[1]).toEqual({
    time: '2026-03-03T12:00:00.000Z',
    requestId: 'throttled',
    keyName: 'alice',
    modelName: 'claude-sonnet',
    operation: 'converse',
    deploymentId: 'claude-east',
    status: 429,
    errorType: 'ThrottlingException',
  });
});

test('a request refused before its key and model were known: nulls, not blanks', () => {
  const log = createRecentErrorLog();
  log.record(record('refused', { status: 403, keyId: undefined, keyName: undefined, modelName: '', deploymentId: undefined, errorType: undefined }));
  expect(log.list()[0]).toMatchObject({ keyName: null, modelName: null, deploymentId: null, errorType: null });
});

test('keeps the last ones up to its capacity', () => {
  const log = createRecentErrorLog(3);
  for (let i = 1; i <= 5; i++) log.record(record(`r${i}`));
  expect(log.list().map((error) => error.requestId)).toEqual(['r5', 'r4', 'r3']);
});
