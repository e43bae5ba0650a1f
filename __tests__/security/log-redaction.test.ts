/**
 * Redaction is the last line of defence for what a host puts in log lines itself: a hook's annotations may hold a
 * request's headers, at any depth.
 */
import type { GatewayConfig } from '../../lib/config/types';
import { createJsonLogger } from '../../lib/logging/default-logger';
import { redactedLogging } from '../../lib/reload/redaction';
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

it('the Redis password, given alone or inside redis_url (as written and percent-decoded), is redacted too', () => {
  const lines: string[] = [];
  const { logger, learn } = redactedLogging(createJsonLogger('debug', (line) => lines.push(line)));
  learn({
    model_list: [],
    router_settings: { redis_password: 'separate-redis-secret', redis_url: 'redis://default:p%40ss-in-the-url@redis.internal:6379/0' },
  } as unknown as GatewayConfig);
  logger.warn({ echoed: 'separate-redis-secret', url: 'redis://default:p%40ss-in-the-url@redis.internal:6379/0', sent: 'AUTH p@ss-in-the-url' }, 'store');
  const logged = lines.join('\n');
  expect(logged).toContain('[redacted]');
  for (const secret of ['separate-redis-secret', 'p%40ss-in-the-url', 'p@ss-in-the-url']) expect(logged).not.toContain(secret);
});
