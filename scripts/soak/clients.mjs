// The soak's clients. Each call ends in exactly one outcome object: which client, key, operation and tag, the
// gateway's request id (from the answer's head), the status, and the answer's kind (see classifyAnswer), or
// `client-aborted` for a call the client gave up on itself.
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, InvokeModelCommand, InvokeModelWithResponseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent, request } from 'undici';
import { REQUEST_ID_HEADER } from '../../dist/handler.js';
import { classifyAnswer, isFinalEvent, requestBody } from './answers.mjs';
import { MODEL_GROUP } from './gateways.mjs';

/** No call may take longer: one that does has no answer, which the checks count as a failure. */
const CALL_TIMEOUT_MS = 30_000;

let lastTag = 0;
/** A tag unique to this run's calls: the emulator's records are matched to calls by it. */
const nextTag = () => `soak#${++lastTag}`;

/** Raw HTTP calls on undici, as curl or a hand-written client would make them; optionally abandoned midway. */
export function rawClient() {
  const dispatcher = new Agent({ headersTimeout: CALL_TIMEOUT_MS, bodyTimeout: CALL_TIMEOUT_MS, connections: 16 });
  return {
    /**
     * Calls `operation` on `gatewayUrl` with `key`. `abort`: `{ afterMs }` abandons the call that long after it
     * started, `{ afterFirstChunk: true }` as soon as the first bytes of the answer's body arrive (mid-stream).
     */
    async call({ gatewayUrl, key, operation, abort, client = 'raw' }) {
      const tag = nextTag();
      const outcome = { client, key, operation, tag, sentAt: Date.now() };
      const controller = new AbortController();
      const timer = abort?.afterMs === undefined ? undefined : setTimeout(() => controller.abort(), abort.afterMs);
      try {
        const { statusCode, headers, body } = await request(`${gatewayUrl}/model/${MODEL_GROUP}/${operation}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify(requestBody(operation, tag)),
          signal: controller.signal,
          dispatcher,
        });
        outcome.status = statusCode;
        outcome.requestId = headers[REQUEST_ID_HEADER];
        const chunks = [];
        for await (const chunk of body) {
          chunks.push(chunk);
          if (abort?.afterFirstChunk) controller.abort();
        }
        outcome.kind = classifyAnswer(operation, statusCode, headers, Buffer.concat(chunks));
      } catch (error) {
        outcome.kind = controller.signal.aborted ? 'client-aborted' : `malformed:transport ${error.code ?? error.message}`;
      } finally {
        clearTimeout(timer);
        outcome.answeredAt = Date.now();
      }
      return outcome;
    },
    close: () => dispatcher.close(),
  };
}

/** The AWS SDK for JavaScript with a gateway key as its Bedrock API key: one call at a time per client. */
export function sdkClient(gatewayUrl, key) {
  let lastHead;
  const http = new NodeHttpHandler({ requestTimeout: CALL_TIMEOUT_MS });
  // The SDK hides response headers; the gateway's request id joins the call to its usage record, so catch the head.
  const requestHandler = {
    metadata: http.metadata,
    handle: async (request, options) => {
      const result = await http.handle(request, options);
      lastHead = result.response;
      return result;
    },
    updateHttpClientConfig: (name, value) => http.updateHttpClientConfig(name, value),
    httpHandlerConfigs: () => http.httpHandlerConfigs(),
    destroy: () => http.destroy(),
  };
  const sdk = new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: gatewayUrl,
    token: { token: key },
    authSchemePreference: ['httpBearerAuth'],
    requestHandler,
    maxAttempts: 1,
  });
  return {
    async call(operation) {
      const tag = nextTag();
      const outcome = { client: 'sdk', key, operation, tag, sentAt: Date.now() };
      lastHead = undefined;
      let streaming = false;
      try {
        const body = requestBody(operation, tag);
        if (operation === 'converse') {
          const answer = await sdk.send(new ConverseCommand({ modelId: MODEL_GROUP, ...body }));
          outcome.kind = answer.usage ? 'complete' : 'malformed:Converse answer without usage';
        } else if (operation === 'invoke') {
          const answer = await sdk.send(new InvokeModelCommand({ modelId: MODEL_GROUP, body: JSON.stringify(body), contentType: 'application/json' }));
          outcome.kind = JSON.parse(Buffer.from(answer.body).toString('utf8')).usage ? 'complete' : 'malformed:InvokeModel answer without usage';
        } else if (operation === 'converse-stream') {
          const answer = await sdk.send(new ConverseStreamCommand({ modelId: MODEL_GROUP, ...body }));
          streaming = true;
          let last;
          for await (const event of answer.stream) last = event;
          outcome.kind = last?.metadata ? 'complete' : 'malformed:ConverseStream without its metadata event';
        } else {
          const answer = await sdk.send(new InvokeModelWithResponseStreamCommand({ modelId: MODEL_GROUP, body: JSON.stringify(body), contentType: 'application/json' }));
          streaming = true;
          let last;
          for await (const event of answer.body) last = event;
          const lastFrame = last?.chunk && { headers: { ':event-type': { value: 'chunk' } }, body: Buffer.from(JSON.stringify({ bytes: Buffer.from(last.chunk.bytes).toString('base64') })) };
          outcome.kind = lastFrame && isFinalEvent(operation, lastFrame) ? 'complete' : 'malformed:InvokeModelWithResponseStream without its metrics';
        }
      } catch (error) {
        outcome.kind = sdkErrorKind(error, streaming);
      } finally {
        outcome.status = lastHead?.statusCode;
        outcome.requestId = lastHead?.headers[REQUEST_ID_HEADER];
        outcome.answeredAt = Date.now();
      }
      return outcome;
    },
    close: () => sdk.destroy(),
  };
}

/**
 * A Bedrock error as the SDK raises it (a named service exception, `$fault` set), in the same words as the raw
 * client's kinds; anything else (a parse failure, a cut connection the SDK noticed itself) is malformed.
 */
function sdkErrorKind(error, streaming) {
  const name = String(error?.name);
  if (!name.endsWith('Exception') || error.$fault === undefined) return `malformed:SDK raised ${name}: ${error?.message}`;
  const type = name[0].toLowerCase() + name.slice(1);
  return streaming ? `stream-exception:${type}` : `error:${error.$metadata?.httpStatusCode}:${name}`;
}
