/** Test scaffolding: a host Express app with the gateway mounted, in front of emulators. */
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import express, { type Express } from 'express';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ModelDeploymentConfig } from '../../lib/config/types';
import { createBedrockPassthrough, type BedrockPassthrough } from '../../lib/express';
import { EMULATOR_CREDENTIALS, type BedrockEmulator } from '../../lib/testing';
import type { PassthroughOptions } from '../../lib/types';

export const MASTER_KEY = 'sk-master-test-0001';

/** A deployment on an emulator, signed with the emulator's credentials. */
export function deploymentOn(
  emulator: BedrockEmulator,
  modelName: string,
  model: string,
  extra: Partial<ModelDeploymentConfig['litellm_params']> = {},
  modelInfo?: ModelDeploymentConfig['model_info'],
): ModelDeploymentConfig {
  return {
    model_name: modelName,
    litellm_params: {
      model: `bedrock/${model}`,
      aws_region_name: emulator.region,
      aws_bedrock_runtime_endpoint: emulator.url,
      aws_access_key_id: EMULATOR_CREDENTIALS.accessKeyId,
      aws_secret_access_key: EMULATOR_CREDENTIALS.secretAccessKey,
      ...extra,
    },
    ...(modelInfo ? { model_info: modelInfo } : {}),
  };
}

export interface RunningGateway {
  /** The host app's base URL (`http://127.0.0.1:PORT`). */
  readonly origin: string;
  /** The gateway's base URL: origin plus mount path. */
  readonly url: string;
  readonly app: Express;
  readonly passthrough: BedrockPassthrough;
  close(): Promise<void>;
}

/**
 * Starts a plain Express 5 host app with the gateway mounted at `mount`; `before` adds the host's own middleware.
 * `options` may be a config file's path (the gateway then reloads from it).
 */
export async function startGateway(
  options: PassthroughOptions | string,
  { mount = '/bedrock', before }: { mount?: string; before?: (app: Express) => void } = {},
): Promise<RunningGateway> {
  const app = express();
  before?.(app);
  const passthrough = typeof options === 'string' ? createBedrockPassthrough(options) : createBedrockPassthrough(options);
  app.use(mount, passthrough);
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: mount === '/' ? origin : `${origin}${mount}`,
    app,
    passthrough,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await passthrough.close();
    },
  };
}

/** Runs `run` against a gateway started for it, and stops the gateway whatever happens. */
export async function withGateway(
  options: PassthroughOptions | string,
  run: (gateway: RunningGateway) => Promise<void>,
  setup: Parameters<typeof startGateway>[1] = {},
): Promise<void> {
  const gateway = await startGateway(options, setup);
  try {
    await run(gateway);
  } finally {
    await gateway.close();
  }
}

/** The AWS SDK pointed at the gateway with a gateway key as its Bedrock API key. */
export function sdkClient(gateway: RunningGateway, key = MASTER_KEY): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: gateway.url,
    token: { token: key },
    authSchemePreference: ['httpBearerAuth'],
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });
}

/** A raw call, as curl would make it. */
export function post(
  gateway: RunningGateway,
  path: string,
  body: string | Buffer,
  headers: Record<string, string> = { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
): Promise<Response> {
  return fetch(`${gateway.url}${path}`, { method: 'POST', headers, body });
}
