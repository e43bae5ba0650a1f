/**
 * One fault case: a gateway with a single deployment (on the emulator, or on any endpoint the case stands up), the
 * usage records it makes, and the leak check around it — once the case is over and the gateway closed, nothing
 * created for the case may still be held (see `../support/leaks.ts`).
 */
import { once } from 'node:events';
import type { Express } from 'express';
import type { AddressInfo, Server, Socket } from 'node:net';
import { EventStreamDecoder, type EventStreamFrame } from '../../lib/aws/eventstream';
import type { RouterSettings } from '../../lib/config/types';
import type { BedrockEmulator } from '../../lib/testing';
import type { UsageRecord } from '../../lib/types';
import { CLAUDE_ID, MESSAGES } from '../support/bedrock-requests';
import { MASTER_KEY, deploymentOn, startGateway, type RunningGateway } from '../support/gateway';
import { until } from '../support/http2';
import { closesPromptly, expectReleased, watchResources } from '../support/leaks';

/** The deployment's id: records and exception messages name it. */
export const DEPLOYMENT_ID = 'only';

export const CONVERSE = JSON.stringify({ messages: MESSAGES });

export interface FaultCase {
  readonly gateway: RunningGateway;
  /** The request's usage record, once the gateway has made it. */
  record(): Promise<UsageRecord>;
}

export interface FaultSetup {
  /** The deployment's endpoint; default the emulator's. */
  readonly endpoint?: string;
  /** Retries are off unless given: each case sees one attempt's fault. */
  readonly routerSettings?: RouterSettings;
  /** A second deployment of the group, on the emulator, tried once the first ({@link DEPLOYMENT_ID}) failed. */
  readonly failover?: boolean;
  /** The host app's own middleware, before the gateway. */
  readonly hostApp?: (app: Express) => void;
}

/** The second deployment's id. */
export const FAILOVER_ID = 'second';

/**
 * Runs `run` against a fresh gateway, then checks that the emulator saw every upstream call end, that the gateway
 * closes without waiting on anything, and that nothing it opened is left behind.
 */
export async function withFaultCase(emulator: BedrockEmulator, setup: FaultSetup, run: (fault: FaultCase) => Promise<void>): Promise<void> {
  const watch = watchResources();
  const records: UsageRecord[] = [];
  const gateway = await watch.within(() =>
    startGateway({
      model_list: [
        deploymentOn(emulator, 'claude', CLAUDE_ID, setup.endpoint ? { aws_bedrock_runtime_endpoint: setup.endpoint } : {}, { id: DEPLOYMENT_ID }),
        ...(setup.failover ? [deploymentOn(emulator, 'claude', CLAUDE_ID, {}, { id: FAILOVER_ID })] : []),
      ],
      // The faulty deployment first, while it is a candidate.
      balancer: (candidates) => candidates.find((deployment) => deployment.id === DEPLOYMENT_ID) ?? candidates[0],
      general_settings: { master_key: MASTER_KEY },
      router_settings: { num_retries: 0, ...setup.routerSettings },
      costTracker: { record: (usage) => void records.push(usage) },
    }, { before: setup.hostApp }),
  );
  let closing = false;
  try {
    await watch.within(() =>
      run({
        gateway,
        record: async () => {
          await until(() => records.length > 0);
          expect(records).toHaveLength(1);
          return records[0] as UsageRecord;
        },
      }),
    );
    // The gateway ended every upstream call it started: none is left for the emulator to answer.
    await until(() => emulator.requests.every((request) => request.outcome !== 'pending'));
    closing = true;
    await closesPromptly(() => gateway.close(), 'the gateway');
    await expectReleased(watch);
  } finally {
    watch.stop();
    // After a failure in the case: still close, and let that failure be the one reported.
    if (!closing) await gateway.close().catch(() => undefined);
  }
}

/** A response's body decoded as event-stream frames; fails if it ends inside a frame. */
export function decodeFrames(body: Buffer): readonly EventStreamFrame[] {
  const decoder = new EventStreamDecoder();
  const frames = decoder.push(body);
  expect(decoder.error).toBeUndefined();
  expect(decoder.end()).toBeUndefined();
  return frames;
}

/** What a frame says: its event or exception type, and for exceptions the message. */
export function describeFrame(frame: EventStreamFrame | undefined): { type: unknown; message?: string } {
  const headers = frame?.headers ?? {};
  if (headers[':message-type']?.value !== 'exception') return { type: headers[':event-type']?.value };
  return { type: headers[':exception-type']?.value, message: JSON.parse(Buffer.from(frame?.body ?? []).toString()).message };
}

/** Starts a server on a free port of 127.0.0.1 and stops it (and its connections) after `run`. */
export async function withServer<S extends Server>(server: S, run: (port: number) => Promise<void>, sockets: Set<Socket> = new Set()): Promise<void> {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    await run((server.address() as AddressInfo).port);
  } finally {
    sockets.forEach((socket) => socket.destroy());
    await new Promise((resolve) => server.close(resolve));
  }
}
