// @ts-check
/**
 * Real end-to-end numbers: the same Converse and ConverseStream calls sent by the AWS SDK straight to Amazon Bedrock
 * and through the gateway's CLI (on this machine, in front of the same region), interleaved round by round. It calls a
 * real model and costs money (a few cents with the default cheap model and plan): it needs AWS credentials, refuses to
 * run without them, and refuses to run in CI. It is not part of `npm run bench`.
 *
 *   BENCH_BEDROCK_REGION=us-east-1 AWS_PROFILE=dev node bench/real-bedrock.mjs [--model <id>] [--rounds 5] [--requests 10]
 *
 * Credentials are the AWS SDK's default chain (environment, profile, SSO, instance role), resolved once; the gateway
 * gets them through its environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, which it reads at
 * call time), never through a file. Both sides use HTTP/1.1 keep-alive, as the gateway does upstream, so that the
 * difference is the gateway and not the protocol. The model needs to be enabled in the account and region; with an
 * inference profile id (`us.amazon.nova-micro-v1:0`) where the region requires one.
 *
 * `--endpoint <url>` sends both sides to another Bedrock Runtime endpoint instead of AWS's (a dry run against the
 * emulator: `npm run demo` shows how to start one).
 *
 * What to expect: the network to AWS varies by milliseconds from call to call, so "added" is the median of per-round
 * differences and still moves by a few ms between runs. The gateway's own account of its overhead (the
 * `x-bedrock-passthrough-overhead-ms` header: its time not spent waiting for Bedrock, to the microsecond) is
 * printed beside it.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

// What CI services set; a benchmark that bills an AWS account never runs there.
const CI_VARIABLES = ['CI', 'CONTINUOUS_INTEGRATION', 'GITHUB_ACTIONS', 'GITLAB_CI', 'BUILDKITE', 'CIRCLECI', 'JENKINS_URL', 'TEAMCITY_VERSION', 'CODEBUILD_BUILD_ID'];
const GATEWAY_KEY = 'sk-bench-real-bedrock';
const PROMPT = 'Reply with the single word: ok';

/** @param {string} message @returns {never} */
function refuse(message) {
  console.error(`bench/real-bedrock.mjs: ${message}`);
  process.exit(2);
}

const ci = CI_VARIABLES.find((name) => (process.env[name] ?? '') !== '' && process.env[name] !== 'false');
if (ci) refuse(`refusing to run in CI (${ci} is set): this calls Amazon Bedrock and bills the account.`);
const region = process.env.BENCH_BEDROCK_REGION;
if (!region) refuse('set BENCH_BEDROCK_REGION (e.g. us-east-1), and AWS credentials (AWS_PROFILE or the AWS_* variables).');

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: process.env.BENCH_BEDROCK_MODEL ?? 'amazon.nova-micro-v1:0' },
    rounds: { type: 'string', default: '5' },
    requests: { type: 'string', default: '10' },
    endpoint: { type: 'string' },
  },
});
const model = /** @type {string} */ (values.model);
const rounds = Number(values.rounds);
const requests = Number(values.requests);
if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(requests) || requests < 1) refuse('--rounds and --requests must be whole numbers >= 1.');

// Loaded only now: dev dependencies, and nothing to load when refusing. (The SDK's notice about Node 20 is not news here.)
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand } = await import('@aws-sdk/client-bedrock-runtime');
const { NodeHttpHandler } = await import('@smithy/node-http-handler');
const { OVERHEAD_HEADER } = await import('../dist/index.js');
const { startCliGateway } = await import('./latency/processes.mjs');
const { median } = await import('./measure.mjs');

const direct = new BedrockRuntimeClient({
  region,
  ...(values.endpoint ? { endpoint: values.endpoint } : {}),
  requestHandler: new NodeHttpHandler({ httpAgent: new HttpAgent({ keepAlive: true }), httpsAgent: new HttpsAgent({ keepAlive: true }) }),
});
/** @type {import('@aws-sdk/types').AwsCredentialIdentity} */
let credentials;
try {
  credentials = await direct.config.credentials();
} catch (error) {
  refuse(`no AWS credentials found (${error instanceof Error ? error.message : String(error)}). Set AWS_PROFILE or the AWS_* variables.`);
}

// The gateway: one deployment of `model` in `region`, the credentials from its environment, one client key.
const directory = mkdtempSync(join(tmpdir(), 'bedrock-passthrough-real-'));
const configPath = join(directory, 'config.yaml');
const config = {
  model_list: [
    {
      model_name: 'bench',
      litellm_params: { model: `bedrock/${model}`, aws_region_name: region, ...(values.endpoint ? { aws_bedrock_runtime_endpoint: values.endpoint } : {}) },
    },
  ],
  keys: [{ name: 'bench', key: GATEWAY_KEY }],
};
writeFileSync(configPath, JSON.stringify(config, null, 2));
/** @type {NodeJS.ProcessEnv} */
const gatewayEnv = { ...process.env, AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey };
if (credentials.sessionToken) gatewayEnv.AWS_SESSION_TOKEN = credentials.sessionToken;
else delete gatewayEnv.AWS_SESSION_TOKEN;
const gateway = await startCliGateway('gateway CLI', configPath, { env: gatewayEnv });

