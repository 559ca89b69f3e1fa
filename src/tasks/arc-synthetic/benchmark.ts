// The synthetic mini-ARC benchmark: three splits of tasks drawn from the rule families.
//  - pretrain: tasks the tiny model is pretrained on (in-domain corpus);
//  - train:    tasks whose self-edits drive SEAL's RL rounds;
//  - eval:     tasks for the ICL / TTT / SEAL / oracle comparison.
// Splits share no input grid, and families with many rules (colour-map) give each split its
// own rules; small families (seven symmetries, four gravity directions) share rules but not grids.
// Written in the ARC-AGI Kaggle layout, so arc/data.ts reads it like the real data.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readArcTasks, type ArcTask, type Grid } from '../arc/data.js';
import { gridKey } from '../arc/grid.js';
import { Rng } from '../synthetic/people.js';
import { drawExamples } from './compose.js';
import { between, type GridBounds } from './draw.js';
import { FAMILIES, FAMILY_NAMES, type FamilyName, type Rule, type RuleFamily } from './families.js';
import { groupPreservation } from './symmetry.js';

export const MINI_ARC_SPLITS = ['pretrain', 'train', 'eval'] as const;
export type MiniArcSplit = (typeof MINI_ARC_SPLITS)[number];

export interface MiniArcOptions {
  seed?: number;
  /** Default 2000. */
  pretrainTasks?: number;
  /** Default 28 (4 per family). */
  trainTasks?: number;
  /** Default 14 (2 per family). */
  evalTasks?: number;
  /** Default: every family that fits the bounds. Tasks cycle through them, so splits are balanced. */
  families?: readonly FamilyName[];
  /** Every grid, input or output, has both sides in [minSide, maxSide]. Default 3 and 9 (9 lets 3 × 3 inputs scale by 3). */
  minSide?: number;
  maxSide?: number;
  /** Demonstrations per task, uniform in [min, max]; each task has one test example. Default 2 and 4. */
  minDemonstrations?: number;
  maxDemonstrations?: number;
  /** A family with at least this many rules inside the bounds gives each split its own rules. Default 20. */
  disjointRuleMinimum?: number;
  /** Share of such a family's rules reserved for eval, and again for train. Default 0.2. */
  heldOutRuleFraction?: number;
}

export type ResolvedMiniArcOptions = Required<MiniArcOptions>;

export interface MiniArc {
  pretrain: ArcTask[];
  train: ArcTask[];
  eval: ArcTask[];
  /** The rule behind every task id of every split. */
  rules: ReadonlyMap<string, Rule>;
  options: ResolvedMiniArcOptions;
}

export function resolveMiniArcOptions(options: MiniArcOptions = {}): ResolvedMiniArcOptions {
  const o: ResolvedMiniArcOptions = {
    seed: options.seed ?? 0,
    pretrainTasks: options.pretrainTasks ?? 2000,
    trainTasks: options.trainTasks ?? 28,
    evalTasks: options.evalTasks ?? 14,
    minSide: options.minSide ?? 3,
    maxSide: options.maxSide ?? 9,
    families: options.families ?? [],
    minDemonstrations: options.minDemonstrations ?? 2,
    maxDemonstrations: options.maxDemonstrations ?? 4,
    disjointRuleMinimum: options.disjointRuleMinimum ?? 20,
    heldOutRuleFraction: options.heldOutRuleFraction ?? 0.2,
  };
  // Side 1 would leave a colour map no room to show two colours, and rotations nothing to rotate.
  if (!(o.minSide >= 2 && o.minSide <= o.maxSide && o.maxSide <= 30)) throw new Error(`mini-arc: need 2 <= minSide <= maxSide <= 30, got ${o.minSide}, ${o.maxSide}`);
  if (!(o.minDemonstrations >= 1 && o.minDemonstrations <= o.maxDemonstrations)) {
    throw new Error(`mini-arc: need 1 <= minDemonstrations <= maxDemonstrations, got ${o.minDemonstrations}, ${o.maxDemonstrations}`);
  }
  if (!(o.heldOutRuleFraction > 0 && o.heldOutRuleFraction < 0.5)) {
    throw new Error(`mini-arc: heldOutRuleFraction must leave rules for pretraining (0 < f < 0.5), got ${o.heldOutRuleFraction}`);
  }
  const bounds = { minSide: o.minSide, maxSide: o.maxSide };
  const fitting = FAMILY_NAMES.filter((f) => usableRules(FAMILIES[f], bounds).length > 0);
  if (options.families) {
    const misfits = options.families.filter((f) => !fitting.includes(f));
    if (misfits.length > 0) throw new Error(`mini-arc: no rule of ${misfits.join(', ')} fits grids of side ${o.minSide}-${o.maxSide}`);
  }
  o.families = options.families ? [...new Set(options.families)] : fitting;
  if (o.families.length === 0) throw new Error('mini-arc: no family to draw from');
  return o;
}

function usableRules(family: RuleFamily, bounds: GridBounds): Rule[] {
  return family.rules.filter((r) => family.fits(r, bounds));
}

/** Per split, the rules a family may use: a seeded partition when the family is large, else all. */
function rulesBySplit(family: RuleFamily, o: ResolvedMiniArcOptions): Record<MiniArcSplit, Rule[]> {
  const rules = usableRules(family, { minSide: o.minSide, maxSide: o.maxSide });
  if (rules.length < o.disjointRuleMinimum) return { pretrain: rules, train: rules, eval: rules };
  const shuffled = new Rng(`mini-arc:${o.seed}:rules:${family.name}`).shuffle(rules);
  const held = Math.max(1, Math.round(rules.length * o.heldOutRuleFraction));
  return { eval: shuffled.slice(0, held), train: shuffled.slice(held, 2 * held), pretrain: shuffled.slice(2 * held) };
}

