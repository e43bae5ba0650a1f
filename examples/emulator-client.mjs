// The Bedrock emulator with the real AWS SDK: start it, call Converse and ConverseStream with SigV4, inject a
// throttle and see the SDK's own ThrottlingException. Run it with `npm run build && node examples/emulator-client.mjs`.
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, ThrottlingException } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { EMULATOR_CREDENTIALS, startBedrockEmulator } from 'bedrock-passthrough/testing';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const emulator = await startBedrockEmulator({ region: 'us-east-1', replyText: 'Hello from a local Bedrock.' });
const client = new BedrockRuntimeClient({
  region: 'us-east-1',
  endpoint: emulator.url,
  credentials: EMULATOR_CREDENTIALS,
  requestHandler: new NodeHttpHandler(),
  maxAttempts: 1,
});
const messages = [{ role: 'user', content: [{ text: 'Say hello' }] }];

try {
  const answer = await client.send(new ConverseCommand({ modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0', messages }));
  console.log('converse:', answer.output?.message?.content?.[0]?.text, answer.usage);

  const stream = await client.send(new ConverseStreamCommand({ modelId: 'amazon.nova-lite-v1:0', messages }));
  let text = '';
  for await (const event of stream.stream ?? []) text += event.contentBlockDelta?.delta?.text ?? '';
  console.log('converse-stream:', text);

  emulator.inject({ error: { type: 'ThrottlingException', message: 'Too many requests, please wait.' } });
  await client.send(new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', messages })).catch((error) => {
    console.log('injected:', error instanceof ThrottlingException ? 'ThrottlingException' : error.name, '-', error.message);
  });
  console.log('requests seen:', emulator.requests.map((request) => `${request.method} ${request.url} -> ${request.status}`));
} finally {
  await emulator.close();
}
