// The ARC part of `seal report`: the success-rate table with the self-edit format failures, the
// ReST-EM rounds, and every task drawn as coloured grids next to what each condition made of it
// (chosen configurations, attempts, which succeeded). Grids are static SVG, so the page shows
// them without running any script.
import type { ArcSummary, ArcTaskReport, SelfEditOutcome, TrialCount } from '../recipes/arc.js';
import type { Grid } from '../tasks/arc/data.js';
import type { ArcSelfEditConfig } from '../tasks/arc/self-edit.js';

/** The usual ARC palette, colour 0 to 9. */
const PALETTE = ['#000000', '#0074d9', '#ff4136', '#2ecc40', '#ffdc00', '#aaaaaa', '#f012be', '#ff851b', '#7fdbff', '#870c25'];

export function isArcSummary(summary: unknown): summary is ArcSummary {
  return typeof summary === 'object' && summary !== null && (summary as { kind?: unknown }).kind === 'arc';
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const pct = (v: number | undefined) => (v === undefined ? '—' : `${(100 * v).toFixed(1)}%`);
const mark = (ok: boolean) => (ok ? '<span class="arc-ok">solved</span>' : '<span class="arc-no">not solved</span>');

/** One grid as SVG, cells sized so that any grid stays within about 150 px. */
export function gridSvg(grid: Grid | null, title = ''): string {
  if (!grid || grid.length === 0) return `<span class="arc-none" title="${esc(title)}">no grid</span>`;
  const h = grid.length;
  const w = grid[0]!.length;
  const cell = Math.max(4, Math.min(16, Math.floor(150 / Math.max(h, w))));
  const rects = grid.flatMap((row, i) => row.map((v, j) => `<rect x="${j * cell}" y="${i * cell}" width="${cell}" height="${cell}" fill="${PALETTE[v] ?? '#fff'}"/>`));
  return `<svg class="arc-grid" data-shape="${h}x${w}" width="${w * cell}" height="${h * cell}" viewBox="0 0 ${w * cell} ${h * cell}" role="img" aria-label="${esc(title || `${h} by ${w} grid`)}">`
    + `<title>${esc(title)}</title>${rects.join('')}</svg>`;
}

function pair(input: Grid, output: Grid | null, caption: string): string {
  return `<figure class="arc-pair">${gridSvg(input, `${caption} input`)}<span class="arc-arrow">→</span>${gridSvg(output, `${caption} output`)}<figcaption>${esc(caption)}</figcaption></figure>`;
}

export function describeConfig(c: ArcSelfEditConfig): string {
  const groups = Object.entries(c.augmentations).filter(([, on]) => on).map(([g]) => g);
  const loss = c.strategy === 'train_using_output_tokens' ? 'output tokens' : 'all tokens';
  return `${groups.length ? groups.join(' + ') : 'no augmentation'}; ${loss}; lr ${c.learningRate}; ${c.numTrainEpochs} epoch${c.numTrainEpochs === 1 ? '' : 's'}`;
}

function attempts(a: [Grid | null, Grid | null] | null): string {
  if (!a) return '';
  return `<span class="arc-attempts">${gridSvg(a[0], 'attempt 1')}${gridSvg(a[1], 'attempt 2')}</span>`;
}

/** A list of self-edits: configuration (or why unusable), result, attempts; the raw text on demand. */
function outcomes(list: readonly SelfEditOutcome[], showText: boolean): string {
  const items = list.map((o, j) => {
    const what = o.unusable !== undefined
      ? `<span class="arc-unusable">unusable: ${esc(o.unusable)}</span>${o.config ? ` (${esc(describeConfig(o.config))})` : ''}`
      : `${esc(o.config ? describeConfig(o.config) : 'configuration')}, ${o.tttExamples ?? '?'} TTT examples, ${o.trainSteps} steps`;
    const raw = showText ? `<details><summary>self-edit text</summary><pre>${esc(o.selfEdit)}</pre></details>` : '';
    return `<li class="arc-outcome" data-success="${o.success}">#${j}: ${what} — ${mark(o.success)} ${attempts(o.unusable === undefined ? o.attempts : null)}${raw}</li>`;
  });
  return `<ul class="arc-outcomes">${items.join('')}</ul>`;
}

function taskSection(t: ArcTaskReport): string {
  const demos = t.train.map((ex, i) => pair(ex.input, ex.output, `demonstration ${i + 1}`)).join('');
  const parts = [`<div class="arc-grids">${demos}${pair(t.test.input, t.test.output, 'test (true output)')}</div>`];
  if (t.icl) parts.push(`<p><b>In-context learning</b> — ${mark(t.icl.success)} ${attempts(t.icl.attempts)}</p>`);
  if (t.tttUntrainedPolicy) parts.push(`<p><b>Untrained policy's self-edits</b></p>${outcomes(t.tttUntrainedPolicy, true)}`);
  t.seal.forEach((list, r) => parts.push(`<p><b>SEAL after round ${r + 1}</b></p>${outcomes(list, true)}`));
  if (t.oracle) parts.push(`<p><b>Oracle TTT</b> — ${mark(t.oracle.success)}, ${t.oracle.tried.length} configuration(s) tried</p>${outcomes(t.oracle.tried, false)}`);
  return `<section class="arc-task" data-task="${esc(t.id)}"><h3>${esc(t.id)}</h3>${parts.join('')}</section>`;
}

function rateRow(label: string, rate: number | undefined, count: TrialCount | undefined, failures?: number): string {
  if (rate === undefined || !count) return '';
  const unusable = failures === undefined ? '—' : `${count.unusable}/${count.trials} (${pct(failures)})`;
  return `<tr class="arc-rate"><td>${esc(label)}</td><td class="num">${count.successes}/${count.trials}</td><td class="num">${pct(rate)}</td><td class="num">${unusable}</td></tr>`;
}

/** The ARC section of the report page (HTML to insert into the body). */
export function arcReportSection(s: ArcSummary): string {
  const rows = [
    rateRow('In-context learning (no TTT)', s.successRate.icl, s.counts.icl),
    rateRow('TTT + self-edits of the untrained policy', s.successRate.tttUntrainedPolicy, s.counts.tttUntrainedPolicy, s.formatFailureRate.tttUntrainedPolicy),
    ...s.successRate.seal.map((v, i) => rateRow(`SEAL after round ${i + 1}`, v, s.counts.seal[i], s.formatFailureRate.seal[i])),
    rateRow(`Oracle TTT (any of ${s.oracleConfigurations} configurations)`, s.successRate.oracle, s.counts.oracle),
  ].join('');
  const rounds = s.rounds.map((r) => `<tr><td>${r.round}</td><td class="num">${r.trials}</td><td class="num">${r.successes}</td>`
    + `<td class="num">${r.unusable} (${pct(r.formatFailureRate)})</td><td class="num">${r.kept}</td></tr>`).join('');
  const training = s.trainTasks.map((t) => `<section class="arc-train-task" data-task="${esc(t.id)}"><h3>${esc(t.id)}</h3>`
    + `<p>${t.successes.map((n, r) => `round ${r + 1}: ${n}/${t.trials[r]} self-edits solved it`).join('; ')}</p>`
    + `<div class="arc-grids">${t.train.map((ex, i) => pair(ex.input, ex.output, `demonstration ${i + 1}`)).join('')}${pair(t.test.input, t.test.output, 'test (true output)')}</div></section>`).join('');
  return `<style>
.arc-grids{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}.arc-pair{margin:0;display:flex;align-items:center;gap:.3rem;flex-wrap:wrap}
.arc-pair figcaption{width:100%;font-size:12px;color:#777}.arc-grid{border:1px solid #ccc;vertical-align:middle}.arc-grid rect{stroke:#555;stroke-width:.5}
.arc-attempts{display:inline-flex;gap:.3rem;vertical-align:middle}.arc-ok{color:#15803d;font-weight:600}.arc-no{color:#b91c1c}
.arc-unusable{color:#92400e}.arc-outcomes{list-style:none;padding-left:1rem}.arc-outcomes li{margin:.3rem 0}.arc-task,.arc-train-task{border-top:1px solid #ddd;margin-top:1rem}
</style>
<h2>ARC: success rates</h2>
<table id="arc-rates"><tr><th>condition</th><th>solved</th><th>success rate</th><th>unusable self-edits</th></tr>${rows}</table>
<p class="muted">Self-edit conditions count (task, self-edit) pairs; in-context learning and the oracle count tasks.</p>
${s.rounds.length ? `<h2>ARC: ReST-EM rounds (training tasks)</h2><table id="arc-rounds"><tr><th>round</th><th>self-edits</th><th>solved</th><th>unusable</th><th>kept for SFT</th></tr>${rounds}</table>` : ''}
<h2>ARC: evaluation tasks</h2>
${s.tasks.map(taskSection).join('')}
${training ? `<h2>ARC: training tasks</h2>${training}` : ''}`;
}
