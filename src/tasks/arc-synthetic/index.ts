// The synthetic mini-ARC benchmark as the ARC recipe uses it: a config's `data.synthetic: {...}`
// is handed to makeMiniArc below (src/recipes/arc.ts imports this module lazily). The options are
// the generator's (benchmark.ts) plus `pick`, a seeded choice of a few train and eval tasks out of
// the generated splits: the demo keeps the generator options a model was pretrained with (so its
// train and eval tasks stay disjoint from the pretraining split) and varies which tasks it uses.
import type { ArcTask } from '../arc/data.js';
import { Rng } from '../synthetic/people.js';
import { makeMiniArc as generateMiniArc, type MiniArc, type MiniArcOptions } from './benchmark.js';

export {
  MINI_ARC_FILES, MINI_ARC_RULES_FILE, MINI_ARC_SPLITS, readMiniArcSplit, resolveMiniArcOptions, toArcJson, writeMiniArc,
  type MiniArc, type MiniArcOptions, type MiniArcSplit, type ResolvedMiniArcOptions,
} from './benchmark.js';
export { FAMILIES, FAMILY_NAMES, type FamilyName, type Rule } from './families.js';
export { generateMiniArc };

/** A seeded choice of tasks from the train and eval splits (the pretrain split is kept whole). */
export interface MiniArcPick {
  seed: number;
  /** Train tasks to keep (at most the split's size). */
  train: number;
  /** Eval tasks to keep. */
  eval: number;
}

export interface MiniArcConfig extends MiniArcOptions {
  pick?: MiniArcPick;
}

const OPTION_FIELDS = [
  'seed', 'pretrainTasks', 'trainTasks', 'evalTasks', 'families', 'minSide', 'maxSide', 'minDemonstrations', 'maxDemonstrations',
  'disjointRuleMinimum', 'heldOutRuleFraction', 'pick',
] as const;
const PICK_FIELDS = ['seed', 'train', 'eval'] as const;

/**
 * The generator's splits for `options` (benchmark.ts makeMiniArc), then, with `pick`, only the
 * picked train and eval tasks. Unknown fields are errors naming the field (a typo would otherwise
 * silently fall back to a default).
 */
export function makeMiniArc(options: MiniArcConfig = {}): MiniArc {
  checkFields(options, OPTION_FIELDS, 'data.synthetic');
  const { pick, ...generator } = options;
  const arc = generateMiniArc(generator);
  if (pick === undefined) return arc;
  checkFields(pick, PICK_FIELDS, 'data.synthetic.pick');
  for (const field of PICK_FIELDS) {
    const v = pick[field];
    if (!Number.isInteger(v) || v < 0) throw new Error(`config: field 'data.synthetic.pick.${field}' must be an integer >= 0, got ${JSON.stringify(v)}`);
  }
  return {
    ...arc,
    train: pickTasks(arc.train, arc, pick.train, `mini-arc-pick:${pick.seed}:train`),
    eval: pickTasks(arc.eval, arc, pick.eval, `mini-arc-pick:${pick.seed}:eval`),
  };
}

/**
 * `count` tasks, balanced over rule families: the families in a seeded order, each family's tasks
 * shuffled, then one task per family in turn. Returned in split order (so ids read naturally).
 */
export function pickTasks(tasks: readonly ArcTask[], arc: Pick<MiniArc, 'rules'>, count: number, seed: string): ArcTask[] {
  if (count >= tasks.length) return [...tasks];
  const rng = new Rng(seed);
  const byFamily = new Map<string, ArcTask[]>();
  for (const t of tasks) {
    const family = arc.rules.get(t.id)?.params.family ?? 'unknown';
    byFamily.set(family, [...(byFamily.get(family) ?? []), t]);
  }
  const queues = rng.shuffle([...byFamily.keys()].sort()).map((f) => rng.shuffle(byFamily.get(f)!));
  const chosen = new Set<ArcTask>();
  for (let round = 0; chosen.size < count; round++) {
    for (const q of queues) {
      if (chosen.size < count && round < q.length) chosen.add(q[round]!);
    }
  }
  return tasks.filter((t) => chosen.has(t));
}

function checkFields(value: unknown, known: readonly string[], where: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`config: field '${where}' must be a mapping`);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw new Error(`config: unknown field '${where}.${key}' (known: ${known.join(', ')})`);
  }
}
