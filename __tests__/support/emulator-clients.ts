/** The AWS SDK pointed straight at an emulator, as its docs show: SigV4 with the emulator's credentials, HTTP/1.1. */
import { BedrockRuntimeClient, type BedrockRuntimeClientConfig } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { EMULATOR_CREDENTIALS, type BedrockEmulator } from '../../lib/testing';

/** A Bedrock Runtime client for `emulator`, one attempt per call (injected errors reach the test). */
export function runtimeClientOn(emulator: BedrockEmulator, overrides: Partial<BedrockRuntimeClientConfig> = {}): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: emulator.region,
    endpoint: emulator.url,
    credentials: EMULATOR_CREDENTIALS,
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
    ...overrides,
  });
}
