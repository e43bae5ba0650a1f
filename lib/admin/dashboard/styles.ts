/**
 * The dashboard's stylesheet, inlined in the page and allowed by its hash in the content security policy. The
 * series colours live here as classes (`s0`...`s7`), so the script colours bars and legend swatches without any
 * inline `style`, which the policy forbids.
 */
export const DASHBOARD_STYLES = `
:root { color-scheme: light; --ink: #1d2430; --muted: #667085; --line: #e4e7ec; --panel: #fff; --page: #f4f6f9;
  --ok: #1f7a4d; --ok-bg: #e3f4ea; --warn: #9a5b00; --warn-bg: #fff1d6; --bad: #b42318; --bad-bg: #fde8e6; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--page); color: var(--ink); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { display: flex; align-items: center; gap: 24px; padding: 12px 24px; background: var(--panel); border-bottom: 1px solid var(--line); }
h1 { margin: 0; font-size: 18px; font-weight: 600; }
h1 span { color: var(--muted); font-weight: 400; }
header label { margin-left: auto; color: var(--muted); }
select { font: inherit; margin-left: 6px; padding: 2px 4px; }
#updated { margin: 0; color: var(--muted); min-width: 170px; text-align: right; }
#updated.stale { color: var(--bad); }
#banner { margin: 12px 24px 0; padding: 10px 14px; border-radius: 6px; background: var(--bad-bg); color: var(--bad); border: 1px solid #f4c7c2; }
main { padding: 16px 24px 32px; display: grid; gap: 16px; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; min-width: 0; }
h2 { margin: 0 0 8px; font-size: 15px; font-weight: 600; }
h2 small { color: var(--muted); font-weight: 400; margin-left: 6px; }
.cards { display: grid; grid-template-columns: repeat(8, 1fr); gap: 12px; padding: 0; background: none; border: 0; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card span { display: block; color: var(--muted); font-size: 12px; }
.card strong { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card.warn strong { color: var(--warn); }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.chart svg { display: block; width: 100%; height: auto; }
.chart text { fill: var(--muted); font-size: 11px; }
.chart .grid { stroke: var(--line); }
.legend { list-style: none; margin: 6px 0 0; padding: 0; display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 12px; }
.legend li { display: flex; align-items: center; gap: 6px; }
.legend b { font-weight: 500; color: var(--muted); }
.swatch { width: 10px; height: 10px; border-radius: 2px; display: inline-block; }
.s0 { fill: #4e79a7; background: #4e79a7; } .s1 { fill: #f28e2b; background: #f28e2b; }
.s2 { fill: #e15759; background: #e15759; } .s3 { fill: #76b7b2; background: #76b7b2; }
.s4 { fill: #59a14f; background: #59a14f; } .s5 { fill: #edc948; background: #edc948; }
.s6 { fill: #b07aa1; background: #b07aa1; } .s7 { fill: #9c9c9c; background: #9c9c9c; }
.empty { color: var(--muted); margin: 24px 0; text-align: center; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 500; font-size: 12px; white-space: nowrap; }
td.number, th.number { text-align: right; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafbfc; }
td small { display: block; color: var(--muted); font-size: 11px; overflow-wrap: anywhere; }
meter { display: block; width: 100%; height: 6px; margin-top: 3px; }
.badge { display: inline-block; padding: 1px 8px; margin-right: 6px; border-radius: 10px; font-size: 12px; font-weight: 500; white-space: nowrap; }
#deployments td:first-child { white-space: nowrap; }
.badge.ok { background: var(--ok-bg); color: var(--ok); }
.badge.cool, .badge.warn { background: var(--warn-bg); color: var(--warn); }
.badge.bad { background: var(--bad-bg); color: var(--bad); }
.muted { color: var(--muted); }
.nowrap { white-space: nowrap; }
`;
