/**
 * Credentials across the gateway: what a client presents never goes upstream (the upstream request carries the
 * deployment's signature alone), keys are found by their SHA-256 rather than compared character by character, and a
 * refusal says the same thing however close a guess came.
 */
import { createHash } from 'node:crypto';
import { EMULATOR_CREDENTIALS, startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import type { KeyConfig } from '../../lib/config/types';
import { constantTimeEqual } from '../../lib/util/constant-time';
import { MASTER_KEY, deploymentOn, post, startGateway, type RunningGateway } from '../support/gateway';

const BODY = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hi' }] }] });
const TEAM_KEY = 'sk-team-security-7f3a9c';
const STORED_KEY = 'sk-stored-as-hash-only-41d2';
const SOURCED_KEY = 'sk-from-the-key-source-88e1';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let emulator: BedrockEmulator;
let gateway: RunningGateway;
/** What the host's key source was asked for. */
const lookedUp: string[] = [];

beforeAll(async () => {
  emulator = await startBedrockEmulator();
  gateway = await startGateway({
    model_list: [deploymentOn(emulator, 'claude', 'anthropic.claude-3-5-sonnet-20240620-v1:0')],
    general_settings: { master_key: MASTER_KEY, key_header_name: 'X-Gateway-Key' },
    // A config author cannot open the way for credentials either.
    bedrock_settings: { forward_headers: ['Authorization', 'X-Api-Key', 'X-Amz-Security-Token', 'X-Amz-Date', 'Cookie', 'X-Forwarded-Host'] },
    keys: [
      { key: TEAM_KEY, name: 'team' },
      { key_sha256: sha256(STORED_KEY), name: 'stored' },
    ],
    keySource: async (keySha256: string): Promise<KeyConfig | undefined> => {
      lookedUp.push(keySha256);
      return keySha256 === sha256(SOURCED_KEY) ? { name: 'sourced' } : undefined;
    },
  });
});
afterAll(async () => {
  await gateway.close();
  await emulator.close();
});
beforeEach(() => {
  emulator.reset();
  lookedUp.length = 0;
});

const converse = (headers: Record<string, string>) => post(gateway, '/model/claude/converse', BODY, { 'content-type': 'application/json', ...headers });

describe('what the client presents never goes upstream', () => {
  const clientHeaders: Record<string, string> = {
    'x-api-key': TEAM_KEY,
    'x-amz-security-token': 'client-session-token-0123456789',
    'x-amz-date': '20200101T000000Z',
    'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
    'x-amz-user-agent': 'client-agent',
    'x-amz-target': 'AnotherService.Operation',
    cookie: 'session=client-cookie-0123456789',
    'x-pass-authorization': `Bearer ${TEAM_KEY}`,
    'x-pass-x-api-key': TEAM_KEY,
    'x-pass-x-gateway-key': TEAM_KEY,
    'x-pass-x-amz-security-token': 'client-session-token-0123456789',
    'x-pass-cookie': 'session=client-cookie-0123456789',
  };

  it.each([
    ['Authorization: Bearer', { authorization: `Bearer ${TEAM_KEY}` }],
    ['the configured key header', { 'x-gateway-key': TEAM_KEY }],
    ['x-api-key', {}],
  ])('with the key in %s, the upstream request has the deployment’s SigV4 and none of the client’s credentials', async (_where, key) => {
    const response = await converse({ ...clientHeaders, ...key });
    expect(response.status).toBe(200);
    const [sent] = emulator.requests;
    expect(sent?.auth).toMatchObject({ scheme: 'sigv4', accepted: true, accessKeyId: EMULATOR_CREDENTIALS.accessKeyId });
    const upstreamHeaders = JSON.stringify(sent?.headers);
    for (const secret of [TEAM_KEY, 'client-session-token-0123456789', 'client-cookie-0123456789', 'UNSIGNED-PAYLOAD', 'client-agent', 'AnotherService']) {
      expect(upstreamHeaders).not.toContain(secret);
    }
    expect(sent?.headers['x-amz-date']).not.toBe('20200101T000000Z');
    expect(sent?.headers['cookie']).toBeUndefined();
    expect(sent?.headers['x-amz-security-token']).toBeUndefined();
  });
});

describe('keys are looked up by their SHA-256, never compared as text', () => {
  it('a host’s key source is asked with the hash of the presented key, never the key', async () => {
    expect((await converse({ authorization: `Bearer ${SOURCED_KEY}` })).status).toBe(200);
    expect(lookedUp).toEqual([sha256(SOURCED_KEY)]);
  });

  it('a key configured only as key_sha256 opens the gateway: the gateway never needed the key itself', async () => {
    expect((await converse({ authorization: `Bearer ${STORED_KEY}` })).status).toBe(200);
  });

  it('a guess sharing a prefix, a prefix, an extension or a case change of a real key gets the refusal any key gets', async () => {
    const refusals = new Set<string>();
    for (const guess of [
      'sk-completely-unrelated',
      `${MASTER_KEY.slice(0, -1)}x`,
      MASTER_KEY.slice(0, -1),
      `${MASTER_KEY}0`,
      MASTER_KEY.toUpperCase(),
      `${TEAM_KEY.slice(0, -1)}x`,
      sha256(TEAM_KEY),
    ]) {
      const response = await converse({ authorization: `Bearer ${guess}` });
      refusals.add(`${response.status} ${response.headers.get('x-amzn-errortype')} ${await response.text()}`);
      expect(lookedUp.at(-1)).toBe(sha256(guess));
    }
    expect([...refusals]).toEqual(['403 AccessDeniedException {"message":"The API key is not valid."}']);
    expect(emulator.requests).toHaveLength(0);
  });

  it('the admin API answers every wrong master key alike', async () => {
    const answers = new Set<string>();
    for (const guess of ['wrong', `${MASTER_KEY.slice(0, -1)}x`, MASTER_KEY.slice(0, -1), `${MASTER_KEY}0`, TEAM_KEY]) {
      const response = await fetch(`${gateway.url}/admin/keys`, { headers: { authorization: `Bearer ${guess}` } });
      answers.add(`${response.status} ${await response.text()}`);
    }
    expect([...answers]).toEqual(['403 {"message":"The master key is not valid."}']);
  });

  it('the comparison used for the master key and signatures hashes both sides first: no length or prefix to learn', () => {
    expect(constantTimeEqual(MASTER_KEY, MASTER_KEY)).toBe(true);
    for (const other of ['', MASTER_KEY.slice(0, -1), `${MASTER_KEY}0`, `${MASTER_KEY.slice(0, -1)}x`]) {
      expect(constantTimeEqual(MASTER_KEY, other)).toBe(false);
    }
  });
});
