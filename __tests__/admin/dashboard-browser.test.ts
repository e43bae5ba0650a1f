/**
 * The dashboard in a real browser: Debian's Chromium, driven by playwright-core. Skipped with a message on a
 * developer machine without Chromium (`apt-get install chromium`); in CI a missing Chromium fails the run.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startAdminServer, type RunningAdminServer } from './admin-server';
import {
  createFakeAdminData,
  DAYS,
  daysAgo,
  HOSTILE_KEY_NAME,
  KEY_NAMES,
  MASTER_KEY,
  MODEL_NAMES,
  spendRows,
  type FakeAdminData,
} from './fake-admin-data';

const CHROMIUM = '/usr/bin/chromium';
// Without the background-networking flags Chromium keeps dialling Google's hosts, which this network refuses.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const haveChromium = existsSync(CHROMIUM);
const inCi = process.env['CI'] === 'true';

if (!haveChromium && inCi) {
  test('Chromium is installed for the dashboard tests', () => {
    throw new Error(`Chromium is missing at ${CHROMIUM}: CI must install it (apt-get install -y chromium).`);
  });
} else if (!haveChromium) {
  console.warn(`Skipping the dashboard browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium to run them).`);
}

(haveChromium ? describe : describe.skip)('the dashboard in Chromium', () => {
  jest.setTimeout(60_000);

  let browser: Browser;
  let fake: FakeAdminData;
  let server: RunningAdminServer;
  let context: BrowserContext;
  let page: Page;
  /** What the page did that a clean page never does: script errors, policy violations, requests elsewhere. */
  let problems: string[];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(() => browser?.close());

  beforeEach(async () => {
    fake = createFakeAdminData();
    server = await startAdminServer({ masterKey: MASTER_KEY, data: fake.data });
    problems = [];
    context = await browser.newContext({ httpCredentials: { username: 'admin', password: MASTER_KEY }, viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('console', (message) => {
      // A failed fetch is logged by Chromium itself; the tests that make one expect it.
      if (message.type() === 'error' && !message.text().includes('Failed to load resource')) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => {
      if (!request.url().startsWith(`${server.origin}/`)) problems.push(`request to ${request.url()}`);
    });
  });
  afterEach(async () => {
    await context.close();
    await server.close();
  });

  /** Opens the page refreshing every second, and waits for its first data. */
  async function open(): Promise<void> {
    const response = await page.goto(`${server.url}/?refresh=1`);
    expect(response?.status()).toBe(200);
    await page.locator('#updated', { hasText: 'Last updated' }).waitFor();
  }

  const text = (selector: string) => page.locator(selector).innerText();

  test('shows the totals, both charts, the deployments, the keys and the errors', async () => {
    await open();
    const totals = await text('#totals');
    expect(totals).toContain('$12.50');
    expect(totals).toMatch(/Requests\s+132/);
    expect(totals).toMatch(/Input tokens\s+12,000/);
    expect(totals).toMatch(/Unpriced requests\s+6/);

    expect(await page.locator('#chart-keys rect.bar').count()).toBe(DAYS.length * KEY_NAMES.length);
    expect(await page.locator('#chart-models rect.bar').count()).toBe(DAYS.length * MODEL_NAMES.length);
    const legend = await page.locator('#chart-keys .legend li').allInnerTexts();
    expect(legend.sort()).toEqual([`${HOSTILE_KEY_NAME}\n$6.25`, 'alice\n$6.25']);

    const deployments = await page.locator('#deployments tbody tr').allInnerTexts();
    expect(deployments).toHaveLength(2);
    expect(deployments[0]).toMatch(/claude-east[\s\S]*Healthy[\s\S]*812 ms[\s\S]*342 ms[\s\S]*42 \/ 60[\s\S]*91,000 \/ 100,000/);
    expect(deployments[1]).toMatch(/claude-west[\s\S]*Cooling down[\s\S]*no limit/);

    const keys = await page.locator('#keys tbody tr').allInnerTexts();
    expect(keys[0]).toMatch(/alice[\s\S]*12 \/ 100[\s\S]*\$6\.25 \/ \$25\.00[\s\S]*per 30d[\s\S]*resets [\s\S]*team: search/);
    expect(keys[1]).toContain('disabled');

    const errors = await page.locator('#errors tbody tr').allInnerTexts();
    expect(errors[0]).toMatch(/alice[\s\S]*claude-west[\s\S]*429[\s\S]*ThrottlingException[\s\S]*req-0001/);
    expect(problems).toEqual([]);
  });

  test('shows names as text: a key named like markup stays text', async () => {
    await open();
    expect(await text('#keys tbody')).toContain(HOSTILE_KEY_NAME);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.title()).toBe('bedrock-passthrough admin');
    expect(problems).toEqual([]);
  });

  test('refreshes itself when the data changes', async () => {
    await open();
    fake.rows = [...spendRows(), ...spendRows(2).map((row) => ({ ...row, day: daysAgo(0) }))];
    await page.locator('#totals', { hasText: '$36.50' }).waitFor();
    // Five days from the first to the last, the gap day included.
    expect(await page.locator('#chart-keys rect.bar').count()).toBe(5 * KEY_NAMES.length);
    expect(problems).toEqual([]);
  });

  test('asks for the period chosen, and answers at /admin without the slash too', async () => {
    const response = await page.goto(`${server.url}?refresh=1`);
    expect(response?.status()).toBe(200);
    await page.locator('#updated', { hasText: 'Last updated' }).waitFor();
    expect(fake.calls.find((call) => call.method === 'spend')?.argument).toEqual({ since: daysAgo(29) });

    await Promise.all([page.waitForRequest(`${server.url}/spend?since=${daysAgo(6)}`), page.selectOption('#period', '7')]);
    expect(problems).toEqual([]);
  });

  test('gives the biggest seven spenders a colour each and sums up the rest', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `team-${i}`);
    fake.rows = names.map((keyName, i) => ({ ...spendRows(1 + i)[0]!, keyName }));
    await open();
    const legend = await page.locator('#chart-keys .legend li').allInnerTexts();
    expect(legend).toHaveLength(8);
    expect(legend[0]).toBe('team-9\n$10.00');
    expect(legend[7]).toBe('3 others\n$6.00');
    expect(await page.locator('#chart-keys rect.bar').count()).toBe(8);
  });

  test('shows a banner and keeps the last data while the API fails, then recovers', async () => {
    await open();
    fake.failure = new Error('store down');
    const banner = page.locator('#banner');
    await banner.waitFor({ state: 'visible' });
    expect(await banner.innerText()).toMatch(/^Refresh failed: spend answered 500: The admin data is unavailable; see the gateway log\. Showing the data of /);
    expect(await text('#totals')).toContain('$12.50');
    expect(await page.locator('#updated.stale').count()).toBe(1);

    fake.failure = undefined;
    await banner.waitFor({ state: 'hidden' });
    expect(await page.locator('#updated.stale').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  test('is refused without the master key, and with a wrong one', async () => {
    for (const credentials of [undefined, { username: 'admin', password: 'not-the-key' }]) {
      const stranger = await browser.newContext(credentials ? { httpCredentials: credentials } : {});
      const strangerPage = await stranger.newPage();
      // The browser meets the challenge with no (right) password to answer it; it then either shows the 401's
      // body or gives up on the navigation (ERR_INVALID_AUTH_CREDENTIALS), depending on timing: never the page.
      const [refusal] = await Promise.all([
        strangerPage.waitForResponse(`${server.url}/`),
        strangerPage.goto(`${server.url}/`).catch(() => undefined),
      ]);
      expect(refusal.status()).toBe(401);
      expect(refusal.headers()['www-authenticate']).toMatch(/^Basic realm="bedrock-passthrough admin"/);
      expect(await strangerPage.locator('#totals').count()).toBe(0);
      await stranger.close();
    }
    expect(fake.calls).toEqual([]);
  });
});
