// @ts-check
/**
 * Child-process entry of one server (`node --import ./probe.mjs serve.mjs <kind> <options as JSON>`): builds the
 * server of that kind, listens on a free loopback port and tells the parent its URL over IPC. Runs until killed.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { SERVER_KINDS } from './server-kinds.mjs';

const [kind = '', options = '{}'] = process.argv.slice(2);
const build = SERVER_KINDS[kind];
if (!build || !process.send) throw new Error(`usage: forked with IPC, kind one of ${Object.keys(SERVER_KINDS).join(', ')}`);
const { listener, facts, commands = {} } = await build(JSON.parse(options));

// Idle connections stay open between rounds (Node's default closes them after 5 s, and a reconnect would be timed
// as part of the next request): 65 s, as the CLI does.
const server = createServer({ keepAliveTimeout: 65_000, headersTimeout: 66_000 }, listener);
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());

// Messages with `probe` are probe.mjs's; those with `command` are this server's.
process.on('message', (/** @type {any} */ message) => {
  if (message?.command === undefined) return;
  const command = commands[message.command];
  process.send?.(command ? { id: message.id, result: command() } : { id: message.id, error: `${kind} has no command ${message.command}` });
});
process.on('SIGTERM', () => process.exit(0));
process.send({ ready: true, url: `http://127.0.0.1:${port}`, facts });
