// @ts-check
/**
 * SigV4 signing speed: our `signRequest` (synchronous, node:crypto) against the AWS SDK's signer,
 * `@smithy/signature-v4`, called as the SDK calls it: `await signer.sign(new HttpRequest(...), { signingDate })`.
 *
 * The SDK's signer is measured with two hash implementations:
 * - `@aws-crypto/sha256-js`, the pure-JavaScript SHA-256 our differential tests use;
 * - `Sha256` from `@smithy/core/checksum`, backed by node:crypto, which `@aws-sdk/client-bedrock-runtime`
 *   itself passes to the signer when it runs on Node (its runtime config: `sha256: config?.sha256 ?? Sha256`).
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { Sha256 as Sha256Js } from '@aws-crypto/sha256-js';
import { Sha256 as Sha256Node } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { signRequest } from '../dist/index.js';
import { compare, row } from './measure.mjs';

const TARGET = 5;
const HOST = 'bedrock-runtime.us-east-1.amazonaws.com';
const PATH = '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse';
const REGION = 'us-east-1';
const SIGNING_DATE = new Date('2026-11-21T12:34:56Z');
const CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
/** STS session tokens are around 1 KB of base64. */
const TEMPORARY_CREDENTIALS = { ...CREDENTIALS, accessKeyId: 'ASIAIOSFODNN7EXAMPLE', sessionToken: `IQoJb3JpZ2luX2Vj${randomBytes(700).toString('base64')}` };

/** A Converse request body of exactly `size` bytes (ASCII JSON). @param {number} size */
function converseBody(size) {
  const request = {
    system: [{ text: 'You are a concise assistant for an internal support desk.' }],
    messages: /** @type {Array<{ role: string, content: Array<{ text: string }> }>} */ ([]),
    inferenceConfig: { maxTokens: 1024, temperature: 0.5, topP: 0.9 },
  };
  const text = 'The quick brown fox jumps over the lazy dog while the support ticket waits. '.repeat(12);
  while (JSON.stringify(request).length < size) {
    request.messages.push({ role: request.messages.length % 2 ? 'assistant' : 'user', content: [{ text }] });
  }
  const last = /** @type {{ text: string }} */ (request.messages.at(-1)?.content[0]);
  last.text = last.text.slice(0, last.text.length - (JSON.stringify(request).length - size));
  const body = JSON.stringify(request);
  assert.equal(body.length, size);
  return body;
}

/**
 * @param {string} scenario
 * @param {string} body
 * @param {{ accessKeyId: string, secretAccessKey: string, sessionToken?: string }} credentials
 * @param {import('./measure.mjs').Plan} plan
 */
async function signingCase(scenario, body, credentials, plan) {
  // The SDK signs every header it is given but a fixed few; ours signs content-type and x-amz-* by default
  // and the rest on request, so `accept` is named to sign the very same canonical request.
  const ours = () =>
    signRequest(
      { method: 'POST', host: HOST, path: PATH, headers: { 'content-type': 'application/json', accept: 'application/json' }, body },
      { credentials, region: REGION, date: SIGNING_DATE, signHeaders: ['accept'] },
    );
  /** @param {any} sha256 */
  const sdk = (sha256) => {
    const signer = new SignatureV4({ credentials, region: REGION, service: 'bedrock', sha256 });
    return () =>
      signer.sign(
        new HttpRequest({
          method: 'POST',
          protocol: 'https:',
          hostname: HOST,
          path: PATH,
          headers: { host: HOST, 'content-type': 'application/json', accept: 'application/json' },
          body,
        }),
        { signingDate: SIGNING_DATE },
      );
  };
  const referenceJs = sdk(Sha256Js);
  const referenceNode = sdk(Sha256Node);

  // Same work or no benchmark: all three must produce the same signature headers.
  const expected = ours();
  for (const reference of [referenceJs, referenceNode]) {
    const { headers } = await reference();
    assert.equal(headers['authorization'], expected.authorization, `${scenario}: authorization differs from the SDK's`);
    assert.equal(headers['x-amz-date'], expected['x-amz-date']);
    assert.equal(headers['x-amz-content-sha256'], expected['x-amz-content-sha256']);
    assert.equal(headers['x-amz-security-token'], expected['x-amz-security-token']);
  }

  const [oursResult, jsResult, nodeResult] = /** @type {import('./measure.mjs').Result[]} */ (
    await compare(
      [
        { name: 'ours', fn: ours },
        { name: 'SDK signer + sha256-js', fn: referenceJs },
        { name: 'SDK signer + node:crypto Sha256', fn: referenceNode },
      ],
      plan,
    )
  );
  return [
    row(`${scenario}, ref sha256-js`, oursResult, jsResult, TARGET),
    row(`${scenario}, ref node:crypto`, oursResult, nodeResult, TARGET),
  ];
}

/**
 * Signatures per second, ours vs the SDK's signer, on three realistic Bedrock Converse requests.
 * @param {{ plan: import('./measure.mjs').Plan }} options
 */
export async function benchSigv4({ plan }) {
  const small = converseBody(1024);
  return [
    ...(await signingCase('sigv4 1 KB body', small, CREDENTIALS, plan)),
    ...(await signingCase('sigv4 200 KB body', converseBody(200 * 1024), CREDENTIALS, plan)),
    ...(await signingCase('sigv4 1 KB + session token', small, TEMPORARY_CREDENTIALS, plan)),
  ];
}
