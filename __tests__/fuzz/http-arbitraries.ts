/**
 * fast-check arbitraries for the HTTP surface: requests a client library can send (methods, paths below the mount,
 * headers, bodies, keys valid or not), and raw bytes that only a socket sends (HTTP bent out of shape, or not HTTP).
 */
import fc from 'fast-check';
import { ROUTES } from '../../lib/routes';

/** The gateway's mount in the fuzzed servers. */
export const MOUNT = '/bedrock';

/** Keys the fuzzed gateways know; `valid` is the only one that may reach the upstream. */
export const FUZZ_KEYS = { valid: 'sk-fuzz-valid-0001', limited: 'sk-fuzz-limited-0002' } as const;

const OPERATION_SEGMENTS = ['invoke', 'invoke-with-response-stream', 'converse', 'converse-stream', 'count-tokens', 'apply', 'retrieve', 'text'];
const MODELS = ['claude', 'nova', 'anthropic.claude-3-5-sonnet-20240620-v1%3A0', 'arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Fx'];

/** A path segment: a known word, printable junk, percent-encoded bytes (valid or not), dot segments. */
const segment = fc.oneof(
  fc.constantFrom(...OPERATION_SEGMENTS, ...MODELS, 'model', 'guardrail', 'async-invoke', 'knowledgebases', 'agents', '', '.', '..', '%2e%2e', '%00', '%', '%zz', '%C0%AF'),
  fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.~:@!$&\'()*+,;=%'.split('')), maxLength: 12 }),
  fc.uint8Array({ maxLength: 8 }).map((bytes) => [...bytes].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('')),
  fc.string({ unit: 'grapheme', maxLength: 6 }).map(encodeURIComponent),
);

/** A request target below (or beside) the mount: route-shaped (`/model/<x>/<op>`), table paths with junk, or anything. */
export const target = fc
  .oneof(
    fc.constantFrom('invoke', 'converse', 'converse-stream', 'invoke-with-response-stream', 'count-tokens').map((operation) => `${MOUNT}/model/claude/${operation}`),
    fc.tuple(segment, segment).map(([model, operation]) => `${MOUNT}/model/${model}/${operation}`),
    fc.constantFrom(...ROUTES.map((route) => route.pattern)).chain((pattern) =>
      fc.array(segment, { minLength: 4, maxLength: 4 }).map((fills) => `${MOUNT}${pattern.replace(/\{[^}]+\}/g, () => fills.pop() ?? 'x')}`),
    ),
    fc.array(segment, { maxLength: 6 }).map((segments) => `${MOUNT}/${segments.join('/')}`),
    fc.array(segment, { maxLength: 4 }).map((segments) => `/${segments.join('/')}`),
  )
  .chain((path) => fc.oneof(fc.constant(path), fc.string({ unit: fc.constantFrom(...'a=b&c%;+ '.split('')), maxLength: 10 }).map((query) => `${path}?${query.replace(/ /g, '%20')}`)));

/** Methods, common and not (an HTTP token: letters only, so a client library sends it as it is). */
export const method = fc.oneof(
  fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
  fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('')), minLength: 1, maxLength: 10 }),
);

/** How the request authenticates: not at all, with a wrong or a half-formed credential, or with a key the gateway knows. */
export const credential = fc.constantFrom(
  { kind: 'none', headers: {} },
  { kind: 'wrong', headers: { authorization: 'Bearer sk-not-a-key' } },
  { kind: 'wrong', headers: { 'x-api-key': 'sk-not-a-key-either' } },
  { kind: 'wrong', headers: { authorization: 'Bearer' } },
  { kind: 'wrong', headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00' } },
  { kind: 'wrong', headers: { authorization: `Basic ${Buffer.from(`x:${FUZZ_KEYS.valid}`).toString('base64')}` } },
  { kind: 'valid', headers: { authorization: `Bearer ${FUZZ_KEYS.valid}` } },
  { kind: 'valid', headers: { 'x-api-key': FUZZ_KEYS.valid } },
  { kind: 'limited', headers: { authorization: `Bearer ${FUZZ_KEYS.limited}` } },
) as fc.Arbitrary<{ kind: 'none' | 'wrong' | 'valid' | 'limited'; headers: Record<string, string> }>;

const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".split('');
const headerName = fc.oneof(
  fc.constantFrom('content-type', 'content-encoding', 'accept', 'x-amz-date', 'x-amz-content-sha256', 'x-amzn-bedrock-trace', 'expect', 'range', 'x-forwarded-for', 'x-amz-security-token'),
  fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 16 }),
);
const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 40 }).map((value) => value.trim());

