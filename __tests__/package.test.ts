/**
 * The built package as users get it: both module systems, both entries, type declarations, and a main entry
 * that never loads the reference packages. `npm test` builds `dist/` before Jest runs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' }).trim();
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
});

describe('the built package', () => {
  it('loads with require, both entries', () => {
    const output = node([
      '-e',
      `const main = require('bedrock-passthrough');
       const testing = require('bedrock-passthrough/testing');
       console.log(typeof main.signRequest, typeof main.EventStreamDecoder, typeof testing.startBedrockEmulator);`,
    ]);
    expect(output).toBe('function function function');
  });

  it('loads with import, sharing one instance with require', () => {
    const output = node([
      '--input-type=module',
      '-e',
      `import { signRequest } from 'bedrock-passthrough';
       import { startBedrockEmulator } from 'bedrock-passthrough/testing';
       import { createRequire } from 'node:module';
       const require = createRequire(import.meta.url);
       console.log(signRequest === require('bedrock-passthrough').signRequest,
                   startBedrockEmulator === require('bedrock-passthrough/testing').startBedrockEmulator);`,
    ]);
    expect(output).toBe('true true');
  });

  it('never loads the reference packages from the main entry', () => {
    const output = node([
      '-e',
      `require('bedrock-passthrough');
       console.log(Object.keys(require.cache).filter((path) => /@smithy|@aws-crypto|@aws-sdk/.test(path)).length);`,
    ]);
    expect(output).toBe('0');
  });

  it('ships type declarations for import and require consumers', () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    expect(() => node([tsc, '-p', join('__tests__', 'fixtures', 'consumers', 'tsconfig.json')])).not.toThrow();
  });

  it('runs the emulator example against the built package', () => {
    const output = node([join('examples', 'emulator-client.mjs')]);
    expect(output).toContain('converse: Hello from a local Bedrock.');
    expect(output).toContain('injected: ThrottlingException');
  });
});
