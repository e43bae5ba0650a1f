/**
 * The dashboard's script: plain browser JavaScript, inlined in the page and allowed by its hash in the content
 * security policy, so there is no build step and nothing to fetch. It reads the four admin routes next to the page,
 * draws the charts as SVG, and refreshes itself.
 *
 * Every value from the API reaches the page as a text node or an attribute value, never as markup: key and model
 * names come from config and clients. The page's policy enforces it (Trusted Types: `innerHTML` and the like throw).
 * Written without backticks and `${` so that it lives in this template literal as it is.
 */
export const DASHBOARD_SCRIPT = String.raw`
'use strict';
(() => {
  /** Series drawn in their own colour; smaller ones share the last colour. */
  const MAX_SERIES = 8;
  const DAY_MS = 86400000;
  const FETCH_TIMEOUT_MS = 10000;
  // The page answers at .../admin and .../admin/: the API is below .../admin/ either way.
  const apiBase = location.pathname.replace(/\/?$/, '/');
  // ?refresh=N sets the period in seconds (one at least, so that an open tab cannot hammer the gateway).
  const refreshMs = Math.max(1, Number(new URLSearchParams(location.search).get('refresh')) || 5) * 1000;
  const counts = new Intl.NumberFormat('en-US');

  const $ = (id) => document.getElementById(id);
  const period = $('period');
  const updated = $('updated');
  const banner = $('banner');
  let lastSuccess = null;
  let timer = null;
  let latestRefresh = 0;

  /** Fills an element; strings among the children become text nodes, so nothing is ever parsed as HTML. */
  function build(node, attributes, children) {
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== null && value !== undefined) node.setAttribute(name, String(value));
    }
    for (const child of children.flat(2)) {
      // null, undefined and false stand for "nothing here", as in (condition && element).
      if (child !== null && child !== undefined && child !== false) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }
  const h = (tag, attributes, ...children) => build(document.createElement(tag), attributes, children);
  const svg = (tag, attributes, ...children) => build(document.createElementNS('http://www.w3.org/2000/svg', tag), attributes, children);

  const usd = (value) => {
    const digits = Math.abs(value) >= 1 || value === 0 ? 2 : 4;
    return '$' + value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  };
  const count = (value) => counts.format(value);
  const ms = (value) => (value === null ? '—' : Math.round(value) + ' ms');
  const clock = (iso) => new Date(iso).toLocaleTimeString();
  const dateAndClock = (iso) => new Date(iso).toLocaleString();
  const sinceDay = (days) => new Date(Date.now() - (days - 1) * DAY_MS).toISOString().slice(0, 10);

  async function getJson(name, query) {
    const url = apiBase + name + (query ? '?' + new URLSearchParams(query) : '');
    const response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (response.ok) return response.json();
    const body = await response.json().catch(() => ({}));
    throw new Error(name + ' answered ' + response.status + ': ' + (body.message || response.statusText));
  }

  /** Fetches everything, then draws everything: the page never mixes data of two moments. */
  async function refresh() {
    const mine = ++latestRefresh;
    try {
      const [spend, deployments, keys, errors] = await Promise.all([
        getJson('spend', { since: sinceDay(Number(period.value)) }),
        getJson('deployments'),
        getJson('keys'),
        getJson('errors'),
      ]);
      if (mine !== latestRefresh) return; // a newer refresh (another period) is on its way
      renderSpend(spend);
      renderDeployments(deployments.deployments);
      renderKeys(keys.keys);
      renderErrors(errors.errors);
      lastSuccess = new Date();
      updated.textContent = 'Last updated ' + lastSuccess.toLocaleTimeString();
      updated.classList.remove('stale');
      banner.hidden = true;
    } catch (error) {
      if (mine !== latestRefresh) return;
      const shown = lastSuccess ? 'Showing the data of ' + lastSuccess.toLocaleTimeString() + '.' : 'No data yet.';
      const reason = error.message.replace(/\.?$/, '.');
      banner.textContent = 'Refresh failed: ' + reason + ' ' + shown + ' Retrying every ' + refreshMs / 1000 + ' s.';
      banner.hidden = false;
      updated.classList.add('stale');
    } finally {
      if (mine === latestRefresh) {
        clearTimeout(timer);
        timer = setTimeout(refresh, refreshMs);
      }
    }
  }

  // --- Spend: totals and two charts ---------------------------------------------------------------------------

  function renderSpend(report) {
    const total = report.total;
    const card = (label, value, attributes) => h('div', Object.assign({ class: 'card' }, attributes), h('span', null, label), h('strong', null, value));
    $('totals').replaceChildren(
      card('Spend (USD)', usd(total.costUsd)),
      card('Requests', count(total.requests)),
      card('Errors', count(total.errors)),
      card('Input tokens', count(total.inputTokens)),
      card('Output tokens', count(total.outputTokens)),
      card('Cache read tokens', count(total.cacheReadTokens)),
      card('Cache write tokens', count(total.cacheWriteTokens)),
      card('Unpriced requests', count(total.unpricedRequests), {
        class: total.unpricedRequests > 0 ? 'card warn' : 'card',
        title: 'Requests whose model has no known price: their cost is missing from the spend.',
      }),
    );
    drawChart($('chart-keys'), report.rows, (row) => row.keyName);
    drawChart($('chart-models'), report.rows, (row) => row.modelName);
  }

  /** Every day from the first to the last of the rows, gaps included, so the time axis is honest. */
  function dayRange(rows) {
    const days = rows.map((row) => row.day).sort();
    const range = [];
    if (days.length === 0) return range;
    for (let t = Date.parse(days[0]); t <= Date.parse(days[days.length - 1]); t += DAY_MS) {
      range.push(new Date(t).toISOString().slice(0, 10));
    }
    return range;
  }

  /** The biggest spenders each get a series; the rest share the last one. */
  function seriesOf(rows, nameOf) {
    const totals = new Map();
    for (const row of rows) totals.set(nameOf(row), (totals.get(nameOf(row)) || 0) + row.costUsd);
    const names = [...totals.keys()].sort((a, b) => totals.get(b) - totals.get(a) || a.localeCompare(b));
    const named = names.length > MAX_SERIES ? names.slice(0, MAX_SERIES - 1) : names;
    const labels = names.length > named.length ? [...named, (names.length - named.length) + ' others'] : named;
    const indexOf = (row) => (named.includes(nameOf(row)) ? named.indexOf(nameOf(row)) : labels.length - 1);
    return { labels, indexOf };
  }

  /** The smallest of 1, 2, 2.5 or 5 times a power of ten at or above the value: round numbers for the axis. */
  function niceCeiling(value) {
    if (value <= 0) return 1;
    const power = Math.pow(10, Math.floor(Math.log10(value)));
    return [1, 2, 2.5, 5, 10].map((step) => step * power).find((candidate) => candidate >= value);
  }

  /** Stacked bars of USD per day, one colour per series, and a legend with each series' total. */
  function drawChart(container, rows, nameOf) {
    const days = dayRange(rows);
    if (days.length === 0) {
      container.replaceChildren(h('p', { class: 'empty' }, 'No requests in this period.'));
      return;
    }
    const series = seriesOf(rows, nameOf);
    const cost = days.map(() => series.labels.map(() => 0));
    const seriesTotals = series.labels.map(() => 0);
    for (const row of rows) {
      const at = series.indexOf(row);
      cost[days.indexOf(row.day)][at] += row.costUsd;
      seriesTotals[at] += row.costUsd;
    }
    const top = niceCeiling(Math.max(...cost.map((day) => day.reduce((a, b) => a + b, 0))));

    const width = 600, height = 220, left = 60, right = 8, above = 8, below = 22;
    const plotHeight = height - above - below;
    const slot = (width - left - right) / days.length;
    const barWidth = Math.max(1, slot * 0.7);
    const y = (value) => above + plotHeight - (value / top) * plotHeight;
    const chart = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': 'USD per day' });

    for (const tick of [0, top / 2, top]) {
      chart.append(
        svg('line', { class: 'grid', x1: left, x2: width - right, y1: y(tick), y2: y(tick) }),
        svg('text', { x: left - 6, y: y(tick) + 4, 'text-anchor': 'end' }, usd(tick)),
      );
    }
    const labelEvery = Math.ceil(days.length / 10);
    days.forEach((day, d) => {
      const x = left + d * slot + (slot - barWidth) / 2;
      let stacked = 0;
      cost[d].forEach((value, i) => {
        const title = svg('title', null, day + ' · ' + series.labels[i] + ': ' + usd(value));
        chart.append(svg('rect', { class: 'bar s' + i, x, width: barWidth, y: y(stacked + value), height: y(stacked) - y(stacked + value) }, title));
        stacked += value;
      });
      if (d % labelEvery === 0) chart.append(svg('text', { x: x + barWidth / 2, y: height - 6, 'text-anchor': 'middle' }, day.slice(5)));
    });

    const legend = h('ul', { class: 'legend' },
      series.labels.map((label, i) => h('li', null, h('span', { class: 'swatch s' + i }), label, h('b', null, usd(seriesTotals[i])))));
    container.replaceChildren(chart, legend);
  }

  // --- Tables -------------------------------------------------------------------------------------------------

  /** Replaces a table's rows: one per item, each cell a <td> or the contents of one. */
  function fillTable(id, items, emptyText, cellsOf) {
    const table = $(id);
    const body = table.tBodies[0];
    if (items.length === 0) {
      body.replaceChildren(h('tr', null, h('td', { colspan: table.tHead.rows[0].cells.length, class: 'muted' }, emptyText)));
      return;
    }
    body.replaceChildren(...items.map((item) =>
      h('tr', null, cellsOf(item).map((cell) => (cell instanceof Node && cell.nodeName === 'TD' ? cell : h('td', null, cell))))));
  }

  const numberCell = (...contents) => h('td', { class: 'number' }, contents);
  const muted = (text) => h('span', { class: 'muted' }, text);
  const orDash = (value) => (value === null ? muted('—') : value);

  /** A count against its limit: the numbers, and a meter that turns amber, then red, as it fills. */
  function usageCell(used, limit, format = count) {
    if (limit === null) return numberCell(format(used), h('small', null, 'no limit'));
    return numberCell(format(used) + ' / ' + format(limit),
      h('meter', { min: 0, max: limit, low: limit * 0.7, high: limit * 0.9, optimum: 0, value: used }));
  }

  function renderDeployments(deployments) {
    fillTable('deployments', deployments, 'No deployments.', (d) => [
      [d.id, h('small', null, d.modelName)],
      d.modelId,
      [d.region, h('small', null, d.endpoint)],
      d.coolingDown
        ? [h('span', { class: 'badge cool' }, 'Cooling down'), d.coolingDownUntil && h('small', null, 'until ' + clock(d.coolingDownUntil))]
        : h('span', { class: 'badge ok' }, 'Healthy'),
      numberCell(count(d.inFlight)),
      numberCell(ms(d.latencyMs.plain)),
      numberCell(ms(d.latencyMs.stream)),
      usageCell(d.thisMinute.requests, d.limits.rpm),
      usageCell(d.thisMinute.tokens, d.limits.tpm),
    ]);
  }

  const allWhenNull = (values) => (values === null ? muted('all') : values.join(', '));
  const metadataText = (metadata) =>
    Object.entries(metadata).map(([name, value]) => name + ': ' + (typeof value === 'string' ? value : JSON.stringify(value))).join(', ');

  function expiry(expires) {
    if (expires === null) return muted('never');
    const expired = Date.parse(expires) <= Date.now();
    return h('span', { class: 'nowrap', title: expires }, expired && h('span', { class: 'badge bad' }, 'expired'), expires.slice(0, 10));
  }

  function renderKeys(keys) {
    fillTable('keys', keys, 'No keys.', (k) => {
      const budget = k.limits.maxBudgetUsd === null
        ? numberCell(usd(k.usage.budgetSpendUsd), h('small', null, 'no budget'))
        : usageCell(k.usage.budgetSpendUsd, k.limits.maxBudgetUsd, usd);
      if (k.limits.budgetDuration !== null) budget.append(h('small', null, 'per ' + k.limits.budgetDuration));
      if (k.usage.budgetResetsAt !== null) budget.append(h('small', { title: k.usage.budgetResetsAt }, 'resets ' + dateAndClock(k.usage.budgetResetsAt)));
      return [
        [k.disabled && h('span', { class: 'badge bad' }, 'disabled'), k.name, h('small', null, k.id)],
        allWhenNull(k.models),
        allWhenNull(k.operations),
        usageCell(k.usage.thisMinute.requests, k.limits.rpm),
        usageCell(k.usage.thisMinute.tokens, k.limits.tpm),
        usageCell(k.usage.inFlight, k.limits.maxParallelRequests),
        budget,
        expiry(k.limits.expires),
        metadataText(k.metadata),
      ];
    });
  }

  function renderErrors(errors) {
    fillTable('errors', errors, 'No failed requests.', (e) => [
      h('td', { title: e.time }, dateAndClock(e.time)),
      orDash(e.keyName),
      [orDash(e.modelName), h('small', null, e.operation)],
      orDash(e.deploymentId),
      numberCell(h('span', { class: e.status >= 500 ? 'badge bad' : 'badge warn' }, String(e.status))),
      orDash(e.errorType),
      h('small', null, e.requestId),
    ]);
  }

  period.addEventListener('change', refresh);
  refresh();
})();
`;