const viaGateway = new BedrockRuntimeClient({
  region,
  endpoint: `${gateway.origin}/bedrock`,
  token: { token: GATEWAY_KEY },
  authSchemePreference: ['httpBearerAuth'],
  requestHandler: new NodeHttpHandler({ httpAgent: new HttpAgent({ keepAlive: true }) }),
});
/** The gateway's own account of its overhead, from each answer's header. */
const overheadMs = /** @type {number[]} */ ([]);
viaGateway.middlewareStack.add(
  (next) => async (args) => {
    const result = await next(args);
    const value = /** @type {any} */ (result.response)?.headers?.[OVERHEAD_HEADER];
    if (value !== undefined) overheadMs.push(Number(value));
    return result;
  },
  { step: 'deserialize', name: 'benchOverheadHeader' },
);

const sides = [
  { name: 'direct', client: direct, modelId: model },
  { name: 'via gateway', client: viaGateway, modelId: 'bench' },
];
const messages = [{ role: /** @type {const} */ ('user'), content: [{ text: PROMPT }] }];
const inferenceConfig = { maxTokens: 8, temperature: 0 };

/** One Converse call: its time, send to answer. @param {(typeof sides)[number]} side */
async function converse(side) {
  const startedAt = performance.now();
  const answer = await side.client.send(new ConverseCommand({ modelId: side.modelId, messages, inferenceConfig }));
  if (!answer.output?.message) throw new Error(`${side.name}: no message in the answer`);
  return performance.now() - startedAt;
}

/** One ConverseStream call: time to its first event and to its end. @param {(typeof sides)[number]} side */
async function converseStream(side) {
  const startedAt = performance.now();
  const answer = await side.client.send(new ConverseStreamCommand({ modelId: side.modelId, messages, inferenceConfig }));
  let firstEventMs = NaN;
  for await (const _event of answer.stream ?? []) if (Number.isNaN(firstEventMs)) firstEventMs = performance.now() - startedAt;
  return { firstEventMs, totalMs: performance.now() - startedAt };
}

const calls = rounds * requests * 2 * sides.length + 2 * sides.length;
console.log(`Amazon Bedrock ${values.endpoint ?? region}, model ${model}: ${calls} calls of at most ${inferenceConfig.maxTokens} output tokens.`);
/** @type {Record<string, { converse: number[], firstEvent: number[], stream: number[] }>} Per side, per round medians. */
const perRound = Object.fromEntries(sides.map((side) => [side.name, { converse: [], firstEvent: [], stream: [] }]));
try {
  // Warm-up (and a check that both sides answer): connections, credentials, the gateway's JIT.
  for (const side of sides) {
    await converse(side);
    await converseStream(side);
  }
  overheadMs.length = 0;
  for (let round = 0; round < rounds; round++) {
    // Alternate who goes first, so a slow spell of the network lands on both alike.
    for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
      const converseMs = [];
      const streams = [];
      for (let i = 0; i < requests; i++) converseMs.push(await converse(side));
      for (let i = 0; i < requests; i++) streams.push(await converseStream(side));
      const figures = /** @type {{ converse: number[], firstEvent: number[], stream: number[] }} */ (perRound[side.name]);
      figures.converse.push(median(converseMs));
      figures.firstEvent.push(median(streams.map((stream) => stream.firstEventMs)));
      figures.stream.push(median(streams.map((stream) => stream.totalMs)));
    }
    console.error(`round ${round + 1} of ${rounds} done`);
  }
} finally {
  await gateway.close();
  direct.destroy();
  viaGateway.destroy();
  rmSync(directory, { recursive: true, force: true });
}

const [directFigures, gatewayFigures] = sides.map((side) => /** @type {{ converse: number[], firstEvent: number[], stream: number[] }} */ (perRound[side.name]));
if (!directFigures || !gatewayFigures) throw new Error('no figures');
/** @param {number} ms */
const ms = (ms) => `${ms.toFixed(1)} ms`;
/** @param {'converse' | 'firstEvent' | 'stream'} figure */
const added = (figure) => median(gatewayFigures[figure].map((value, round) => value - /** @type {number} */ (directFigures[figure][round])));
console.log(`\n${'figure (median of per-round medians)'.padEnd(40)}${'direct'.padStart(12)}${'via gateway'.padStart(14)}${'added'.padStart(12)}`);
for (const [label, figure] of /** @type {const} */ ([
  ['Converse, request to answer', 'converse'],
  ['ConverseStream, request to first event', 'firstEvent'],
  ['ConverseStream, request to end', 'stream'],
])) {
  console.log(`${label.padEnd(40)}${ms(median(directFigures[figure])).padStart(12)}${ms(median(gatewayFigures[figure])).padStart(14)}${ms(added(figure)).padStart(12)}`);
}
// Its median is the typical overhead; the mean shows what the odd slow request (a GC pause, a cold connection) adds.
const meanOverheadMs = overheadMs.reduce((sum, value) => sum + value, 0) / overheadMs.length;
console.log(`\nthe gateway's own overhead (${OVERHEAD_HEADER}) over ${overheadMs.length} answers: mean ${meanOverheadMs.toFixed(2)} ms, median ${ms(median(overheadMs))}`);
