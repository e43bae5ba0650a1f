/**
 * The gateway's check of client SigV4 signatures, against signatures made by the AWS SDK's own signer
 * (`@smithy/signature-v4`): every request it signs verifies; every change to what was signed is refused.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import type { IncomingHttpHeaders } from 'node:http';
import { createSigV4Verifier, type SignedRequest, type SigningKey } from '../../lib/auth/client-sigv4';
import { GatewayError } from '../../lib/errors';
import { MemoryStore } from '../../lib/state/memory-store';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const KEY: SigningKey = {
  accessKeyId: 'GWKEYTEAMA00000001',
  secretAccessKey: 'team-a/secret/for-signing-tests',
  principal: { keyId: 'key:team-a', keyName: 'team-a' },
};
const OTHER_KEY: SigningKey = {
  accessKeyId: 'GWKEYTEAMB00000002',
  secretAccessKey: 'team-b/another/secret',
  principal: { keyId: 'key:team-b', keyName: 'team-b' },
};

interface ClientRequest {
  readonly method: string;
  /** The path as sent: encoded once. */
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly region?: string;
  readonly signedAt?: number;
  readonly credentials?: SigningKey;
  /** Over HTTP/2 the SDK sends, and signs, the host as `:authority`. */
  readonly http2?: boolean;
}

/** Signs as the AWS JS SDK does: the path encoded once more, every header but the unsignable ones, the body hash. */
async function signAsSdk(request: ClientRequest): Promise<Record<string, string>> {
  const key = request.credentials ?? KEY;
  const signer = new SignatureV4({
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    region: request.region ?? 'us-east-1',
    service: 'bedrock',
    sha256: Sha256,
    uriEscapePath: true,
  });
  const signed = await signer.sign(
    { method: request.method, protocol: 'http:', hostname: 'gateway.internal:8080', path: request.path, query: request.query ?? {}, headers: { [request.http2 ? ':authority' : 'host']: 'gateway.internal:8080', ...request.headers }, body: request.body },
    { signingDate: new Date(request.signedAt ?? NOW) },
  );
  return signed.headers;
}

function received(request: ClientRequest, headers: Record<string, string>, overrides: Partial<SignedRequest> = {}): SignedRequest {
  const query = new URLSearchParams(request.query ?? {}).toString().replace(/\+/g, '%20');
  return {
    method: request.method,
    target: query ? `${request.path}?${query}` : request.path,
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])) as IncomingHttpHeaders,
    body: () => Promise.resolve(request.body),
    ...overrides,
  };
}

function verifier(now = () => NOW) {
  return createSigV4Verifier([KEY, OTHER_KEY], new MemoryStore(now), now);
}

async function refusal(promise: Promise<unknown>): Promise<{ type: string; status: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayError) return { type: error.type, status: error.status, message: error.message };
    throw error;
  }
  throw new Error('the request was accepted');
}

const CONVERSE: ClientRequest = {
  method: 'POST',
  path: `/bedrock/model/${encodeURIComponent('anthropic.claude-3-5-sonnet-20240620-v1:0')}/converse`,
  headers: { 'content-type': 'application/json', 'amz-sdk-request': 'attempt=1; max=3' },
  body: Buffer.from('{"messages":[{"role":"user","content":[{"text":"hi"}]}]}'),
};

