/**
 * Test scaffolding for programs run as child processes (the CLI, the examples, the demo): start them, wait for a
 * line of output, stop them. Every child started here is killed by {@link stopAllProcesses}, even when a test fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'cli.js');

/** How a child process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A child process and what it has printed so far. */
export interface RunningProcess {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  /** Resolves with the first match of `pattern` in stdout (or stderr); rejects if the process exits or time runs out first. */
  waitFor(pattern: RegExp, options?: { stream?: 'stdout' | 'stderr'; timeoutMs?: number }): Promise<RegExpMatchArray>;
}

const running = new Set<ChildProcess>();

/** Starts `node <args>` in the repository root. */
export function startNode(args: readonly string[], env: NodeJS.ProcessEnv = {}): RunningProcess {
  return startProcess(process.execPath, args, env);
}

/** Starts a program in the repository root, with `env` added to this process's environment. */
export function startProcess(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): RunningProcess {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const output = { stdout: '', stderr: '' };
  const changed = new Set<() => void>();
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    output.stdout += text;
    changed.forEach((listener) => listener());
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    output.stderr += text;
    changed.forEach((listener) => listener());
  });
  // 'close', not 'exit': by then everything the process printed has been read.
  let closed = false;
  const exited = once(child, 'close').then(([code, signal]) => {
    closed = true;
    running.delete(child);
    changed.forEach((listener) => listener());
    return { code, signal } as Exit;
  });

  const printed = () => `\n--- stdout ---\n${output.stdout}\n--- stderr ---\n${output.stderr}`;

  return {
    child,
    stdout: () => output.stdout,
    stderr: () => output.stderr,
    exited,
    waitFor(pattern, { stream = 'stdout', timeoutMs = 10_000 } = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = output[stream].match(pattern);
          if (match) return finish(() => resolve(match));
          if (closed) return finish(() => reject(new Error(`the process exited before printing ${pattern}${printed()}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms${printed()}`))), timeoutMs);
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          changed.delete(check);
          settle();
        };
        changed.add(check);
        check();
      });
    },
  };
}

/** Runs `node <args>` to its end. */
export async function runNode(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Exit & { stdout: string; stderr: string }> {
  const started = startNode(args, env);
  const exit = await started.exited;
  return { ...exit, stdout: started.stdout(), stderr: started.stderr() };
}

/**
 * Stops every child still running (for `afterEach`/`afterAll`) and waits until they are gone: SIGTERM first, so
 * that a child can stop children of its own (the demo's gateway), then SIGKILL if it is still there after 5 s.
 */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      const closed = once(child, 'close');
      child.kill('SIGTERM');
      const deadline = setTimeout(() => child.kill('SIGKILL'), 5000);
      await closed;
      clearTimeout(deadline);
    }),
  );
}

/** A temporary directory, removed by the returned function. */
export function temporaryDirectory(): { path: string; write(name: string, text: string): string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'bedrock-passthrough-cli-'));
  return {
    path,
    write(name, text) {
      const file = join(path, name);
      writeFileSync(file, text);
      return file;
    },
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}
