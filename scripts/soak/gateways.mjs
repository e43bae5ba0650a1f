// Two gateway instances as child processes (`node dist/cli.js`), one config, one Redis: what a deployment behind a
// load balancer runs. Each instance's `request` log lines are its usage records; /proc gives its RSS and open handles.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EMULATOR_CREDENTIALS } from '../../dist/testing/index.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** The soak's keys. Secrets are made up for the run; they only ever reach the gateways on this machine. */
export const KEYS = {
  master: 'sk-soak-master-0001',
  /** Rate-limited: `rpm` requests per minute across both instances. */
  rpm: { name: 'soak-rpm', key: 'sk-soak-rpm-0002', rpm: 20 },
  /** A budget of ten calls (every call costs exactly USD_PER_CALL, see FIXED_USAGE). */
  budget: { name: 'soak-budget', key: 'sk-soak-budget-0003', maxBudgetUsd: 0.1 },
};

/** Every answer reports these tokens (the emulator is told so), and the prices below make a call cost $0.01. */
export const FIXED_USAGE = { inputTokens: 10, outputTokens: 5 };
const PRICES = { input_cost_per_token: 0.0005, output_cost_per_token: 0.001 };
export const USD_PER_CALL = FIXED_USAGE.inputTokens * PRICES.input_cost_per_token + FIXED_USAGE.outputTokens * PRICES.output_cost_per_token;

/** The instances' shutdown grace period: the traffic is over when they are stopped, so nothing should need it. */
const GRACE_PERIOD_S = 5;
/** How long an instance may take to exit after SIGTERM: its grace period, and time to close its pools and Redis. */
const STOP_TIMEOUT_MS = GRACE_PERIOD_S * 1000 + 10_000;

/** The model group every client calls: two deployments on the emulator, so retries can fail over. */
export const MODEL_GROUP = 'claude';

function configYaml(emulator, redisUrl) {
  const deployment = (id, model) => `
  - model_name: ${MODEL_GROUP}
    litellm_params:
      model: bedrock/${model}
      aws_region_name: ${emulator.region}
      aws_bedrock_runtime_endpoint: ${emulator.url}
      aws_access_key_id: ${EMULATOR_CREDENTIALS.accessKeyId}
      aws_secret_access_key: ${EMULATOR_CREDENTIALS.secretAccessKey}
    model_info:
      id: ${id}
      input_cost_per_token: ${PRICES.input_cost_per_token}
      output_cost_per_token: ${PRICES.output_cost_per_token}`;
  return `model_list:${deployment('claude-a', 'anthropic.claude-3-5-sonnet-20240620-v1:0')}${deployment('claude-b', 'anthropic.claude-3-haiku-20240307-v1:0')}
router_settings:
  redis_url: ${redisUrl}
  num_retries: 2
  # Injected faults would otherwise cool both deployments down for 30 s at a time; a short cooldown keeps them in use.
  allowed_fails: 50
  cooldown_time: 1
general_settings:
  master_key: ${KEYS.master}
keys:
  - name: ${KEYS.rpm.name}
    key: ${KEYS.rpm.key}
    rpm: ${KEYS.rpm.rpm}
  - name: ${KEYS.budget.name}
    key: ${KEYS.budget.key}
    max_budget: ${KEYS.budget.maxBudgetUsd}
`;
}

/** Starts `count` CLI instances sharing `redisUrl`, each on a free port; resolves once all listen. */
export async function startGateways(emulator, redisUrl, count = 2) {
  const directory = mkdtempSync(join(tmpdir(), 'bedrock-passthrough-soak-'));
  const configFile = join(directory, 'config.yaml');
  writeFileSync(configFile, configYaml(emulator, redisUrl), { mode: 0o600 });
  process.once('exit', () => rmSync(directory, { recursive: true, force: true }));
  const instances = await Promise.all(Array.from({ length: count }, (_, index) => startInstance(configFile, index)));
  return {
    instances,
    /** Every usage record (`request` log line) of every instance so far. */
    records: () => instances.flatMap((instance) => instance.records),
    async stop() {
      await Promise.all(instances.map((instance) => instance.stop()));
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

async function startInstance(configFile, index) {
  const child = spawn(process.execPath, [CLI, '--config', configFile, '--host', '127.0.0.1', '--port', '0', '--log-level', 'info', '--grace-period', String(GRACE_PERIOD_S)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  process.once('exit', () => child.kill('SIGKILL'));
  const records = [];
  /** Error log lines and anything that is not a JSON line (a crash's stack trace): each one fails the soak. */
  const errors = [];
  /** Warning lines, shown in the summary (a gateway warns, for one, when a grace period cuts answers). */
  const warnings = [];
  const lifecycle = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));
  const lines = createInterface({ input: child.stdout });
  const listening = new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      const url = /^bedrock-passthrough listening on (\S+)$/.exec(line)?.[1];
      if (url) return resolve(url);
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        errors.push(line);
        return;
      }
      if (entry.msg === 'request') return records.push(entry);
      lifecycle.push(line);
      if (entry.level === 'error') errors.push(line);
      else if (entry.level === 'warn') warnings.push(line);
    });
    child.once('exit', (code) => reject(new Error(`gateway ${index} exited with ${code} before listening:\n${stderr}`)));
  });
  const url = await listening;
  const closed = once(child, 'close');
  return {
    name: `gateway-${index + 1}`,
    url,
    pid: child.pid,
    records,
    errors,
    warnings,
    stderr: () => stderr,
    exitCode: () => child.exitCode,
    /**
     * Resident memory (VmRSS) in bytes, open file descriptors (sockets, pipes, files) of the process now, and what
     * they are (`socket`, `pipe`, `anon_inode:[eventfd]`...).
     */
    resources() {
      const rssKb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
      const kinds = readdirSync(`/proc/${child.pid}/fd`).map((fd) => {
        try {
          return readlinkSync(`/proc/${child.pid}/fd/${fd}`).replace(/:\[\d+\]$/, '');
        } catch {
          return 'closed';
        }
      });
      return { rssBytes: rssKb * 1024, openHandles: kinds.length, handleKinds: kinds.sort() };
    },
    /** The process's TCP sockets as `local → remote (state)`, to tell which connections are still open. */
    sockets: () => tcpSockets(child.pid),
    /**
     * SIGTERM: a graceful stop, which flushes the spend table; resolves with the exit code once stdout is read, or
     * `'hung'` (after a SIGKILL) when the process has not exited {@link STOP_TIMEOUT_MS} after the signal.
     */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const hung = new Promise((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS, 'hung').unref());
      if ((await Promise.race([closed, hung])) !== 'hung') return child.exitCode;
      child.kill('SIGKILL');
      await closed;
      return 'hung';
    },
    /** Log lines other than `request` ones (start, stop, warnings), for the summary. */
    lifecycle,
  };
}

const TCP_STATES = { '01': 'ESTABLISHED', '06': 'TIME_WAIT', '08': 'CLOSE_WAIT', '0A': 'LISTEN' };

function tcpSockets(pid) {
  const inodes = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // Closed between the listing and the read.
    }
  }
  const address = (hex) => {
    const [ip, port] = hex.split(':');
    return `${ip.match(/../g).reverse().map((byte) => parseInt(byte, 16)).join('.')}:${parseInt(port, 16)}`;
  };
  return readFileSync(`/proc/${pid}/net/tcp`, 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => inodes.has(fields[9]))
    .map(([, local, remote, state]) => `${address(local)} → ${address(remote)} (${TCP_STATES[state] ?? state})`);
}