describe('client SigV4 verification', () => {
  it("accepts what the AWS SDK signs, in any region, and resolves to the key's principal", async () => {
    const verify = verifier();
    for (const region of ['us-east-1', 'eu-central-2', 'ap-southeast-7']) {
      const request = { ...CONVERSE, region };
      await expect(verify(received(request, await signAsSdk(request)))).resolves.toEqual(KEY.principal);
    }
  });

  it('accepts random requests the SDK signed: mount paths, model ids with : and ARNs, queries, headers, bodies', async () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9._~-]{1,10}$/);
    const modelId = fc.oneof(
      fc.constantFrom('amazon.nova-lite-v1:0', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0'),
      fc.tuple(segment, segment).map(([account, name]) => `arn:aws:bedrock:us-east-1:${account}:application-inference-profile/${name}`),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }),
    );
    const request = fc.record({
      mount: fc.array(segment, { maxLength: 3 }).map((parts) => parts.map((part) => `/${part}`).join('')),
      modelId,
      operation: fc.constantFrom('invoke', 'converse', 'converse-stream', 'count-tokens'),
      query: fc.dictionary(segment, fc.string({ maxLength: 8 }), { maxKeys: 3 }),
      extraHeaders: fc.dictionary(fc.stringMatching(/^x-(amzn-bedrock|custom)-[a-z]{1,6}$/), fc.stringMatching(/^[ -~]{0,12}$/), { maxKeys: 3 }),
      body: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
    });
    let seen = 0;
    await fc.assert(
      fc.asyncProperty(request, async ({ mount, modelId: id, operation, query, extraHeaders, body }) => {
        const client: ClientRequest = {
          method: 'POST',
          path: `${mount}/model/${encodeURIComponent(id)}/${operation}`,
          query,
          headers: { 'content-type': 'application/octet-stream', ...extraHeaders },
          body,
          // Distinct times keep equal requests from being replays of each other.
          signedAt: NOW - ++seen * 1000,
        };
        const principal = await verifier()(received(client, await signAsSdk(client)));
        expect(principal).toEqual(KEY.principal);
      }),
      { numRuns: 200 },
    );
  });

  it('accepts a repeated header, signed as its values joined with commas', async () => {
    const request = { ...CONVERSE, headers: { ...CONVERSE.headers, 'x-amzn-bedrock-trace': 'ENABLED,DISABLED' } };
    const headers = await signAsSdk(request);
    const distinct = { ...Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), [value]])), 'x-amzn-bedrock-trace': ['ENABLED', 'DISABLED'] };
    await expect(verifier()(received(request, headers, { headersDistinct: distinct }))).resolves.toEqual(KEY.principal);
  });

  it('accepts the host signed as :authority, as the SDK signs over HTTP/2, and refuses another authority', async () => {
    const request = { ...CONVERSE, http2: true };
    const headers = await signAsSdk(request);
    expect(lowerCased(headers)['authorization']).toContain('SignedHeaders=:authority;');
    await expect(verifier()(received(request, headers))).resolves.toEqual(KEY.principal);
    expect(await refusal(verifier()(received(request, { ...lowerCased(headers), ':authority': 'evil.example' })))).toMatchObject({ type: 'InvalidSignatureException' });
  });

  it('takes a signed host from :authority when the request came over HTTP/2 through a proxy', async () => {
    const headers = await signAsSdk(CONVERSE);
    const { host, ...rest } = lowerCased(headers);
    await expect(verifier()(received(CONVERSE, { ...rest, ':authority': host as string }))).resolves.toEqual(KEY.principal);
  });

  it.each<[string, (request: ClientRequest, headers: Record<string, string>) => Partial<SignedRequest>]>([
    ['another body', (request) => ({ body: () => Promise.resolve(Buffer.concat([request.body, Buffer.from(' ')])) })],
    ['another path (the mount point dropped)', (request) => ({ target: request.path.replace('/bedrock', '') })],
    ['the model segment decoded', (request) => ({ target: request.path.replace('%3A', ':') })],
    ['another method', () => ({ method: 'PUT' })],
    ['an added query', (request) => ({ target: `${request.path}?a=1` })],
    ['another host', (_request, headers) => ({ headers: { ...lowerCased(headers), host: 'evil.example' } })],
    ['a changed signed header', (_request, headers) => ({ headers: { ...lowerCased(headers), 'content-type': 'text/plain' } })],
    ['a signed header missing', (_request, headers) => ({ headers: withoutHeader(headers, 'amz-sdk-request') })],
  ])('refuses %s with InvalidSignatureException (403)', async (_, change) => {
    const headers = await signAsSdk(CONVERSE);
    expect(await refusal(verifier()(received(CONVERSE, headers, change(CONVERSE, headers))))).toMatchObject({
      type: 'InvalidSignatureException',
      status: 403,
      message: expect.stringContaining('does not match the signature you provided'),
    });
  });

  it('refuses a request signed with another key\'s secret under this key\'s id', async () => {
    const forged = { ...CONVERSE, credentials: { ...OTHER_KEY, accessKeyId: KEY.accessKeyId } };
    expect(await refusal(verifier()(received(forged, await signAsSdk(forged))))).toMatchObject({ type: 'InvalidSignatureException' });
  });

  it('refuses an unknown access key id as AWS does', async () => {
    const stranger = { ...CONVERSE, credentials: { ...KEY, accessKeyId: 'AKIAUNKNOWN000000000' } };
    expect(await refusal(verifier()(received(stranger, await signAsSdk(stranger))))).toMatchObject({
      type: 'UnrecognizedClientException',
      status: 403,
    });
  });

  it('refuses the same signature twice, but not two signings of the same request', async () => {
    const verify = verifier();
    const headers = await signAsSdk(CONVERSE);
    await verify(received(CONVERSE, headers));
    expect(await refusal(verify(received(CONVERSE, headers)))).toMatchObject({
      type: 'InvalidSignatureException',
      message: expect.stringContaining('already used'),
    });
    // An SDK's retry is signed afresh: its attempt header (or its date) differs.
    const retry = { ...CONVERSE, headers: { ...CONVERSE.headers, 'amz-sdk-request': 'attempt=2; max=3' } };
    await expect(verify(received(retry, await signAsSdk(retry)))).resolves.toEqual(KEY.principal);
  });

  it('forgets a used signature only once its date is too old to pass again', async () => {
    let clock = NOW;
    const verify = verifier(() => clock);
    const headers = await signAsSdk(CONVERSE);
    await verify(received(CONVERSE, headers));
    clock = NOW + 5 * 60_000;
    expect(await refusal(verify(received(CONVERSE, headers)))).toMatchObject({ message: expect.stringContaining('already used') });
    clock = NOW + 5 * 60_000 + 1001;
    expect(await refusal(verify(received(CONVERSE, headers)))).toMatchObject({ message: expect.stringMatching(/^Signature expired/) });
  });

  it('accepts a signature up to 5 minutes off the clock either way, and refuses one further off', async () => {
    for (const offsetMs of [-5 * 60_000, 5 * 60_000]) {
      const request = { ...CONVERSE, signedAt: NOW + offsetMs };
      await expect(verifier()(received(request, await signAsSdk(request)))).resolves.toEqual(KEY.principal);
    }
    const old = { ...CONVERSE, signedAt: NOW - 5 * 60_000 - 1000 };
    expect(await refusal(verifier()(received(old, await signAsSdk(old))))).toMatchObject({
      type: 'InvalidSignatureException',
      message: expect.stringMatching(/^Signature expired: 20261121T115459Z is now earlier than 20261121T115500Z/),
    });
    const future = { ...CONVERSE, signedAt: NOW + 5 * 60_000 + 1000 };
    expect(await refusal(verifier()(received(future, await signAsSdk(future))))).toMatchObject({
      message: expect.stringMatching(/^Signature not yet current/),
    });
  });

  it('refuses a body that does not match its x-amz-content-sha256, and UNSIGNED-PAYLOAD', async () => {
    const headers = await signAsSdk(CONVERSE);
    expect(await refusal(verifier()(received(CONVERSE, { ...headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' })))).toMatchObject({
      type: 'InvalidSignatureException',
      message: expect.stringContaining('signed payloads'),
    });
  });

  it('refuses a signature for another service, and malformed ones as IncompleteSignatureException', async () => {
    const headers = lowerCased(await signAsSdk(CONVERSE));
    const otherService = headers['authorization']!.replace('/bedrock/', '/s3/');
    expect(await refusal(verifier()(received(CONVERSE, { ...headers, authorization: otherService })))).toMatchObject({
      type: 'InvalidSignatureException',
      message: expect.stringContaining("'bedrock'"),
    });
    for (const authorization of ['AWS4-HMAC-SHA256 Credential=x', `AWS4-HMAC-SHA256 Credential=${KEY.accessKeyId}/20261121/us-east-1/bedrock/wrong, SignedHeaders=host, Signature=00`]) {
      expect(await refusal(verifier()(received(CONVERSE, { ...headers, authorization })))).toMatchObject({ type: 'IncompleteSignatureException', status: 403 });
    }
    const { 'x-amz-date': _, ...undated } = headers;
    expect(await refusal(verifier()(received(CONVERSE, undated)))).toMatchObject({ type: 'IncompleteSignatureException' });
  });
});

function lowerCased(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

function withoutHeader(headers: Record<string, string>, name: string): Record<string, string> {
  const copy = lowerCased(headers);
  delete copy[name];
  return copy;
}
