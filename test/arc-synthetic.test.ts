// The synthetic mini-ARC benchmark: loader compatibility, every rule checked against an independent
// cell-by-cell reference, determinism, split disjointness, bounds, and the declared augmenter
// preservation checked by running augment.ts's own augmenters on the generated pairs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUGMENTER_GROUPS, AUGMENTER_GROUP_NAMES, PERMUTE_COLORS, type TaskAugmenter } from '../src/tasks/arc/augment.js';
import { parseArcTasks, type ArcExample, type ArcTask, type Grid } from '../src/tasks/arc/data.js';
import { gridKey, gridsEqual } from '../src/tasks/arc/grid.js';
import {
  MINI_ARC_SPLITS, makeMiniArc, readMiniArcSplit, toArcJson, writeMiniArc, type MiniArc, type MiniArcOptions,
} from '../src/tasks/arc-synthetic/benchmark.js';
import { determinesTest } from '../src/tasks/arc-synthetic/compose.js';
import { FAMILIES, FAMILY_NAMES, type Rule, type RuleParams } from '../src/tasks/arc-synthetic/families.js';
import { groupPreservation, keepsRule, spatialMapsOf } from '../src/tasks/arc-synthetic/symmetry.js';
import { seededRandom } from '../src/util/random.js';

const OPTIONS: MiniArcOptions = { seed: 5, pretrainTasks: 350, trainTasks: 28, evalTasks: 14 };
const arc = makeMiniArc(OPTIONS);
const allTasks = (a: MiniArc): ArcTask[] => MINI_ARC_SPLITS.flatMap((s) => a[s]);
const pairs = (t: ArcTask): ArcExample[] => [...t.train, ...t.test];
const ruleOf = (id: string): Rule => arc.rules.get(id)!;
/** Tasks and rule keys: what must be reproducible (rules hold closures, which deepEqual cannot compare). */
const snapshot = (a: MiniArc) => ({ tasks: allTasks(a), rules: [...a.rules].map(([id, r]) => [id, r.key]) });

// ---- Independent references: each rule's output cell by cell, without the generator's code -------

function build(h: number, w: number, cell: (i: number, j: number) => number): Grid {
  return Array.from({ length: h }, (_, i) => Array.from({ length: w }, (_, j) => cell(i, j)));
}

function enclosedCells(g: Grid): boolean[][] {
  const [h, w] = [g.length, g[0]!.length];
  const reached = build(h, w, () => 0).map((row) => row.map(() => false));
  const queue: [number, number][] = [];
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
    if ((i === 0 || j === 0 || i === h - 1 || j === w - 1) && g[i]![j] === 0) {
      reached[i]![j] = true;
      queue.push([i, j]);
    }
  }
  for (let k = 0; k < queue.length; k++) {
    const [i, j] = queue[k]!;
    for (const [a, b] of [[i + 1, j], [i - 1, j], [i, j + 1], [i, j - 1]] as const) {
      if (a >= 0 && a < h && b >= 0 && b < w && !reached[a]![b] && g[a]![b] === 0) {
        reached[a]![b] = true;
        queue.push([a, b]);
      }
    }
  }
  return g.map((row, i) => row.map((c, j) => c === 0 && !reached[i]![j]));
}

