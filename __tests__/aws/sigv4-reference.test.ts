/**
 * Differential test: our signer against the AWS SDK's (`@smithy/signature-v4` with `@aws-crypto/sha256-js`),
 * byte for byte, on random requests.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { isNeverSigned, signRequest } from '../../lib/aws/sigv4';

const RUNS = 2000;

const MODEL_IDS = [
  'anthropic.claude-3-5-sonnet-20240620-v1:0',
  'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
  'amazon.nova-lite-v1:0',
  'meta.llama3-70b-instruct-v1:0',
  'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0',
  'arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/a1b2c3d4e5',
  'arn:aws:bedrock:us-west-2::foundation-model/cohere.command-r-v1:0',
];
const OPERATIONS = ['invoke', 'invoke-with-response-stream', 'converse', 'converse-stream', 'count-tokens'];

const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const modelId = fc.oneof(
  fc.constantFrom(...MODEL_IDS),
  fc.tuple(text, text).map(([vendor, name]) => `${vendor}.${name}-v1:0`),
  fc.tuple(text, text).map(([account, name]) => `arn:aws:bedrock:us-east-1:${account}:inference-profile/${name}`),
);
const modelPath = fc
  .tuple(modelId, fc.constantFrom(...OPERATIONS))
  .map(([id, operation]) => `/model/${encodeURIComponent(id)}/${operation}`);
/** Characters legal unencoded in a path segment, reserved ones included. */
const rawSegment = fc.stringMatching(/^[A-Za-z0-9\-._~!$&'()*+,;=:@]{0,8}$/);
const pathSegment = fc.oneof(
  text.map(encodeURIComponent),
  rawSegment,
  fc.constantFrom('.', '..', '', '%2F', '%3A', '%25', 'a%20b', '%E1%88%B4'),
);
const otherPath = fc
  .tuple(fc.array(pathSegment, { maxLength: 6 }), fc.boolean())
  .map(([segments, trailingSlash]) => `/${segments.join('/')}${trailingSlash ? '/' : ''}`);

/** `__proto__` is left out: the reference copies the query into a plain object and so loses that key. */
const queryKey = text.filter((key) => key !== '__proto__');
const queryPairs = fc.array(fc.tuple(queryKey, text), { maxLength: 4 });

const headerName = fc.oneof(
  fc.constantFrom(
    'content-type',
    'accept',
    'content-length',
    'x-amzn-bedrock-trace',
    'x-amzn-bedrock-guardrailidentifier',
    'x-amz-target',
    'x-amz-user-agent',
    'user-agent',
    'connection',
    'date',
    'via',
    'forwarded',
    'x-forwarded-for',
    'proxy-authorization',
    'sec-fetch-mode',
    'cache-control',
  ),
  fc.stringMatching(/^x-amz-[a-z]{1,8}$/),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/),
);
/** Printable text with odd spacing: runs of spaces and tabs, leading and trailing blanks, folded lines. */
const oddlySpaced = fc
  .array(fc.oneof(fc.stringMatching(/^[!-~]{1,6}$/), fc.constantFrom(' ', '  ', '\t', ' \t ', '\n ', 'é', 'ሴ')), {
    maxLength: 8,
  })
  .map((parts) => parts.join(''));
const trimmed = oddlySpaced.map((value) => value.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, ''));
const headerValue = fc.oneof(
  { weight: 4, arbitrary: oddlySpaced },
  { weight: 1, arbitrary: fc.array(trimmed, { minLength: 2, maxLength: 3 }) },
);

const body = fc.oneof(
  fc.constant(undefined),
  fc.constant(''),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.uint8Array({ maxLength: 2048 }),
);

const requestCase = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'),
  host: fc.constantFrom('bedrock-runtime.us-east-1.amazonaws.com', '127.0.0.1:4010', 'localhost:3000'),
  path: fc.oneof(modelPath, otherPath),
  query: fc.option(queryPairs, { nil: undefined }),
  headers: fc.dictionary(headerName, fc.tuple(headerValue, fc.boolean()), { maxKeys: 8 }),
  body,
  credentials: fc.record({
    accessKeyId: fc.stringMatching(/^[A-Z0-9]{16,20}$/),
    secretAccessKey: fc.string({ minLength: 1, maxLength: 40 }),
    sessionToken: fc.option(fc.base64String({ minLength: 4, maxLength: 60 }), { nil: undefined }),
  }),
  region: fc.constantFrom('us-east-1', 'us-west-2', 'eu-central-1', 'ap-northeast-1', 'us-gov-west-1'),
  service: fc.constantFrom('bedrock', 'bedrock', 'execute-api'),
  date: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
  contentSha256Header: fc.boolean(),
});

type RequestCase = typeof requestCase extends fc.Arbitrary<infer T> ? T : never;

