// The HTML report, loaded in a real headless Chromium (Debian's, installed by .ci/run): the
// charts must actually render (SVG elements with the run's points), for a knowledge run and for a
// continual run's forgetting heatmap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReport } from '../src/report/report.js';

const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));

function renderedDom(file: string): string {
  const profile = mkdtempSync(join(tmpdir(), 'seal-chromium-'));
  const r = spawnSync(chromium!, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--virtual-time-budget=5000', '--dump-dom', `file://${file}`,
  ], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function fakeRun(summary: Record<string, unknown>, log: Record<string, unknown>[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'seal-report-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ name: 'test' }));
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
  writeFileSync(join(dir, 'log.jsonl'), log.map((e) => JSON.stringify(e)).join('\n') + (log.length ? '\n' : ''));
  return dir;
}

test('the knowledge report renders its table, round chart and example self-edits in Chromium', { skip: !chromium && 'no Chromium installed (.ci/run installs Debian\'s)' }, () => {
  const dir = fakeRun({
    mode: 'train',
    accuracy: { seal: [0.42, 0.47], base: 0.1, passage: 0.2, passageBaseSelfEdits: 0.33, passageTeacherSelfEdits: 0.45 },
  }, [
    { key: 'eval/baseSelfEdits/p#0', selfEdit: 'A base <self-edit> & more', reward: 0.5 },
    { key: 'eval/seal-r2/p#0', selfEdit: 'A round-two self-edit', reward: 1 },
  ]);
  const dom = renderedDom(writeReport(dir));
  assert.match(dom, /data-rendered="yes"/);
  assert.equal((dom.match(/class="point"/g) ?? []).length, 3, 'round 0 (base self-edits) and two SEAL rounds');
  assert.match(dom, /<path[^>]*class="series"/);
  assert.equal((dom.match(/class="baseline"/g) ?? []).length, 3, 'no update, passage, teacher');
  assert.match(dom, /SEAL after round 2<\/td><td class="num">47\.0%/);
  assert.match(dom, /A base &lt;self-edit&gt; &amp; more/, 'self-edits are shown as text, escaped');
});

test('a continual run\'s report draws the forgetting heatmap (lower triangle)', { skip: !chromium && 'no Chromium installed' }, () => {
  const forgetting = [[0.3, 0.3, 0.3], [0.6, 0, 0], [0.5, 0.7, 0], [0.4, 0.5, 0.8]];
  const dom = renderedDom(writeReport(fakeRun({ mode: 'continual', accuracy: { seal: [] }, forgetting })));
  assert.equal((dom.match(/class="cell"/g) ?? []).length, 3 + 1 + 2 + 3);
});
