/** The admin API through a real `node:http` server, with a fake of the gateway's data. */
import { request } from 'node:http';
import { createAdminHandler } from '../../lib/admin';
import type { Logger } from '../../lib/types';
import { startAdminServer, type RunningAdminServer } from './admin-server';
import { AWS_SECRET, CLIENT_KEY_SECRET, createFakeAdminData, DAYS, MASTER_KEY, type FakeAdminData } from './fake-admin-data';

const KEY_HEADER = 'x-gateway-key';
const JSON_ROUTES = ['/spend', '/deployments', '/keys', '/errors'] as const;
const ALL_ROUTES = ['', '/', ...JSON_ROUTES] as const;

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Every way of presenting the master key. */
const PRESENTATIONS: ReadonlyArray<[string, Record<string, string>]> = [
  ['Authorization: Bearer', { authorization: `Bearer ${MASTER_KEY}` }],
  ['x-api-key', { 'x-api-key': MASTER_KEY }],
  ['the configured key header', { [KEY_HEADER]: MASTER_KEY }],
  ['HTTP Basic, any user name', { authorization: basic('whoever', MASTER_KEY) }],
  ['HTTP Basic, no user name', { authorization: basic('', MASTER_KEY) }],
];
const MASTER = { authorization: `Bearer ${MASTER_KEY}` };

let fake: FakeAdminData;
let server: RunningAdminServer;
const logged: Array<{ fields: object; message: string | undefined }> = [];
const logger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (fields, message) => logged.push({ fields, message }),
};

beforeEach(async () => {
  fake = createFakeAdminData();
  logged.length = 0;
  server = await startAdminServer({ masterKey: MASTER_KEY, keyHeaderName: KEY_HEADER, data: fake.data, logger });
});
afterEach(() => server.close());

const get = (path: string, headers: Record<string, string> = MASTER, method = 'GET') =>
  fetch(`${server.url}${path}`, { method, headers });

async function expectBedrockError(response: Response, status: number, type: string): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get('x-amzn-errortype')).toBe(type);
  expect(response.headers.get('content-type')).toBe('application/json');
  expect(response.headers.get('cache-control')).toBe('no-store');
  const body = (await response.json()) as { message: unknown };
  expect(Object.keys(body)).toEqual(['message']);
  expect(typeof body.message).toBe('string');
  return body.message as string;
}

