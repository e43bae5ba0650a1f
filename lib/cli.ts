#!/usr/bin/env node
/**
 * `bedrock-passthrough --config config.yaml [--port 4000]`: the gateway as a standalone server, the way
 * `litellm --config` runs LiteLLM's proxy. Exit status: 0 help or clean stop, 1 failed start, 2 bad arguments.
 */
import { parseCommandLine, UsageError, USAGE, type Command } from './cli/arguments';
import { serve, StartupError } from './cli/serve';
import { ConfigError } from './config/load';

const PROGRAM = 'bedrock-passthrough';

async function main(args: readonly string[]): Promise<void> {
  let command: Command;
  try {
    command = parseCommandLine(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${PROGRAM}: ${error.message}\nRun '${PROGRAM} --help' for usage.`);
    process.exit(2);
  }
  if (command.kind === 'help') {
    process.stdout.write(USAGE);
    return;
  }

  try {
    const endpoint = await serve(command.options);
    console.log(`${PROGRAM} listening on ${endpoint}`);
  } catch (error) {
    console.error(startupFailure(error));
    process.exit(1);
  }
}

/** What to print when the server cannot start: the problems themselves for errors a person fixes, a stack for bugs. */
function startupFailure(error: unknown): string {
  if (error instanceof ConfigError) {
    const where = error.file === undefined ? '' : ` ${error.file}`;
    const count = `${error.problems.length} ${error.problems.length === 1 ? 'problem' : 'problems'}`;
    return `${PROGRAM}: cannot start with the configuration${where} (${count}):\n${error.problems.map((problem) => `  - ${problem}`).join('\n')}`;
  }
  if (error instanceof StartupError) return `${PROGRAM}: ${error.message}`;
  return `${PROGRAM}: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}

void main(process.argv.slice(2));
