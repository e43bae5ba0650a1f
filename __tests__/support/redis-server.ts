/**
 * A `redis-server` of the tests' own: on a free port, without persistence, and killable, pausable and restartable
 * on the same port, to play an outage. Where redis-server is not installed, the Redis tests are skipped with a
 * message saying so; in CI (`CI=true`) they must run, and its absence fails the run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';

const REDIS_SERVER = 'redis-server';
const START_TIMEOUT_MS = 10_000;

/** Servers still running when the test process exits (a test that failed before stopping its own) go with it. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Whether redis-server can run here.
 * @throws in CI when it cannot: there, a skipped Redis suite would hide a broken set-up.
 */
export function redisServerInstalled(): boolean {
  const probe = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  if (!probe.error && probe.status === 0) return true;
  const why = `${REDIS_SERVER} is not installed or does not run (${probe.error?.message ?? probe.stderr.trim()})`;
  if (process.env['CI'] === 'true') throw new Error(`${why}. CI runs the Redis store tests: install it (apt-get install redis-server).`);
  console.warn(`Skipping the Redis store tests: ${why}. Install redis-server to run them.`);
  return false;
}

/** `describe`, or `describe.skip` (after saying why) where redis-server is not installed. */
export const describeWithRedis: jest.Describe = redisServerInstalled() ? describe : describe.skip;

/** One redis-server process at a time on a port of its own. */
export class RedisServer {
  private process: ChildProcess | undefined;
  private output = '';

  private constructor(readonly port: number) {}

  /** Starts a server on a free port and waits until it answers PING. */
  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.restart();
    return server;
  }

  /** A port where no server runs yet: start one there later with {@link restart}. */
  static async unstarted(): Promise<RedisServer> {
    return new RedisServer(await freePort());
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (again) on its port and waits until it answers PING. */
  async restart(): Promise<void> {
    if (this.process) throw new Error(`redis-server is already running on port ${this.port}`);
    this.output = '';
    const child = spawn(
      REDIS_SERVER,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.once('exit', () => {
      running.delete(child);
      if (this.process === child) this.process = undefined;
    });
    running.add(child);
    this.process = child;
    await this.untilItAnswers(child);
  }

  /** SIGKILL: the server dies on the spot, as in a crash, and its connections drop. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Stops the server, if it runs. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** SIGSTOP: the server hangs, connections open and nothing answered, as a Redis stalled on a slow command. */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  /** SIGCONT: the paused server answers again, everything it received meanwhile first. */
  resume(): void {
    this.process?.kill('SIGCONT');
  }

  /** `CONFIG SET name value` on the running server (a raw socket, as {@link answersPing}). */
  async configure(name: string, value: string): Promise<void> {
    const reply = await sendCommand(this.port, ['CONFIG', 'SET', name, value]);
    if (!reply.startsWith('+OK')) throw new Error(`CONFIG SET ${name} ${value} failed: ${reply}`);
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    // A paused server ignores SIGTERM until it runs again.
    child.kill('SIGCONT');
    child.kill(signal);
    await exited;
  }

  private async untilItAnswers(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}:\n${this.output}`);
      if (await answersPing(this.port)) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`redis-server did not answer PING on port ${this.port} within ${START_TIMEOUT_MS} ms:\n${this.output}`);
  }
}

/** Whether something on `port` answers a PING with PONG. */
async function answersPing(port: number): Promise<boolean> {
  return (await sendCommand(port, ['PING'])).startsWith('+PONG');
}

/**
 * Sends one command on a fresh connection and returns the first chunk of the reply, or '' when nothing answers: a
 * raw socket, so the helper needs no client library.
 */
function sendCommand(port: number, command: readonly string[]): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const settle = (reply: string) => {
      socket.destroy();
      resolve(reply);
    };
    socket.setTimeout(1000, () => settle(''));
    socket.once('error', () => settle(''));
    socket.once('connect', () => socket.write(`*${command.length}\r\n${command.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`));
    socket.once('data', (data) => settle(data.toString()));
  });
}

/** A port the system just handed out, so free now (nothing else on this machine should take it meanwhile). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no TCP port was handed out');
  return address.port;
}