function reference(p: RuleParams, x: Grid): Grid {
  const [h, w] = [x.length, x[0]!.length];
  switch (p.family) {
    case 'geometric': {
      const cells: Record<typeof p.op, [number, number, (i: number, j: number) => number]> = {
        'Rotate(90)': [w, h, (i, j) => x[j]![w - 1 - i]!],
        'Rotate(180)': [h, w, (i, j) => x[h - 1 - i]![w - 1 - j]!],
        'Rotate(270)': [w, h, (i, j) => x[h - 1 - j]![i]!],
        'Flip(0)': [h, w, (i, j) => x[h - 1 - i]![j]!],
        'Flip(1)': [h, w, (i, j) => x[i]![w - 1 - j]!],
        'Transpose()': [w, h, (i, j) => x[j]![i]!],
        'AntiTranspose()': [w, h, (i, j) => x[h - 1 - j]![w - 1 - i]!],
      };
      return build(...cells[p.op]);
    }
    case 'colour-map':
      return build(h, w, (i, j) => p.map.find(([from]) => from === x[i]![j])?.[1] ?? x[i]![j]!);
    case 'scale-up':
      return build(h * p.down, w * p.across, (i, j) => x[Math.floor(i / p.down)]![Math.floor(j / p.across)]!);
    case 'tiling':
      return build(h * p.down, w * p.across, (i, j) => x[i % h]![j % w]!);
    case 'gravity': {
      // Read each line towards the fall, keep its colours in order, put them at the far end.
      const vertical = p.direction === 'up' || p.direction === 'down';
      const lines = vertical ? w : h;
      const length = vertical ? h : w;
      const at = (line: number, k: number) => (vertical ? x[k]![line]! : x[line]![k]!);
      const out = build(h, w, () => 0);
      for (let line = 0; line < lines; line++) {
        const colours = Array.from({ length }, (_, k) => at(line, k)).filter((c) => c !== 0);
        const start = p.direction === 'down' || p.direction === 'right' ? length - colours.length : 0;
        colours.forEach((c, k) => {
          if (vertical) out[start + k]![line] = c;
          else out[line]![start + k] = c;
        });
      }
      return out;
    }
    case 'object-move': {
      const [dr, dc] = { up: [-1, 0], down: [1, 0], left: [0, -1], right: [0, 1] }[p.direction];
      return build(h, w, (i, j) => x[i - dr * p.distance]?.[j - dc * p.distance] ?? 0);
    }
    case 'fill-enclosed': {
      const enclosed = enclosedCells(x);
      return build(h, w, (i, j) => (enclosed[i]![j] ? p.colour : x[i]![j]!));
    }
  }
}

const nonZero = (g: Grid) => g.flat().filter((c) => c !== 0).length;

// ---- Tests ----------------------------------------------------------------------------------