/** Header names and values within what HTTP allows (tokens; visible ASCII, spaces and tabs), so undici sends them. */
export const headers = fc.dictionary(headerName, headerValue, { maxKeys: 5 }).map((drawn) => {
  // Headers undici sets itself or refuses to take from a caller (framing, connection management).
  for (const name of Object.keys(drawn)) if (/^(content-length|transfer-encoding|connection|keep-alive|upgrade|host|expect|authorization|x-api-key|te|trailer)$/i.test(name)) delete drawn[name];
  return drawn;
});

/** A body: none, random bytes, JSON values of any shape, or a real Converse or Anthropic body. */
export const body = fc.oneof(
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 256 }).map((bytes) => Buffer.from(bytes)),
  fc.json({ maxDepth: 3 }).map((text) => Buffer.from(text)),
  fc.constant(Buffer.from(JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hi' }] }] }))),
  fc.constant(Buffer.from(JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] }))),
);

/** One request for undici: method, target, extra headers, credential and body, each drawn on its own. */
const anyRequest = fc.record({ method: method.filter((verb) => verb !== 'CONNECT'), target, headers, credential, body });
const CONVERSE_BODY = Buffer.from(JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hi' }] }] }));
/** A request a real client would send, but for its extra headers: it gets through unless they spoil it. */
const plausibleRequest = fc.record({
  method: fc.constant('POST'),
  target: fc.constantFrom(`${MOUNT}/model/claude/converse`, `${MOUNT}/model/claude/converse-stream`, `${MOUNT}/model/nova/converse`),
  headers: headers.map((drawn) => ({ 'content-type': 'application/json', ...drawn })),
  credential: credential.filter(({ kind }) => kind === 'valid' || kind === 'limited'),
  body: fc.constant(CONVERSE_BODY),
});
/** Mostly anything; one in four a plausible request, so that the properties see successes and upstream calls too. */
export const fuzzRequest = fc.oneof({ weight: 3, arbitrary: anyRequest }, { weight: 1, arbitrary: plausibleRequest });

const CRLF = '\r\n';
/** A header line of any bytes (CR, LF, NUL, obs-fold, no colon...). */
const rawHeaderLine = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(headerName, headerValue).map(([name, value]) => `${name}: ${value}`) },
  fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 30 })).map(([name, value]) => `${name}: ${value}`),
  fc.constantFrom(
    'Content-Length: 5',
    'Content-Length: -1',
    'Content-Length: 99999999999999999999',
    'Content-Length: 3, 4',
    'Transfer-Encoding: chunked',
    'Transfer-Encoding: gzip, chunked',
    'Transfer-Encoding: xchunked',
    ' folded: continuation',
    'X-Bad\u0000Name: 1',
    'X-Bad: a\rb',
    'Host:',
    `Authorization: Bearer ${FUZZ_KEYS.valid.slice(0, -1)}`,
  ),
);

/**
 * Bytes for a raw socket: an HTTP/1.x head with a random request line and header lines (some of them the smuggling
 * and injection shapes parsers must refuse), then a random body; or bytes that are not HTTP at all.
 */
export const rawBytes = fc.oneof(
  fc
    .record({
      method: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'HEAD', 'PUT') }, method, fc.string({ maxLength: 8 })),
      target: fc.oneof({ weight: 3, arbitrary: target }, fc.string({ maxLength: 20 }), fc.constantFrom('*', 'http://evil.example/bedrock/model/claude/converse', `${MOUNT}/model/claude/converse`)),
      version: fc.oneof({ weight: 8, arbitrary: fc.constant('HTTP/1.1') }, fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 ', 'HTTP/9.9', 'HTTX/1.1', '')),
      lines: fc.array(rawHeaderLine, { maxLength: 4 }),
      ending: fc.constantFrom(CRLF + CRLF, CRLF + CRLF, CRLF + CRLF, '\n\n', CRLF, ''),
      body: fc.string({ maxLength: 40 }),
    })
    .map(({ method: verb, target: path, version, lines, ending, body: text }) => {
      // The body's own length unless the lines frame it otherwise (or badly): bytes past a body are a next request.
      const framed = lines.some((line) => /^(content-length|transfer-encoding)\s*:/i.test(line));
      const length = framed ? [] : [`Content-Length: ${Buffer.byteLength(text)}`];
      const head = [`${verb} ${path} ${version}`, 'Host: 127.0.0.1', 'Connection: close', ...length, ...lines].join(CRLF);
      return Buffer.from(`${head}${ending}${text}`, 'utf8');
    }),
  fc.uint8Array({ minLength: 1, maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
);
