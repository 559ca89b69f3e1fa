// `seal report RUN_DIR`: one self-contained HTML page (no network, no external files): the
// baseline table, accuracy per ReST-EM round (the paper's Figure 4), example self-edits from each
// round (Figure 5), and for continual runs the forgetting heatmap. The charts are drawn in the
// browser from the run's numbers embedded in the page, as SVG.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunDir } from '../seal/run.js';
import { arcReportSection, isArcSummary } from './arc-report.js';

interface Summary {
  mode?: string;
  accuracy?: Record<string, number | number[] | undefined>;
  roundBaselines?: number[];
  rounds?: { round: number; kept: number; meanReward: number; meanBaseline: number }[];
  compute?: Record<string, number>;
  seconds?: number;
  /** Continual runs: rows = after r updates, columns = passage index. */
  forgetting?: number[][];
  successRate?: Record<string, number | number[] | undefined>;
  tasks?: unknown[];
}

const LABELS: Record<string, string> = {
  base: 'No update', passage: 'Train on passage', passageBaseSelfEdits: 'Passage + base-model self-edits',
  passageTeacherSelfEdits: 'Passage + teacher self-edits', icl: 'In-context learning (no TTT)',
  tttUntrainedPolicy: 'TTT + self-edits of the untrained policy', oracle: 'Oracle TTT',
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Example self-edits: for each round, the best-rewarded one on the first few contexts. */
function examples(run: RunDir): { label: string; context: string; selfEdit: string; reward: number }[] {
  const out: { label: string; context: string; selfEdit: string; reward: number }[] = [];
  const groups = new Map<string, { context: string; selfEdit: string; reward: number }[]>();
  for (const e of run.entries('eval/')) {
    const m = /^eval\/(baseSelfEdits|seal-r\d+|teacherSelfEdits)\/(.+)$/.exec(e.key);
    if (!m || typeof e.selfEdit !== 'string') continue;
    const list = groups.get(m[1]!) ?? [];
    list.push({ context: m[2]!, selfEdit: e.selfEdit, reward: e.reward as number });
    groups.set(m[1]!, list);
  }
  for (const [label, list] of groups) {
    const shown = list.filter((x) => x.selfEdit.trim()).slice(0, 3);
    for (const x of shown) out.push({ label, ...x });
  }
  return out;
}

export function writeReport(runDir: string, outPath = join(runDir, 'report.html')): string {
  const run = RunDir.at(runDir);
  const summary = run.readJson<Summary>('summary.json');
  if (!summary) throw new Error(`${runDir}: no summary.json yet (the run has not finished)`);
  const config = run.readJson<Record<string, unknown>>('config.json') ?? {};
  const data = { summary, examples: examples(run), labels: LABELS, name: String(config.name ?? ''), mode: summary.mode ?? '' };
  // JSON inside <script>: escape '<' so no string can close the tag.
  const embedded = JSON.stringify(data).replace(/</g, '\\u003c');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SEAL run ${escapeHtml(run.dir)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
pre{white-space:pre-wrap;background:#f6f6f6;padding:.6rem;border-radius:4px;max-height:16rem;overflow:auto}
.chart svg{border:1px solid #eee}.muted{color:#777}
</style></head><body>
<h1>SEAL run</h1><p class="muted">${escapeHtml(run.dir)}</p>
<h2>Results</h2><div id="table"></div>
<h2>Accuracy per ReST-EM round</h2><div class="chart" id="rounds"></div>
<div id="heatmap-section"></div>
<h2>Example self-edits</h2><div id="examples"></div>
${isArcSummary(summary) ? arcReportSection(summary) : ''}
<script id="run-data" type="application/json">${embedded}</script>
<script>
(function () {
  var data = JSON.parse(document.getElementById('run-data').textContent);
  var s = data.summary, acc = s.accuracy || s.successRate || {};
  var NS = 'http://www.w3.org/2000/svg';
  function el(tag, attrs, parent) { var e = document.createElementNS(NS, tag); for (var k in attrs) e.setAttribute(k, attrs[k]); if (parent) parent.appendChild(e); return e; }
  function pct(v) { return v == null ? '—' : (100 * v).toFixed(1) + '%'; }
  // Table
  var rows = [];
  var order = ['base', 'icl', 'passage', 'passageBaseSelfEdits', 'tttUntrainedPolicy', 'passageTeacherSelfEdits', 'oracle', 'seal'];
  Object.keys(acc).sort(function (a, b) { return (order.indexOf(a) + 99) % 99 - (order.indexOf(b) + 99) % 99; }).forEach(function (k) {
    var v = acc[k];
    if (Array.isArray(v)) v.forEach(function (x, i) { rows.push(['SEAL after round ' + (i + 1), x]); });
    else if (v != null) rows.push([data.labels[k] || k, v]);
  });
  var t = '<table><tr><th>condition</th><th>' + (s.successRate ? 'success rate' : 'accuracy') + '</th></tr>';
  rows.forEach(function (r) { t += '<tr><td>' + r[0] + '</td><td class="num">' + pct(r[1]) + '</td></tr>'; });
  document.getElementById('table').innerHTML = t + '</table>';
  // Figure 4: accuracy per round, with the baselines as dashed lines.
  var seal = (acc.seal || []).slice();
  var start = acc.passageBaseSelfEdits != null ? acc.passageBaseSelfEdits : acc.tttUntrainedPolicy;
  var series = [start].concat(seal).filter(function (v) { return v != null; });
  var W = 520, H = 300, L = 50, B = 40, top = 20;
  var svg = el('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'accuracy per round' }, document.getElementById('rounds'));
  var all = series.concat(rows.map(function (r) { return r[1]; }));
  var ymax = Math.min(1, Math.max(0.1, Math.max.apply(null, all) * 1.15));
  function x(i) { return L + (W - L - 20) * (series.length > 1 ? i / (series.length - 1) : 0.5); }
  function y(v) { return H - B - (H - B - top) * v / ymax; }
  el('line', { x1: L, y1: H - B, x2: W - 10, y2: H - B, stroke: '#444' }, svg);
  el('line', { x1: L, y1: top, x2: L, y2: H - B, stroke: '#444' }, svg);
  for (var g = 0; g <= 4; g++) { var v = ymax * g / 4; var tx = el('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', 'font-size': 11 }, svg); tx.textContent = (100 * v).toFixed(ymax < 0.2 ? 1 : 0) + '%'; }
  [['base', '#999'], ['passage', '#c77'], ['passageTeacherSelfEdits', '#7a7'], ['oracle', '#7a7'], ['icl', '#999']].forEach(function (b) {
    if (acc[b[0]] == null) return;
    el('line', { x1: L, x2: W - 10, y1: y(acc[b[0]]), y2: y(acc[b[0]]), stroke: b[1], 'stroke-dasharray': '5 4', class: 'baseline' }, svg);
    var lt = el('text', { x: W - 12, y: y(acc[b[0]]) - 4, 'text-anchor': 'end', 'font-size': 10, fill: b[1] }, svg); lt.textContent = data.labels[b[0]] || b[0];
  });
  var d = series.map(function (v, i) { return (i ? 'L' : 'M') + x(i).toFixed(1) + ' ' + y(v).toFixed(1); }).join(' ');
  if (series.length) el('path', { d: d, fill: 'none', stroke: '#2563eb', 'stroke-width': 2.5, class: 'series' }, svg);
  series.forEach(function (v, i) {
    el('circle', { cx: x(i), cy: y(v), r: 4, fill: '#2563eb', class: 'point' }, svg);
    var lab = el('text', { x: x(i), y: H - B + 16, 'text-anchor': 'middle', 'font-size': 11 }, svg); lab.textContent = 'round ' + i;
    var val = el('text', { x: x(i), y: y(v) - 8, 'text-anchor': 'middle', 'font-size': 11 }, svg); val.textContent = pct(v);
  });
  // Forgetting heatmap (continual runs).
  if (s.forgetting) {
    var sec = document.getElementById('heatmap-section');
    sec.innerHTML = '<h2>Forgetting: accuracy on passage i after update r</h2><div class="chart" id="heatmap"></div>';
    var m = s.forgetting, n = m.length, k = m[0].length, c = 34;
    var hs = el('svg', { width: 60 + k * c, height: 40 + n * c, role: 'img', 'aria-label': 'forgetting heatmap' }, document.getElementById('heatmap'));
    m.forEach(function (row, r) {
      row.forEach(function (v, i) {
        if (r > 0 && i >= r) return;
        var shade = Math.round(255 - 200 * Math.min(1, v));
        el('rect', { x: 50 + i * c, y: 20 + r * c, width: c - 2, height: c - 2, fill: 'rgb(' + shade + ',' + shade + ',255)', class: 'cell' }, hs);
        var tv = el('text', { x: 50 + i * c + c / 2 - 1, y: 20 + r * c + c / 2 + 4, 'text-anchor': 'middle', 'font-size': 9 }, hs); tv.textContent = (100 * v).toFixed(0);
      });
      var rl = el('text', { x: 44, y: 20 + r * c + c / 2 + 4, 'text-anchor': 'end', 'font-size': 10 }, hs); rl.textContent = 'r=' + r;
    });
  }
  // Figure 5: example self-edits.
  var ex = document.getElementById('examples');
  if (!data.examples.length) ex.textContent = 'No self-edits in this run.';
  data.examples.forEach(function (e) {
    var div = document.createElement('div');
    var h = document.createElement('p'); h.innerHTML = '<b>' + e.label + '</b> on ' + e.context + ' — reward ' + pct(e.reward);
    var pre = document.createElement('pre'); pre.textContent = e.selfEdit;
    div.appendChild(h); div.appendChild(pre); ex.appendChild(div);
  });
  document.body.setAttribute('data-rendered', 'yes');
})();
</script></body></html>
`;
  writeFileSync(outPath, html);
  return outPath;
}
