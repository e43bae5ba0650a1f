/**
 * The spend dashboard: one self-contained HTML page. Its script and stylesheet are inline and allowed by their
 * SHA-256 in the content security policy, which allows nothing else: no other script or style, no request but to
 * this origin, no frames, forms or plugins, and (Trusted Types) no HTML parsed from strings.
 */
import { createHash } from 'node:crypto';
import { DASHBOARD_SCRIPT } from './script';
import { DASHBOARD_STYLES } from './styles';

/** The CSP source expression of an inline element's text. */
function hashSource(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** A table whose rows the script fills; the headings also tell it how many columns an empty table spans. */
function table(id: string, headings: ReadonlyArray<string | [heading: string, numeric: 'number']>): string {
  const cells = headings.map((heading) =>
    typeof heading === 'string' ? `<th>${heading}</th>` : `<th class="number">${heading[0]}</th>`,
  );
  return `<table id="${id}"><thead><tr>${cells.join('')}</tr></thead><tbody></tbody></table>`;
}

/** The page. Everything that varies is filled in by the script, as text, from the JSON routes. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>bedrock-passthrough admin</title>
<style>${DASHBOARD_STYLES}</style>
</head>
<body>
<header>
  <h1>bedrock-passthrough <span>admin</span></h1>
  <label>Period<select id="period">
    <option value="7">last 7 days</option>
    <option value="30" selected>last 30 days</option>
    <option value="90">last 90 days</option>
  </select></label>
  <p id="updated" aria-live="polite">Loading…</p>
</header>
<p id="banner" role="alert" hidden></p>
<main>
  <section id="totals" class="cards" aria-label="Totals of the period"></section>
  <div class="charts">
    <section><h2>Spend per key<small>USD per day (UTC)</small></h2><div id="chart-keys" class="chart"></div></section>
    <section><h2>Spend per model group<small>USD per day (UTC)</small></h2><div id="chart-models" class="chart"></div></section>
  </div>
  <section><h2>Deployments</h2>
    ${table('deployments', ['Deployment', 'Model', 'Region', 'Status', ['In flight', 'number'], ['Latency, plain', 'number'], ['First byte, stream', 'number'], ['Requests this minute', 'number'], ['Tokens this minute', 'number']])}
  </section>
  <section><h2>Keys</h2>
    ${table('keys', ['Key', 'Models', 'Operations', ['Requests this minute', 'number'], ['Tokens this minute', 'number'], ['In flight', 'number'], ['Budget', 'number'], 'Expires', 'Metadata'])}
  </section>
  <section><h2>Recent errors<small>newest first</small></h2>
    ${table('errors', ['Time', 'Key', 'Model group', 'Deployment', ['Status', 'number'], 'Error type', 'Request id'])}
  </section>
</main>
<script>${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;

/** The page's security headers: its content security policy allows only the page's own script, style and origin. */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'none'",
    `script-src ${hashSource(DASHBOARD_SCRIPT)}`,
    `style-src ${hashSource(DASHBOARD_STYLES)}`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; '),
  'x-frame-options': 'DENY',
};
