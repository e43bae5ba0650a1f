/**
 * Redaction is the last line of defence for what a host puts in log lines itself: a hook's annotations may hold a
 * request's headers, at any depth.
 */
import { createJsonLogger } from '../../lib/logging/default-logger';
import { startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import { MASTER_KEY, deploymentOn, post, withGateway } from '../support/gateway';

let emulator: BedrockEmulator;

beforeAll(async () => {
  emulator = await startBedrockEmulator();
});
afterAll(() => emulator.close());

/** `value` wrapped in `depth` objects, and in an array at the bottom. */
function nested(depth: number, value: unknown): unknown {
  let wrapped: unknown = [{ value }];
  for (let level = 0; level < depth; level++) wrapped = { [`level${level}`]: wrapped };
  return wrapped;
}

it('a configured key in a hook’s annotations never reaches the log, however deep it sits', async () => {
  const lines: string[] = [];
  await withGateway(
    {
      model_list: [deploymentOn(emulator, 'claude', 'anthropic.claude-3-5-sonnet-20240620-v1:0')],
      general_settings: { master_key: MASTER_KEY },
      logger: createJsonLogger('debug', (line) => lines.push(line)),
      hooks: {
        onRequest: (request) => ({
          shallow: request.headers.authorization,
          ...Object.fromEntries([2, 4, 6, 12].map((depth) => [`depth${depth}`, nested(depth, request.headers.authorization)])),
          harmless: nested(12, 'nothing to hide'),
        }),
      },
    },
    async (gateway) => {
      const response = await post(gateway, '/model/claude/converse', JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hi' }] }] }));
      expect(response.status).toBe(200);
    },
  );
  const requestLine = lines.find((line) => line.includes('"msg":"request"'));
  expect(requestLine).toBeDefined();
  expect(lines.join('')).not.toContain(MASTER_KEY);
  // Redacted where it was, and what holds no secret is logged as it is.
  expect(requestLine).toContain('"shallow":"Bearer [redacted]"');
  expect(requestLine).toContain(JSON.stringify(nested(12, 'nothing to hide')));
});