const MAX_TRIES_PER_TASK = 200;

/**
 * Deterministic for the options. Eval is drawn first, then train, then pretrain, each avoiding the
 * inputs of the splits before it: eval and train do not change when only pretrainTasks does.
 */
export function makeMiniArc(options: MiniArcOptions = {}): MiniArc {
  const o = resolveMiniArcOptions(options);
  const bounds: GridBounds = { minSide: o.minSide, maxSide: o.maxSide };
  const families = o.families.map((f) => FAMILIES[f]);
  const splitRules = new Map(families.map((f) => [f.name, rulesBySplit(f, o)]));
  // Inputs of the splits drawn so far; a split may repeat its own inputs across tasks (small
  // bounds leave some families few distinct inputs) but never another split's.
  const used = new Set<string>();
  const rules = new Map<string, Rule>();
  const counts: Record<MiniArcSplit, number> = { pretrain: o.pretrainTasks, train: o.trainTasks, eval: o.evalTasks };
  const out: Record<MiniArcSplit, ArcTask[]> = { pretrain: [], train: [], eval: [] };

  for (const split of ['eval', 'train', 'pretrain'] as const) {
    const earlier = new Set(used);
    const order = new Rng(`mini-arc:${o.seed}:${split}:families`).shuffle(families);
    for (let i = 0; i < counts[split]; i++) {
      const family = order[i % order.length]!;
      const id = `${split}-${String(i).padStart(4, '0')}-${family.name}`;
      const rng = new Rng(`mini-arc:${o.seed}:${id}`);
      const { rule, examples } = drawTask(family, splitRules.get(family.name)![split], rng, bounds, o, earlier, id);
      for (const ex of examples) used.add(gridKey(ex.input));
      rules.set(id, rule);
      out[split].push({ id, train: examples.slice(0, -1), test: examples.slice(-1) });
    }
  }
  return { ...out, rules, options: o };
}

function drawTask(
  family: RuleFamily, candidates: readonly Rule[], rng: Rng, bounds: GridBounds, o: ResolvedMiniArcOptions, used: ReadonlySet<string>, id: string,
) {
  // The rule is drawn once, so rules whose draws are rejected more often are not under-represented.
  const rule = rng.pick(candidates);
  for (let t = 0; t < MAX_TRIES_PER_TASK; t++) {
    const examples = drawExamples(family, rule, rng, bounds, between(rng, o.minDemonstrations, o.maxDemonstrations) + 1, used);
    if (examples) return { rule, examples };
  }
  throw new Error(`mini-arc: no usable ${rule.key} task for ${id} in ${MAX_TRIES_PER_TASK} draws (grid sides ${o.minSide}-${o.maxSide})`);
}

// ---- Files ------------------------------------------------------------------------------------

/** [challenges file, solutions file] of each split, named like the ARC-AGI files. */
export const MINI_ARC_FILES: Record<MiniArcSplit, readonly [string, string]> = {
  pretrain: ['mini-arc_pretrain_challenges.json', 'mini-arc_pretrain_solutions.json'],
  train: ['mini-arc_train_challenges.json', 'mini-arc_train_solutions.json'],
  eval: ['mini-arc_eval_challenges.json', 'mini-arc_eval_solutions.json'],
};
export const MINI_ARC_RULES_FILE = 'mini-arc_rules.json';

export interface ArcJson {
  challenges: Record<string, { train: { input: Grid; output: Grid }[]; test: { input: Grid }[] }>;
  solutions: Record<string, Grid[]>;
}

/** The Kaggle layout (arc.md §1): test outputs go to the solutions only. */
export function toArcJson(tasks: readonly ArcTask[]): ArcJson {
  const json: ArcJson = { challenges: {}, solutions: {} };
  for (const t of tasks) {
    json.challenges[t.id] = { train: t.train.map(({ input, output }) => ({ input, output })), test: t.test.map(({ input }) => ({ input })) };
    json.solutions[t.id] = t.test.map((ex) => ex.output);
  }
  return json;
}

/**
 * Writes each split's challenges and solutions files into `dir`, and mini-arc_rules.json: the
 * options, and per task its split, rule, and which augmenters of each tool group keep the rule.
 * Returns the paths written.
 */
export function writeMiniArc(dir: string, arc: MiniArc): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const write = (name: string, value: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(value));
    written.push(path);
  };
  const tasks: Record<string, unknown> = {};
  for (const split of MINI_ARC_SPLITS) {
    const json = toArcJson(arc[split]);
    write(MINI_ARC_FILES[split][0], json.challenges);
    write(MINI_ARC_FILES[split][1], json.solutions);
    for (const t of arc[split]) {
      const rule = arc.rules.get(t.id)!;
      tasks[t.id] = {
        split, family: rule.params.family, rule: rule.key, description: rule.description,
        colourBlind: rule.colourBlind, augmenters: groupPreservation(rule.preserves),
      };
    }
  }
  write(MINI_ARC_RULES_FILE, { options: arc.options, tasks });
  return written;
}

/** One split as written by writeMiniArc, through the ARC loader. */
export function readMiniArcSplit(dir: string, split: MiniArcSplit): ArcTask[] {
  const [challenges, solutions] = MINI_ARC_FILES[split];
  return readArcTasks(join(dir, challenges), join(dir, solutions));
}
