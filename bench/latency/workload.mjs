// @ts-check
/**
 * What every latency scenario sends and what the upstream answers with, shared by the load generator (parent) and
 * the server processes (children): model ids, stream shapes, request bodies, the gateway's key and credentials.
 */

/** The Bedrock model id called upstream for Converse and for the paced stream. */
export const CONVERSE_MODEL_ID = 'anthropic.claude-3-5-haiku-20241022-v1:0';
/** A second model id, upstream, whose ConverseStream stays open for a long time (the 1,000 open streams). */
export const HELD_OPEN_MODEL_ID = 'anthropic.claude-3-haiku-20240307-v1:0';
export const REGION = 'us-east-1';

/**
 * The shapes of the mock's ConverseStream answers, by upstream model id. Frames go out at fixed times from the start
 * of the answer (frame i at i × gapMs), so timer lateness does not pile up over a long stream.
 */
export const STREAM_SHAPES = {
  /** Issue: "converse-stream with 200 frames paced 5 ms apart". */
  paced: { modelId: CONVERSE_MODEL_ID, frames: 200, gapMs: 5 },
  /**
   * Slow frames, so 1,000 streams stay open while memory and event-loop lag are read: 4 frames/s each, 4,000 frames/s
   * through the gateway in all, for at most a minute (the load generator closes them long before).
   */
  heldOpen: { modelId: HELD_OPEN_MODEL_ID, frames: 240, gapMs: 250 },
};

/** Static AWS credentials of the gateway's deployments (the mock does not check signatures). */
export const UPSTREAM_CREDENTIALS = {
  accessKeyId: 'AKIDBENCHMARK0000001',
  secretAccessKey: 'bench/secret/0000000000000000000000000000',
};

/** The gateway's client key: a `keys` entry, as a team would hold, not the master key. */
export const GATEWAY_KEY = 'sk-bench-latency-0000000000000000';

/**
 * A Converse request body of exactly `bytes` bytes: one user message whose text fills it up.
 * @param {number} bytes
 */
export function converseRequestBody(bytes) {
  const shell = JSON.stringify({ messages: [{ role: 'user', content: [{ text: '' }] }], inferenceConfig: { maxTokens: 512 } });
  const words = 'Summarise the following notes in three sentences. '.repeat(Math.ceil(bytes / 50));
  return Buffer.from(shell.replace('"text":""', `"text":"${words.slice(0, bytes - shell.length)}"`));
}

/** The request bodies of the scenarios, made once. */
export const BODIES = {
  /** Issue: "converse with a 1 KB body". */
  small: converseRequestBody(1024),
  /** Issue: "a 200 KB body (signing and hashing cost)". */
  large: converseRequestBody(200 * 1024),
};