async function referenceSignature(input: RequestCase, signHeaders: readonly string[]): Promise<Record<string, string>> {
  const headers: Record<string, string> = { host: input.host };
  const extraUnsignable = new Set<string>();
  for (const [name, [value]] of Object.entries(input.headers)) {
    const signedByUs = name === 'content-type' || name.startsWith('x-amz-') || signHeaders.includes(name);
    if (!signedByUs) continue;
    headers[name] = typeof value === 'string' ? value : value.join(',');
    if (isNeverSigned(name)) extraUnsignable.add(name);
  }
  const queryValues = new Map<string, string[]>();
  for (const [key, value] of input.query ?? []) queryValues.set(key, [...(queryValues.get(key) ?? []), value]);
  const query = Object.fromEntries(
    [...queryValues].map(([key, values]) => [key, values.length === 1 ? (values[0] as string) : values]),
  );
  const signer = new SignatureV4({
    credentials: input.credentials,
    region: input.region,
    service: input.service,
    sha256: Sha256,
    applyChecksum: input.contentSha256Header,
    uriEscapePath: true,
  });
  const signed = await signer.sign(
    new HttpRequest({ method: input.method, hostname: input.host, path: input.path, query, headers, body: input.body }),
    { signingDate: input.date, unsignableHeaders: extraUnsignable },
  );
  return signed.headers;
}

function wireQuery(pairs: ReadonlyArray<readonly [string, string]> | undefined): string | undefined {
  return pairs?.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&');
}

describe('signRequest equals @smithy/signature-v4', () => {
  it(`on ${RUNS} random requests`, async () => {
    await fc.assert(
      fc.asyncProperty(requestCase, async (input) => {
        const headers = Object.fromEntries(Object.entries(input.headers).map(([name, [value]]) => [name, value]));
        const signHeaders = Object.entries(input.headers)
          .filter(([, [, askToSign]]) => askToSign)
          .map(([name]) => name);
        const ours = signRequest(
          {
            method: input.method,
            host: input.host,
            path: input.path,
            query: wireQuery(input.query),
            headers,
            body: input.body,
          },
          {
            credentials: input.credentials,
            region: input.region,
            service: input.service,
            date: input.date,
            signHeaders,
            contentSha256Header: input.contentSha256Header,
          },
        );
        const reference = await referenceSignature(input, signHeaders);
        expect(ours.authorization).toBe(reference['authorization']);
        expect(ours['x-amz-date']).toBe(reference['x-amz-date']);
        expect(ours['x-amz-content-sha256']).toBe(reference['x-amz-content-sha256']);
        expect(ours['x-amz-security-token']).toBe(reference['x-amz-security-token']);
      }),
      { numRuns: RUNS },
    );
  });

  it('signs a model id with ":" as the AWS SDK does (segment encoded twice)', async () => {
    const request = {
      method: 'POST',
      host: 'bedrock-runtime.us-east-1.amazonaws.com',
      path: '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke',
      headers: { 'content-type': 'application/json' },
      body: '{"anthropic_version":"bedrock-2023-05-31"}',
    };
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
    const date = new Date('2026-11-21T12:00:00Z');
    const ours = signRequest(request, { credentials, region: 'us-east-1', date });
    const reference = await new SignatureV4({ credentials, region: 'us-east-1', service: 'bedrock', sha256: Sha256 }).sign(
      new HttpRequest({ ...request, hostname: request.host, headers: { ...request.headers, host: request.host } }),
      { signingDate: date },
    );
    expect(ours.authorization).toBe(reference.headers['authorization']);
  });
});

describe('signRequest header rules', () => {
  const base = {
    method: 'POST',
    host: 'bedrock-runtime.us-east-1.amazonaws.com',
    path: '/model/m/converse',
  };
  const params = {
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
    region: 'us-east-1',
    date: new Date('2026-11-21T12:00:00Z'),
  };
  const signedHeaderList = (authorization: string) => /SignedHeaders=([^,]+)/.exec(authorization)?.[1];

  it('signs host, content-type and x-amz-* by default, and nothing else', () => {
    const signed = signRequest(
      {
        ...base,
        headers: { 'content-type': 'application/json', accept: '*/*', 'x-amz-target': 't', 'x-custom': 'c' },
      },
      params,
    );
    expect(signedHeaderList(signed.authorization)).toBe('content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target');
  });

  it('never signs hop-by-hop or proxy-rewritten headers, even when asked', () => {
    const names = ['connection', 'transfer-encoding', 'user-agent', 'x-forwarded-for', 'via', 'proxy-authorization', 'te'];
    const headers = Object.fromEntries(names.map((name) => [name, 'v']));
    const signed = signRequest({ ...base, headers: { ...headers, accept: 'a' } }, { ...params, signHeaders: [...names, 'Accept'] });
    expect(signedHeaderList(signed.authorization)).toBe('accept;host;x-amz-content-sha256;x-amz-date');
  });

  it('trims each value of a repeated header before joining with ","', () => {
    const repeated = signRequest({ ...base, headers: { 'x-amz-meta': [' a ', 'b  c '] } }, params);
    const joined = signRequest({ ...base, headers: { 'x-amz-meta': 'a,b c' } }, params);
    expect(repeated.authorization).toBe(joined.authorization);
  });

  it('adds x-amz-security-token only for temporary credentials', () => {
    expect(signRequest(base, params)['x-amz-security-token']).toBeUndefined();
    const signed = signRequest(base, { ...params, credentials: { ...params.credentials, sessionToken: 'token' } });
    expect(signed['x-amz-security-token']).toBe('token');
    expect(signedHeaderList(signed.authorization)).toContain('x-amz-security-token');
  });

  it('uses a given body hash instead of hashing the body', () => {
    const hash = 'a'.repeat(64);
    const signed = signRequest({ ...base, body: 'ignored', bodySha256: hash }, params);
    expect(signed['x-amz-content-sha256']).toBe(hash);
  });
});