test('every split validates through the ARC loader and round-trips through files', () => {
  for (const split of MINI_ARC_SPLITS) {
    const { challenges, solutions } = toArcJson(arc[split]);
    assert.deepEqual(parseArcTasks(JSON.parse(JSON.stringify(challenges)), JSON.parse(JSON.stringify(solutions))), arc[split]);
  }
  const dir = mkdtempSync(join(tmpdir(), 'mini-arc-'));
  try {
    const written = writeMiniArc(dir, arc);
    assert.equal(written.length, 7);
    for (const split of MINI_ARC_SPLITS) assert.deepEqual(readMiniArcSplit(dir, split), arc[split]);
    const meta = JSON.parse(readFileSync(join(dir, 'mini-arc_rules.json'), 'utf8')) as { tasks: Record<string, { rule: string; split: string }> };
    assert.equal(Object.keys(meta.tasks).length, arc.rules.size);
    for (const t of arc.eval) assert.deepEqual([meta.tasks[t.id]!.rule, meta.tasks[t.id]!.split], [ruleOf(t.id).key, 'eval']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every pair follows its rule (independent reference) and shows a change', () => {
  for (const t of allTasks(arc)) {
    const rule = ruleOf(t.id);
    for (const ex of pairs(t)) {
      assert.deepEqual(ex.output, reference(rule.params, ex.input), `${t.id} ${rule.key}`);
      assert.ok(!gridsEqual(ex.input, ex.output), `${t.id}: output equals input`);
      // An object move must not push anything off the grid.
      if (rule.params.family === 'object-move') assert.equal(nonZero(ex.output), nonZero(ex.input), t.id);
    }
  }
});

test('the demonstrations determine the test answer within the family', () => {
  for (const t of [...arc.train, ...arc.eval]) {
    const family = FAMILIES[ruleOf(t.id).params.family];
    const explaining = family.rules.filter((r) => t.train.every((ex) => gridsEqual(r.apply(ex.input), ex.output)));
    assert.ok(explaining.some((r) => r.key === ruleOf(t.id).key), t.id);
    for (const r of explaining) assert.deepEqual(r.apply(t.test[0]!.input), t.test[0]!.output, `${t.id}: ${r.key} also fits the demonstrations`);
  }
});

test('a test input with a colour no demonstration shows is not determined by a colour map', () => {
  const family = FAMILIES['colour-map'];
  const demos = [{ input: [[1, 3, 0]], output: [[2, 3, 0]] }];
  // 1>2 and 1>2,4>5 both explain the demonstration but answer [[1, 4]] differently.
  assert.equal(determinesTest(family, demos, { input: [[1, 4]], output: [[2, 4]] }), false);
  // Every map that explains it sends 1 to 2 and keeps 3 and 0.
  assert.equal(determinesTest(family, demos, { input: [[3, 1, 0]], output: [[3, 2, 0]] }), true);
});

test('deterministic for a seed, different for another; eval and train ignore the pretrain size', () => {
  assert.deepEqual(snapshot(makeMiniArc(OPTIONS)), snapshot(arc));
  const other = makeMiniArc({ ...OPTIONS, seed: 6 });
  assert.notDeepEqual(other.eval, arc.eval);
  assert.notDeepEqual(other.pretrain, arc.pretrain);
  const smaller = makeMiniArc({ ...OPTIONS, pretrainTasks: 20 });
  assert.deepEqual([smaller.eval, smaller.train], [arc.eval, arc.train]);
  assert.equal(smaller.pretrain.length, 20);
});

test('splits share no input grid, tasks repeat no input, large families share no rule', () => {
  const splitOf = new Map<string, string>();
  for (const split of MINI_ARC_SPLITS) {
    for (const t of arc[split]) {
      const keys = pairs(t).map((ex) => gridKey(ex.input));
      assert.equal(new Set(keys).size, keys.length, `${t.id} repeats an input`);
      for (const key of keys) {
        assert.ok((splitOf.get(key) ?? split) === split, `${t.id} has an input of the ${splitOf.get(key)} split`);
        splitOf.set(key, split);
      }
    }
  }
  assert.equal(arc.rules.size, allTasks(arc).length);
  const colourRules = (split: (typeof MINI_ARC_SPLITS)[number]) =>
    new Set(arc[split].map((t) => ruleOf(t.id)).filter((r) => r.params.family === 'colour-map').map((r) => r.key));
  const [pre, train, evalRules] = MINI_ARC_SPLITS.map(colourRules) as [Set<string>, Set<string>, Set<string>];
  assert.ok(pre.size > 10 && train.size > 0 && evalRules.size > 0);
  for (const k of evalRules) assert.ok(!pre.has(k) && !train.has(k), `eval colour map ${k} also elsewhere`);
  for (const k of train) assert.ok(!pre.has(k), `train colour map ${k} also in pretrain`);
  // Seven symmetries are too few to split: eval's geometric rules are pretrained on.
  const preKeys = new Set(arc.pretrain.map((t) => ruleOf(t.id).key));
  for (const t of arc.eval.filter((t) => ruleOf(t.id).params.family === 'geometric')) assert.ok(preKeys.has(ruleOf(t.id).key));
});

test('grids stay within the bounds; 2-4 demonstrations and one test; families balanced', () => {
  const inBounds = (g: Grid, lo: number, hi: number) => g.length >= lo && g.length <= hi && g.every((r) => r.length >= lo && r.length <= hi);
  for (const t of allTasks(arc)) {
    assert.ok(t.train.length >= 2 && t.train.length <= 4, t.id);
    assert.equal(t.test.length, 1);
    for (const ex of pairs(t)) assert.ok(inBounds(ex.input, 3, 9) && inBounds(ex.output, 3, 9), t.id);
  }
  for (const split of ['train', 'eval'] as const) {
    const perFamily = FAMILY_NAMES.map((f) => arc[split].filter((t) => ruleOf(t.id).params.family === f).length);
    assert.deepEqual(perFamily, FAMILY_NAMES.map(() => arc[split].length / FAMILY_NAMES.length), split);
  }
  // Smaller bounds: factor-3 enlargements and the fill rectangles (grids of side ≥ 6) no longer fit.
  const small = makeMiniArc({ seed: 1, pretrainTasks: 60, trainTasks: 0, evalTasks: 0, maxSide: 5 });
  assert.ok(!small.options.families.includes('fill-enclosed'));
  for (const t of small.pretrain) {
    const p = small.rules.get(t.id)!.params;
    if (p.family === 'scale-up' || p.family === 'tiling') assert.ok(p.down < 3 && p.across < 3, t.id);
    for (const ex of pairs(t)) assert.ok(inBounds(ex.input, 3, 5) && inBounds(ex.output, 3, 5), t.id);
  }
  assert.throws(() => makeMiniArc({ maxSide: 5, families: ['fill-enclosed'] }), /fill-enclosed/);
});

test('every augmenter of the four groups is classified; only RandomTranslateXY is never kept', () => {
  for (const group of AUGMENTER_GROUP_NAMES) {
    for (const a of AUGMENTER_GROUPS[group]) assert.equal(spatialMapsOf(a.name) === null, a.name === 'RandomTranslateXY()', a.name);
  }
  assert.deepEqual(spatialMapsOf('Chain([Transpose(), IncreaseResolution(2)])'), ['Transpose()', 'IncreaseResolution']);
});

test('declared preservation holds on every pair; every other augmenter breaks each rule somewhere', () => {
  const augmenters: TaskAugmenter[] = [...AUGMENTER_GROUP_NAMES.flatMap((g) => AUGMENTER_GROUPS[g]), PERMUTE_COLORS];
  const byRule = new Map<string, { rule: Rule; examples: ArcExample[] }>();
  for (const t of allTasks(arc)) {
    const rule = ruleOf(t.id);
    const entry = byRule.get(rule.key) ?? { rule, examples: [] };
    entry.examples.push(...pairs(t));
    byRule.set(rule.key, entry);
  }
  for (const { rule, examples } of byRule.values()) {
    for (const aug of augmenters) {
      const declared = aug === PERMUTE_COLORS ? rule.colourBlind : keepsRule(rule.preserves, aug.name);
      // Augmented as TTT does: one augmenter over the input and the output of the example.
      const kept = examples.map((ex, i) => {
        const { input, output } = aug.apply({ demonstrations: [], test: ex }, seededRandom(i + 1)).task.test;
        return gridsEqual(rule.apply(input), output);
      });
      if (declared) assert.ok(kept.every(Boolean), `${rule.key} declared kept by ${aug.name}`);
      else assert.ok(kept.some((k) => !k), `${rule.key} declared broken by ${aug.name}, kept on all ${kept.length} pairs`);
    }
  }
});

test('which tool groups keep the rule differs between families, so the self-edit choice matters', () => {
  const rule = (key: string) => FAMILIES[key.slice(0, key.indexOf('(')) as keyof typeof FAMILIES].rules.find((r) => r.key === key)!;
  const wholeGroups = (key: string) => AUGMENTER_GROUP_NAMES.filter((g) => groupPreservation(rule(key).preserves)[g].breaking.length === 0);
  assert.deepEqual(wholeGroups('scale-up(2x2)'), ['size', 'chain', 'repeat']);
  assert.deepEqual(wholeGroups('gravity(down)'), ['size']);
  assert.deepEqual(wholeGroups('object-move(right,1)'), ['repeat']);
  assert.deepEqual(wholeGroups('geometric(Transpose())'), []);
  // Colour maps survive every spatial map but not the recolouring TTT adds once any group is on.
  assert.deepEqual(wholeGroups('colour-map(3>5)'), ['size', 'chain', 'repeat']);
  assert.equal(rule('colour-map(3>5)').colourBlind, false);
  assert.equal(rule('gravity(down)').colourBlind, true);
});
