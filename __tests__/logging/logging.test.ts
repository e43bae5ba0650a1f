import { createJsonLogger, SILENT_LOGGER } from '../../lib/logging/default-logger';
import { redactingLogger } from '../../lib/logging/redaction';
import type { Logger } from '../../lib/types';

function recording(): { logger: Logger; lines: Array<{ fields: object; message?: string | undefined }> } {
  const lines: Array<{ fields: object; message?: string | undefined }> = [];
  const log = (fields: object, message?: string) => void lines.push({ fields, message });
  return { logger: { debug: log, info: log, warn: log, error: log }, lines };
}

describe('redactingLogger', () => {
  const SECRET = 'sk-very-secret-key-0001';

  it('replaces every configured secret, wherever it sits in a line', () => {
    const { logger, lines } = recording();
    redactingLogger(logger, [SECRET, 'short', undefined]).error(
      { error: `bad key ${SECRET}`, nested: { list: ['ok', `${SECRET}${SECRET}`] } },
      `message with ${SECRET}`,
    );
    expect(lines).toEqual([{ fields: { error: 'bad key [redacted]', nested: { list: ['ok', '[redacted][redacted]'] } }, message: 'message with [redacted]' }]);
  });

  it('passes a line without secrets on as it is, without copying it', () => {
    const { logger, lines } = recording();
    const fields = { request_id: 'r-1', attempts: [{ status: 200 }], annotations: { team: 'a' } };
    redactingLogger(logger, [SECRET]).info(fields, 'request');
    expect(lines[0]?.fields).toBe(fields);
  });

  it('does not wrap the silent logger: nothing would be logged anyway', () => {
    expect(redactingLogger(SILENT_LOGGER, [SECRET])).toBe(SILENT_LOGGER);
  });

  it('leaves values that are too short to be secrets alone', () => {
    const { logger, lines } = recording();
    redactingLogger(logger, ['abc']).info({ text: 'abcdef' });
    expect(lines[0]?.fields).toEqual({ text: 'abcdef' });
  });
});

describe('createJsonLogger', () => {
  it('writes one JSON line per call: level, time, the fields, then the message', () => {
    const written: string[] = [];
    const logger = createJsonLogger('info', (line) => void written.push(line));
    logger.info({ request_id: 'r-1', status: 200, note: 'a "quoted" value' }, 'request');
    logger.warn({}, 'no fields');
    logger.error({ only: true });
    logger.debug({ dropped: true }, 'below the level');
    expect(written).toHaveLength(3);
    expect(written.every((line) => line.endsWith('}\n'))).toBe(true);
    const [first, second, third] = written.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(first).toEqual({ level: 'info', time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/), request_id: 'r-1', status: 200, note: 'a "quoted" value', msg: 'request' });
    expect(second).toEqual({ level: 'warn', time: expect.any(String), msg: 'no fields' });
    expect(third).toEqual({ level: 'error', time: expect.any(String), only: true });
  });
});
