/** The dashboard page as served: self-contained, and allowed nothing but itself by its content security policy. */
import { createHash } from 'node:crypto';
import { Script } from 'node:vm';
import { startAdminServer, type RunningAdminServer } from './admin-server';
import { createFakeAdminData, MASTER_KEY } from './fake-admin-data';

/** The SVG namespace is an identifier the script names, not an address anything is fetched from. */
const SVG_NAMESPACE = 'http://www.w3.org/2000/svg';

let server: RunningAdminServer;
let response: Response;
let html: string;

beforeAll(async () => {
  server = await startAdminServer({ masterKey: MASTER_KEY, data: createFakeAdminData().data });
  response = await fetch(`${server.url}/`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
  html = await response.text();
});
afterAll(() => server.close());

const directives = () =>
  new Map(
    (response.headers.get('content-security-policy') ?? '').split(';').map((directive) => {
      const [name = '', ...values] = directive.trim().split(/\s+/);
      return [name, values] as const;
    }),
  );
const inline = (tag: 'script' | 'style') =>
  [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((match) => match[1] ?? '');
const hashOf = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

test('is HTML, never cached, never framed', () => {
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('x-frame-options')).toBe('DENY');
  expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  expect(html).toMatch(/^<!doctype html>/);
});

test('its content security policy allows only its own script and style, and requests to its own origin', () => {
  const policy = directives();
  expect(policy.get('default-src')).toEqual(["'none'"]);
  expect(policy.get('script-src')).toEqual(inline('script').map(hashOf));
  expect(policy.get('style-src')).toEqual(inline('style').map(hashOf));
  expect(policy.get('connect-src')).toEqual(["'self'"]);
  expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
  expect(policy.get('base-uri')).toEqual(["'none'"]);
  expect(policy.get('form-action')).toEqual(["'none'"]);
  expect(policy.get('require-trusted-types-for')).toEqual(["'script'"]);
  expect(inline('script')).toHaveLength(1);
  expect(inline('style')).toHaveLength(1);
});

test('references nothing outside itself', () => {
  expect(html).not.toMatch(/\s(src|href|srcset|action|poster|data)\s*=/i);
  expect(html).not.toMatch(/url\(|@import|@font-face|<link|<iframe|<object|<embed|<img/i);
  expect(html).not.toMatch(/\sstyle\s*=|\son[a-z]+\s*=/i);
  const addresses = html.match(/[a-z][a-z0-9+.-]*:\/\/[^\s'"<>)]*/gi) ?? [];
  expect(new Set(addresses)).toEqual(new Set([SVG_NAMESPACE]));
});

test('its script is valid JavaScript that never parses HTML from strings', () => {
  const [script = ''] = inline('script');
  expect(() => new Script(script)).not.toThrow();
  expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
});
