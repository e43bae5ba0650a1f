/**
 * The official AWS SigV4 test suite (aws-c-auth), header-signed variants.
 * The request lines in `request.txt` are unencoded (`/example space/`), so feeding them as the wire path
 * yields the single encoding the suite expects.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signRequest } from '../../lib/aws/sigv4';

const SUITE = join(__dirname, '..', 'fixtures', 'sigv4', 'v4');

/**
 * Vectors of S3-style signing (`normalize: false`) whose expected canonical path keeps `.`/`..`/empty
 * segments. Bedrock is a non-S3 service: AWS and the AWS SDK always normalise its paths, so do we.
 */
const SKIPPED_UNNORMALIZED = new Set([
  'get-relative-relative-unnormalized',
  'get-relative-unnormalized',
  'get-slash-dot-slash-unnormalized',
  'get-slash-pointless-dot-unnormalized',
  'get-slash-unnormalized',
  'get-slashes-unnormalized',
]);

interface VectorContext {
  credentials: { access_key_id: string; secret_access_key: string; token?: string };
  region: string;
  service: string;
  timestamp: string;
  normalize: boolean;
  sign_body: boolean;
  omit_session_token?: boolean;
}

interface ParsedRequest {
  method: string;
  path: string;
  query: string | undefined;
  headers: Record<string, string[]>;
  body: string;
}

/** Parses the suite's raw HTTP/1.1 request text, folding continuation lines into their header. */
function parseRequestText(text: string): ParsedRequest {
  const [head, ...bodyParts] = text.split('\n\n');
  const lines = (head ?? '').split('\n');
  const requestLine = lines.shift() ?? '';
  const method = requestLine.slice(0, requestLine.indexOf(' '));
  const target = requestLine.slice(method.length + 1, requestLine.lastIndexOf(' HTTP/'));
  const queryAt = target.indexOf('?');
  const headers: Record<string, string[]> = {};
  let last: string[] | undefined;
  for (const line of lines) {
    if (line === '') continue;
    if (/^[ \t]/.test(line) && last) {
      last[last.length - 1] += `\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    last = headers[name] ??= [];
    last.push(line.slice(colon + 1));
  }
  return {
    method,
    path: queryAt === -1 ? target : target.slice(0, queryAt),
    query: queryAt === -1 ? undefined : target.slice(queryAt + 1),
    headers,
    body: bodyParts.join('\n\n'),
  };
}

const vectors = readdirSync(SUITE).sort();

describe('AWS SigV4 test suite', () => {
  it('has all 38 vectors and skips only unnormalised S3-style ones', () => {
    expect(vectors).toHaveLength(38);
    for (const name of SKIPPED_UNNORMALIZED) {
      const context = JSON.parse(readFileSync(join(SUITE, name, 'context.json'), 'utf8')) as VectorContext;
      expect(context.normalize).toBe(false);
    }
  });

  it.each(vectors.filter((name) => !SKIPPED_UNNORMALIZED.has(name)))('%s', (name) => {
    const dir = join(SUITE, name);
    const context = JSON.parse(readFileSync(join(dir, 'context.json'), 'utf8')) as VectorContext;
    const request = parseRequestText(readFileSync(join(dir, 'request.txt'), 'utf8'));
    const expectedSignature = readFileSync(join(dir, 'header-signature.txt'), 'utf8').trim();
    const expectedAuthorization = /^Authorization:(.*)$/m.exec(
      readFileSync(join(dir, 'header-signed-request.txt'), 'utf8'),
    )?.[1];

    const { host, ...otherHeaders } = request.headers;
    const signed = signRequest(
      {
        method: request.method,
        host: host?.[0] ?? '',
        path: request.path,
        query: request.query,
        headers: otherHeaders,
        body: request.body,
      },
      {
        credentials: {
          accessKeyId: context.credentials.access_key_id,
          secretAccessKey: context.credentials.secret_access_key,
          // omit_session_token: the token is added to the request after signing, unsigned.
          sessionToken: context.omit_session_token ? undefined : context.credentials.token,
        },
        region: context.region,
        service: context.service,
        date: new Date(context.timestamp),
        signHeaders: Object.keys(otherHeaders),
        contentSha256Header: context.sign_body,
      },
    );

    expect(signed.authorization).toBe(expectedAuthorization);
    expect(signed.authorization.endsWith(`Signature=${expectedSignature}`)).toBe(true);
    expect(signed['x-amz-date']).toBe('20150830T123600Z');
    expect(signed['x-amz-security-token']).toBe(
      context.omit_session_token ? undefined : context.credentials.token,
    );
  });
});
