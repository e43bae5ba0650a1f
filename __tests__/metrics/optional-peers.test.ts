/**
 * prom-client, `@opentelemetry/api` and ioredis are optional peers: the built main entry, and a gateway created
 * without metrics, tracing or Redis, must not load them. Checked in a fresh `node` on `dist/` (`npm test` builds it first).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** Every declaration file `entry` reaches through relative imports, with the bare module names they import. */
function declarationImports(entry: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const visit = (file: string): void => {
    if (found.has(file)) return;
    const specifiers = [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map((match) => match[1] as string);
    found.set(file, specifiers.filter((specifier) => !specifier.startsWith('.')));
    for (const relative of specifiers.filter((specifier) => specifier.startsWith('.'))) visit(`${resolve(dirname(file), relative)}.d.ts`);
  };
  visit(join(ROOT, 'dist', entry));
  return found;
}

/** Runs `script` in a fresh node at the package root; it prints the optional peers loaded so far, as JSON. */
function loadedPeersAfter(script: string): string[] {
  const report = `console.log(JSON.stringify([...new Set(Object.keys(require.cache)
    .map((path) => /[\\\\/]node_modules[\\\\/](prom-client|@opentelemetry[\\\\/]api|ioredis)[\\\\/]/.exec(path)?.[1])
    .filter(Boolean))]));`;
  const output = execFileSync(process.execPath, ['-e', `${script}\n${report}`], { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').at(-1) ?? '[]') as string[];
}

const GATEWAY_CONFIG = JSON.stringify({
  model_list: [
    {
      model_name: 'claude',
      litellm_params: {
        model: 'bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0',
        aws_region_name: 'us-east-1',
        aws_access_key_id: 'AKIDEXAMPLE',
        aws_secret_access_key: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      },
    },
  ],
  general_settings: { master_key: 'sk-optional-peers' },
});

beforeAll(() => {
  for (const built of ['index.js', 'metrics/prometheus.js', 'tracing/otel.js']) {
    if (!existsSync(join(ROOT, 'dist', built))) throw new Error(`dist/${built} is missing: run \`npm run build\` (npm test does)`);
  }
});

describe('optional peers stay unloaded until used', () => {
  it('the main entry, and a gateway without metrics, tracing or Redis, load none of them', () => {
    const script = `const { createBedrockHandler } = require('./dist/index.js');
      const handler = createBedrockHandler(${GATEWAY_CONFIG});
      void handler.close();`;
    expect(loadedPeersAfter(script)).toEqual([]);
  });

  it('the metrics and tracing modules load their peer only when created', () => {
    const modules = `const { createTracing } = require('./dist/tracing/otel.js');
      require('./dist/metrics/prometheus.js');
      require('./dist/metrics/endpoint.js');`;
    expect(loadedPeersAfter(modules)).toEqual([]);
    // The check sees a peer once it is loaded: creating tracing loads the API.
    expect(loadedPeersAfter(`${modules}\ncreateTracing();`)).toEqual(['@opentelemetry/api']);
  });
});

describe('type declarations', () => {
  // A host without the peers, type-checking without skipLibCheck, must still compile against the public options.
  it.each(['index.d.ts', 'metrics/prometheus.d.ts', 'metrics/endpoint.d.ts', 'tracing/otel.d.ts', 'state/redis-store.d.ts'])('%s names no optional peer', (entry) => {
    const bare = [...declarationImports(entry).values()].flat();
    expect(bare.filter((name) => name === 'prom-client' || name === 'ioredis' || name.startsWith('@opentelemetry/'))).toEqual([]);
  });
});
