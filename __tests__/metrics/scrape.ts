/**
 * Scraping as Prometheus does: a registry served over HTTP by the gateway's own endpoint, fetched, and parsed from
 * the text exposition format into samples.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveMetrics } from '../../lib/metrics/endpoint';
import type { PrometheusRegistry } from '../../lib/metrics/types';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Scrape {
  readonly status: number;
  readonly contentType: string | null;
  readonly body: string;
  readonly samples: readonly Sample[];
}

/** Serves `registry` on an ephemeral port for the duration of one callback. */
export async function withMetricsServer<T>(registry: PrometheusRegistry, use: (url: string) => Promise<T>): Promise<T> {
  const server = createServer((req, res) => serveMetrics(registry, req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await use(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** One GET of the registry's metrics, parsed. */
export function scrape(registry: PrometheusRegistry): Promise<Scrape> {
  return withMetricsServer(registry, async (url) => {
    const response = await fetch(url);
    const body = await response.text();
    return { status: response.status, contentType: response.headers.get('content-type'), body, samples: response.ok ? parseExposition(body) : [] };
  });
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses Prometheus' text format (0.0.4): every sample line, comments skipped. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name, value] of (match[2] ?? '').matchAll(LABEL)) labels[name as string] = (value as string).replace(/\\(.)/g, '$1');
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The samples named `name` whose labels include `labels`. */
export function find(samples: readonly Sample[], name: string, labels: Readonly<Record<string, string>> = {}): Sample[] {
  return samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
}

/** The value of the one sample named `name` with exactly these labels; throws when there is none. */
export function value(samples: readonly Sample[], name: string, labels: Readonly<Record<string, string>>): number {
  const wanted = Object.keys(labels).length;
  const matches = find(samples, name, labels).filter((sample) => Object.keys(sample.labels).length === wanted);
  if (matches.length !== 1) throw new Error(`${matches.length} samples ${name}${JSON.stringify(labels)}`);
  return (matches[0] as Sample).value;
}
