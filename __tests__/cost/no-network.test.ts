/**
 * A gateway must not phone home, and there is no internet here: the price data is the copy bundled in
 * @pydantic/genai-prices, read in memory. Its only remote source is `updatePrices`, which nothing of ours calls.
 */
// Default imports: the modules' own objects, whose functions a spy can replace (a namespace import's cannot be).
import dns from 'node:dns';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import { dirname, join } from 'node:path';
import tls from 'node:tls';

type CostModule = typeof import('../../lib/cost');
type GenaiPrices = typeof import('@pydantic/genai-prices');

const refuse = (): never => {
  throw new Error('network access attempted');
};

describe('at run time, prices', () => {
  let spies: jest.SpyInstance[] = [];

  beforeEach(() => {
    spies = [
      jest.spyOn(globalThis, 'fetch').mockImplementation(refuse),
      jest.spyOn(http, 'request').mockImplementation(refuse),
      jest.spyOn(http, 'get').mockImplementation(refuse),
      jest.spyOn(https, 'request').mockImplementation(refuse),
      jest.spyOn(https, 'get').mockImplementation(refuse),
      jest.spyOn(http2, 'connect').mockImplementation(refuse),
      jest.spyOn(tls, 'connect').mockImplementation(refuse),
      // Every TCP connection (net.connect, undici's fetch, TLS) goes through a socket's connect.
      jest.spyOn(net.Socket.prototype, 'connect').mockImplementation(refuse),
      jest.spyOn(dns, 'lookup').mockImplementation(refuse),
    ];
  });

  afterEach(() => jest.restoreAllMocks());

  it('open no connection to load the data and price every model it holds and some it does not', async () => {
    jest.isolateModules(() => {
      // Loaded afresh while the spies are in place, so that anything done at load time is seen too.
      const cost = require('../../lib/cost') as CostModule;
      const { findProvider } = require('@pydantic/genai-prices') as GenaiPrices;
      const logger = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
      const calculator = cost.createCostCalculator({ logger, priceBook: cost.createGenaiPricesBook() });
      const ids = [
        ...(findProvider({ providerId: 'aws' })?.models.map((model) => model.id) ?? []),
        'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
        'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0',
        'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6',
        'cohere.command-r-v1:0',
        'not-a-model',
      ];
      expect(ids.length).toBeGreaterThan(50);
      const usage = { inputTokens: 300_000, outputTokens: 10, cacheReadTokens: 10, cacheWriteTokens: 10, cacheWrite1hTokens: 5 };
      for (const modelId of ids) calculator.cost({ modelId, region: 'us-east-1' }, usage);
    });
    // Anything started in the background would have begun by now.
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it('would be caught trying (the spies stand in the way of every kind of connection)', () => {
    expect(() => fetch('https://raw.githubusercontent.com/')).toThrow('network access attempted');
    expect(() => https.get('https://raw.githubusercontent.com/')).toThrow('network access attempted');
    expect(() => net.connect(443, 'raw.githubusercontent.com')).toThrow('network access attempted');
    expect(spies.filter((spy) => spy.mock.calls.length > 0)).toHaveLength(3);
  });
});

describe('the genai-prices build', () => {
  it('cannot reach the network', () => {
    const entry = require.resolve('@pydantic/genai-prices');
    expect(entry).toMatch(/index\.cjs$/);
    const source = readFileSync(entry, 'utf8');
    // No fetch, no module loading (so no node:http, node:net...), no other web API: the bundled data is all it has.
    // A new version that adds any of these must be reviewed again before it is pinned.
    for (const reach of [/\bfetch\b/, /\brequire\s*\(/, /\bimport\s*\(/, /\bXMLHttpRequest\b/, /\bWebSocket\b/, /\bglobalThis\b/]) {
      expect(source).not.toMatch(reach);
    }
  });

  it('is pinned to one exact version, the one installed', () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const pinned = manifest.dependencies['@pydantic/genai-prices'];
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    const installed = JSON.parse(readFileSync(join(dirname(require.resolve('@pydantic/genai-prices')), '../package.json'), 'utf8')) as { version: string };
    expect(installed.version).toBe(pinned);
  });
});