describe('authentication', () => {
  test.each(PRESENTATIONS)('accepts the master key from %s, on every route', async (_, headers) => {
    for (const path of ALL_ROUTES) expect((await get(path, headers)).status).toBe(200);
  });

  test('without any credentials: 401 with a Basic challenge, on the page and on the JSON routes', async () => {
    for (const path of ALL_ROUTES) {
      const response = await get(path, {});
      const message = await expectBedrockError(response, 401, 'AccessDeniedException');
      expect(response.headers.get('www-authenticate')).toBe('Basic realm="bedrock-passthrough admin", charset="UTF-8"');
      expect(message).toMatch(/master key/);
    }
    expect(fake.calls).toEqual([]);
  });

  test.each([
    ['a wrong Bearer key', { authorization: 'Bearer sk-guess' }],
    ['a wrong x-api-key', { 'x-api-key': 'sk-guess' }],
    ['a wrong key header', { [KEY_HEADER]: 'sk-guess' }],
    ['a wrong Basic password', { authorization: basic('admin', 'sk-guess') }],
    ['Basic without a password', { authorization: basic('admin', '') }],
    ['a malformed Basic header', { authorization: 'Basic !!!' }],
    ['a client key that is not the master key', { authorization: `Bearer ${CLIENT_KEY_SECRET}` }],
    ['a SigV4 signature', { authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260303/us-east-1/bedrock/aws4_request' }],
  ])('with %s: 403 AccessDeniedException on the JSON routes, without a challenge', async (_, headers) => {
    for (const path of JSON_ROUTES) {
      const response = await get(path, headers);
      expect(await expectBedrockError(response, 403, 'AccessDeniedException')).toBe('The master key is not valid.');
      expect(response.headers.get('www-authenticate')).toBeNull();
    }
    expect(fake.calls).toEqual([]);
  });

  test('with wrong credentials the page answers 401 with a challenge, so that a browser asks again', async () => {
    const wrong: Array<Record<string, string>> = [{ authorization: basic('admin', 'typo') }, { 'x-api-key': 'sk-guess' }];
    for (const headers of wrong) {
      const response = await get('/', headers);
      await expectBedrockError(response, 401, 'AccessDeniedException');
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm="bedrock-passthrough admin"/);
    }
  });

  test('a key that merely starts like the master key is refused', async () => {
    expect((await get('/keys', { 'x-api-key': MASTER_KEY.slice(0, -1) })).status).toBe(403);
    expect((await get('/keys', { 'x-api-key': `${MASTER_KEY}x` })).status).toBe(403);
  });

  test('refuses to be created without a master key', () => {
    expect(() => createAdminHandler({ masterKey: '', data: fake.data })).toThrow(/master key/);
  });
});

describe('routes', () => {
  test('answers JSON that is never cached', async () => {
    for (const path of JSON_ROUTES) {
      const response = await get(path);
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  test('GET /admin/spend: the spend report, from a day when asked', async () => {
    const all = (await (await get('/spend')).json()) as { rows: unknown[]; total: { costUsd: number; requests: number } };
    expect(all.rows).toHaveLength(12);
    expect(all.total.costUsd).toBeCloseTo(12.5);
    expect(Object.keys(all).sort()).toEqual(['byDay', 'byKey', 'byModel', 'rows', 'total']);

    const recent = (await (await get(`/spend?since=${DAYS[1]}`)).json()) as { rows: Array<{ day: string }>; byDay: object };
    expect(recent.rows).toHaveLength(8);
    expect(Object.keys(recent.byDay).sort()).toEqual([DAYS[1], DAYS[2]]);
    expect(fake.calls).toEqual([
      { method: 'spend', argument: {} },
      { method: 'spend', argument: { since: DAYS[1] } },
    ]);
  });

  test.each(['yesterday', '2026-3-1', '2026-02-30', '2026-03-01T00:00:00Z', ''])(
    'GET /admin/spend?since=%s: 400 ValidationException, the data left unasked',
    async (since) => {
      const message = await expectBedrockError(await get(`/spend?since=${encodeURIComponent(since)}`), 400, 'ValidationException');
      expect(message).toBe('since must be a day, YYYY-MM-DD.');
      expect(fake.calls).toEqual([]);
    },
  );

  test('GET /admin/deployments: the published fields only, the credentials left behind', async () => {
    const body = (await (await get('/deployments')).json()) as { deployments: Array<Record<string, unknown>> };
    expect(Object.keys(body)).toEqual(['deployments']);
    expect(body.deployments).toHaveLength(2);
    expect(body.deployments[1]).toEqual({
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
    });
  });

  test('GET /admin/keys: limits, metadata and usage, never the secret', async () => {
    const body = (await (await get('/keys')).json()) as { keys: Array<Record<string, unknown>> };
    expect(Object.keys(body)).toEqual(['keys']);
    expect(body.keys[0]).toEqual({
      id: 'key:alice',
      name: 'alice',
      models: ['claude-sonnet'],
      operations: null,
      limits: { rpm: 100, tpm: 50_000, maxParallelRequests: 4, maxBudgetUsd: 25, budgetDuration: '30d', expires: '2027-01-01T00:00:00.000Z' },
      disabled: false,
      metadata: { team: 'search', owner: 'ana@example.com' },
      usage: { thisMinute: { requests: 12, tokens: 8_000 }, inFlight: 1, budgetSpendUsd: 6.25, budgetResetsAt: '2026-12-01T00:00:00.000Z' },
    });
    for (const key of body.keys) expect(key).not.toHaveProperty('key');
  });

  test('GET /admin/errors: the failed requests, without their messages', async () => {
    const body = (await (await get('/errors')).json()) as { errors: Array<Record<string, unknown>> };
    expect(Object.keys(body)).toEqual(['errors']);
    expect(body.errors[0]).toEqual({
      time: '2026-03-03T11:59:58.000Z',
      requestId: 'req-0001',
      keyName: 'alice',
      modelName: 'claude-sonnet',
      operation: 'converse',
      deploymentId: 'claude-west',
      status: 429,
      errorType: 'ThrottlingException',
    });
    for (const error of body.errors) expect(error).not.toHaveProperty('message');
  });

  test('no secret in any answer: the master key, client keys and upstream credentials', async () => {
    const answers = [
      ...ALL_ROUTES.map((path) => get(path)),
      ...ALL_ROUTES.map((path) => get(path, {})),
      ...ALL_ROUTES.map((path) => get(path, { authorization: 'Bearer wrong' })),
      get('/nowhere'),
      get('/keys', MASTER, 'POST'),
    ];
    for (const answer of await Promise.all(answers)) {
      const text = `${[...answer.headers].join('\n')}\n${await answer.text()}`;
      for (const secret of [MASTER_KEY, CLIENT_KEY_SECRET, AWS_SECRET, 'AKIDEXAMPLE']) expect(text).not.toContain(secret);
    }
  });

  test('unknown admin paths: 404 UnknownOperationException, before any credentials are needed', async () => {
    for (const path of ['/nowhere', '/spend/', '/Spend', '/keys/alice', '//', '/constructor', '/__proto__']) {
      expect(await expectBedrockError(await get(path, {}), 404, 'UnknownOperationException')).toBe(`No admin route at ${path}.`);
    }
    expect(fake.calls).toEqual([]);
  });

  test.each(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])('%s: 405 with Allow, and nothing is read or changed', async (method) => {
    for (const path of ALL_ROUTES) {
      const response = await get(path, MASTER, method);
      await expectBedrockError(response, 405, 'UnknownOperationException');
      expect(response.headers.get('allow')).toBe('GET, HEAD');
    }
    expect(fake.calls).toEqual([]);
  });

  test('HEAD: the head of the GET answer, no body', async () => {
    for (const path of ['/', '/keys']) {
      const [head, full] = await Promise.all([rawRequest('HEAD', path, MASTER), rawRequest('GET', path, MASTER)]);
      expect(head.status).toBe(200);
      expect(head.body).toBe('');
      expect(head.headers['content-length']).toBe(full.headers['content-length']);
      expect(head.headers['content-type']).toBe(full.headers['content-type']);
    }
  });

  test('a failing data source: 500 InternalServerException that tells the client nothing of the cause', async () => {
    fake.failure = new Error(`store unreachable at redis://:${CLIENT_KEY_SECRET}@cache`);
    for (const path of JSON_ROUTES) {
      const message = await expectBedrockError(await get(path), 500, 'InternalServerException');
      expect(message).toBe('The admin data is unavailable; see the gateway log.');
    }
    expect(logged.map((line) => line.fields)).toEqual(
      JSON_ROUTES.map((path) => ({ route: `/admin${path}`, error: expect.stringContaining('store unreachable') })),
    );
  });

  test('a data method that throws synchronously, or returns what JSON cannot carry: 500 as well', async () => {
    const data = { ...fake.data, keys: () => { throw new Error('not async'); }, recentErrors: async () => [{ status: 1n }] };
    const other = await startAdminServer({ masterKey: MASTER_KEY, data: data as unknown as typeof fake.data });
    try {
      expect((await fetch(`${other.url}/keys`, { headers: MASTER })).status).toBe(500);
      expect((await fetch(`${other.url}/errors`, { headers: MASTER })).status).toBe(500);
    } finally {
      await other.close();
    }
  });
});

/** A request through `node:http` itself: `fetch` hides what a HEAD answer carries. */
function rawRequest(method: string, path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
