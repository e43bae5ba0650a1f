/**
 * The dashboard of a real gateway after a scripted run of traffic, in Debian's Chromium: it shows that run's
 * numbers with the master key, and refuses without it. (The dashboard's own details are tested against fake data in
 * dashboard-browser.test.ts.)
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import { CLAUDE_ID, MESSAGES } from '../support/bedrock-requests';
import { MASTER_KEY, deploymentOn, post, startGateway, type RunningGateway } from '../support/gateway';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const CONVERSE = JSON.stringify({ messages: MESSAGES });

// In CI a missing Chromium fails dashboard-browser.test.ts; here it only skips, to report that once.
(existsSync(CHROMIUM) ? describe : describe.skip)('the dashboard of a real gateway', () => {
  jest.setTimeout(60_000);
  let browser: Browser;
  let emulator: BedrockEmulator;
  let gateway: RunningGateway;

  beforeAll(async () => {
    emulator = await startBedrockEmulator();
    gateway = await startGateway({
      model_list: [deploymentOn(emulator, 'claude', CLAUDE_ID, {}, { id: 'claude-east' })],
      general_settings: { master_key: MASTER_KEY },
      keys: [{ key: 'sk-dashboard-team-1', name: 'search-team', rpm: 100 }],
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    // The scripted run: three calls of 1,000 input and 200 output tokens, $0.006 each at Claude 3.5 Sonnet's prices.
    emulator.inject({ usage: { inputTokens: 1000, outputTokens: 200 }, times: 3 });
    for (let index = 0; index < 3; index++) {
      const response = await post(gateway, '/model/claude/converse', CONVERSE, { 'x-api-key': 'sk-dashboard-team-1', 'content-type': 'application/json' });
      expect(response.status).toBe(200);
    }
  });
  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    await emulator?.close();
  });

  it('shows the run’s spend, tokens, key and deployment with the master key', async () => {
    const context = await browser.newContext({ httpCredentials: { username: 'admin', password: MASTER_KEY } });
    try {
      const page = await context.newPage();
      const response = await page.goto(`${gateway.url}/admin/?refresh=1`);
      expect(response?.status()).toBe(200);
      await page.locator('#totals', { hasText: '$0.018' }).waitFor();
      const totals = await page.locator('#totals').innerText();
      expect(totals).toMatch(/Requests\s+3/);
      expect(totals).toMatch(/Input tokens\s+3,000/);
      expect(totals).toMatch(/Output tokens\s+600/);
      expect(await page.locator('#keys tbody').innerText()).toMatch(/search-team[\s\S]*3 \/ 100/);
      expect(await page.locator('#deployments tbody').innerText()).toMatch(/claude-east[\s\S]*Healthy/);
      expect(await page.locator('#chart-keys .legend').innerText()).toContain('search-team');
    } finally {
      await context.close();
    }
  });

  it('refuses without the master key', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const response = await page.goto(`${gateway.url}/admin/`).catch(() => undefined);
      if (response) expect(response.status()).toBe(401);
      expect(await page.locator('#totals').count()).toBe(0);
      const api = await fetch(`${gateway.url}/admin/spend`, { headers: { 'x-api-key': 'sk-dashboard-team-1' } });
      expect(api.status).toBe(403);
    } finally {
      await context.close();
    }
  });
});
