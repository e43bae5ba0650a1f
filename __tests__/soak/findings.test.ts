/**
 * What the soak found, pinned down as fast tests: faults it only met by chance under load, reproduced on purpose.
 */
import { once } from 'node:events';
import { connect, type AddressInfo } from 'node:net';
import { createDualProtocolServer } from '../../lib/cli/protocols';
import { startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import type { UsageRecord } from '../../lib/types';
import { CLAUDE_ID, MESSAGES } from '../support/bedrock-requests';
import { MASTER_KEY, deploymentOn, withGateway } from '../support/gateway';
import { until } from '../support/http2';

let emulator: BedrockEmulator;
beforeAll(async () => {
  emulator = await startBedrockEmulator();
});
afterAll(() => emulator.close());

it('a client that leaves before the answer’s head: its record still lists the upstream call it started', async () => {
  // The soak's sum of attempts fell short of the calls the emulator served by one per such client.
  emulator.inject({ firstByteDelayMs: 60_000 });
  const records: UsageRecord[] = [];
  const options = {
    model_list: [deploymentOn(emulator, 'claude', CLAUDE_ID, {}, { id: 'claude-east' })],
    general_settings: { master_key: MASTER_KEY },
    costTracker: { record: (record: UsageRecord) => void records.push(record) },
  };
  await withGateway(options, async (gateway) => {
    const leave = new AbortController();
    fetch(`${gateway.url}/model/claude/converse`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: MESSAGES }),
      signal: leave.signal,
    }).catch(() => undefined);
    await until(() => emulator.requests.length === 1);
    leave.abort();
    await until(() => records.length === 1);
  });
  expect(records[0]).toMatchObject({ outcome: 'client-aborted', usageComplete: false, costUsd: null });
  expect(records[0]?.attempts).toEqual([expect.objectContaining({ deploymentId: 'claude-east', errorType: 'ClientGone', outcome: 'failed' })]);
  expect(emulator.requests).toHaveLength(1);
});

it('the CLI’s server closes a connection its client closed before sending a byte', async () => {
  // Left half open before, in CLOSE_WAIT until the 66 s header timeout: the soak saw an instance's handles stay up.
  const server = createDualProtocolServer((_req, res) => res.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await once(socket, 'connect');
    const closedByServer = once(socket, 'end');
    socket.end();
    await closedByServer;
    expect(socket.readableEnded).toBe(true);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
