// The augmenters of spec arc.md §4.2, the four tool groups a self-edit switches on (§4.3), and
// the leave-out test-time-training tasks built from them (§4.4). All randomness comes from a
// seed (util/random.ts), so one seed always gives the same TTT set; the official code's RNG is
// NumPy's, so its exact draws are not reproduced, only the procedure.
import { seededRandom, shuffleInPlace } from '../../util/random.js';
import type { ArcExample, Grid } from './data.js';
import { MAX_GRID_SIDE } from './data.js';
import * as G from './grid.js';

/** A few-shot problem: demonstrations and one test example (a leave-out task, a TTT task, a query). */
export interface FewShotTask {
  demonstrations: ArcExample[];
  test: ArcExample;
}

/**
 * A deterministic grid → grid augmenter, named as the official code prints it (e.g. "Rotate(90)").
 * `invert` recovers the original from an augmented grid and returns null when the grid cannot be an
 * output of `apply` (wrong shape, or e.g. the two halves of a reflection disagree), so it can also
 * map a model's prediction back.
 */
export interface GridAugmenter {
  readonly name: string;
  apply(grid: Grid): Grid;
  invert(grid: Grid): Grid | null;
  /** The inverse augmenter the official code uses to map predictions back (§4.2), if it has one. */
  readonly inverseName?: string;
}

/** The result of augmenting a task; `invert` maps a prediction for its test output back. */
export interface AugmentedTask {
  task: FewShotTask;
  invert(prediction: Grid): Grid | null;
}

/** An augmenter of whole tasks; `random` is used only by the random ones. */
export interface TaskAugmenter {
  readonly name: string;
  apply(task: FewShotTask, random: () => number): AugmentedTask;
}

// ---- Grid augmenters --------------------------------------------------------------------------

function exact(name: string, apply: (g: Grid) => Grid, inverse: (g: Grid) => Grid, inverseName: string): GridAugmenter {
  return { name, apply, invert: inverse, inverseName };
}

/**
 * For augmenters that enlarge the grid: `candidate` extracts the original (null if the shape is
 * impossible); the result counts only if augmenting it again reproduces the grid exactly.
 */
function leftInverse(name: string, apply: (g: Grid) => Grid, candidate: (g: Grid) => Grid | null): GridAugmenter {
  return {
    name,
    apply,
    invert(grid) {
      const original = candidate(grid);
      return original && G.gridsEqual(apply(original), grid) ? original : null;
    },
  };
}

export const ROTATE_90 = exact('Rotate(90)', G.rotate90, G.rotate270, 'Rotate(270)');
export const ROTATE_180 = exact('Rotate(180)', G.rotate180, G.rotate180, 'Rotate(180)');
export const ROTATE_270 = exact('Rotate(270)', G.rotate270, G.rotate90, 'Rotate(90)');
export const FLIP_ROWS = exact('Flip(0)', G.flipRows, G.flipRows, 'Flip(0)');
export const FLIP_COLUMNS = exact('Flip(1)', G.flipColumns, G.flipColumns, 'Flip(1)');
export const TRANSPOSE = exact('Transpose()', G.transpose, G.transpose, 'Transpose()');

/** §4.2 Reflect(axis, reverse): the grid and its mirror along `axis` (mirror first when `reverse`). */
export function reflect(axis: 0 | 1, reverse: boolean): GridAugmenter {
  const mirror = axis === 0 ? G.flipRows : G.flipColumns;
  const stack = axis === 0 ? G.stackRows : G.stackColumns;
  return leftInverse(
    `Reflect(${axis}, reverse=${reverse ? 'True' : 'False'})`,
    (g) => (reverse ? stack(mirror(g), g) : stack(g, mirror(g))),
    (g) => {
      const [h, w] = [G.height(g), G.width(g)];
      if (axis === 0 ? h % 2 !== 0 : w % 2 !== 0) return null;
      // The original is the second half when the mirror comes first.
      if (axis === 0) return G.crop(g, reverse ? h / 2 : 0, 0, h / 2, w);
      return G.crop(g, 0, reverse ? w / 2 : 0, h, w / 2);
    },
  );
}

/** §4.2 Repeat(axis, n): n copies stacked vertically (0), side by side (1) or tiled n × n (2). */
export function repeat(axis: 0 | 1 | 2, n: number): GridAugmenter {
  const down = axis === 1 ? 1 : n;
  const across = axis === 0 ? 1 : n;
  return leftInverse(
    `Repeat(${axis}, ${n})`,
    (g) => {
      const column = G.stackRows(...Array.from({ length: down }, () => g));
      return G.stackColumns(...Array.from({ length: across }, () => column));
    },
    (g) => {
      const [h, w] = [G.height(g), G.width(g)];
      return h % down === 0 && w % across === 0 ? G.crop(g, 0, 0, h / down, w / across) : null;
    },
  );
}

/** §4.2 IncreaseResolution(f): every cell becomes an f × f block. */
export function increaseResolution(f: number): GridAugmenter {
  return leftInverse(`IncreaseResolution(${f})`, (g) => G.repeatColumns(G.repeatRows(g, f), f), (g) => G.sample(g, f, f));
}

/** §4.2 IncreaseHeight(f): every row repeated f times in place. */
export function increaseHeight(f: number): GridAugmenter {
  return leftInverse(`IncreaseHeight(${f})`, (g) => G.repeatRows(g, f), (g) => G.sample(g, f, 1));
}

/** §4.2 IncreaseWidth(f): every column repeated f times in place. */
export function increaseWidth(f: number): GridAugmenter {
  return leftInverse(`IncreaseWidth(${f})`, (g) => G.repeatColumns(g, f), (g) => G.sample(g, 1, f));
}

/** A fixed cyclic shift (what RandomTranslateXY applies once its shifts are drawn). */
export function translate(down: number, right: number): GridAugmenter {
  return exact(`Roll(${down}, ${right})`, (g) => G.roll(g, down, right), (g) => G.roll(g, -down, -right), `Roll(${-down}, ${-right})`);
}

/** §4.2 Chain([a, b, …]): applied in order, inverted in reverse order. */
export function chain(parts: readonly GridAugmenter[]): GridAugmenter {
  return {
    name: `Chain([${parts.map((p) => p.name).join(', ')}])`,
    apply: (g) => parts.reduce((acc, p) => p.apply(acc), g),
    invert(g) {
      let acc: Grid | null = g;
      for (let i = parts.length - 1; i >= 0 && acc; i--) acc = parts[i]!.invert(acc);
      return acc;
    },
  };
}

// ---- Task augmenters --------------------------------------------------------------------------

function mapTask(task: FewShotTask, f: (g: Grid, isOutput: boolean, exampleIndex: number) => Grid): FewShotTask {
  const all = [...task.demonstrations, task.test];
  const mapped = all.map((ex, i) => ({ input: f(ex.input, false, i), output: f(ex.output, true, i) }));
  return { demonstrations: mapped.slice(0, -1), test: mapped[mapped.length - 1]! };
}

/** A grid augmenter applied to every grid of a task: demonstrations and test, inputs and outputs (§4.1). */
export function onEveryGrid(aug: GridAugmenter): TaskAugmenter {
  return {
    name: aug.name,
    apply: (task) => ({ task: mapTask(task, (g) => aug.apply(g)), invert: (p) => aug.invert(p) }),
  };
}

/** A uniform integer in [0, n). */
function randInt(random: () => number, n: number): number {
  return Math.floor(random() * n);
}

/**
 * §4.2 RandomTranslateXY (share_rng): every example replays the same random stream, the input
 * drawing its (down, right) shift first and the output a second one, so inputs and outputs move
 * differently but identically across examples (§9 quirk 6). Shifts lie in {0, …, min(4, side)−1}.
 */
export const RANDOM_TRANSLATE_XY: TaskAugmenter = {
  name: 'RandomTranslateXY()',
  apply(task, random) {
    const streamSeed = Math.floor(random() * 2 ** 32);
    const shiftsFor = (input: Grid, output: Grid) => {
      const stream = seededRandom(streamSeed);
      const draw = (g: Grid) => translate(randInt(stream, Math.min(4, G.height(g))), randInt(stream, Math.min(4, G.width(g))));
      const inputShift = draw(input);
      return { inputShift, outputShift: draw(output) };
    };
    const augmented = mapTask(task, (g, isOutput, i) => {
      const ex = i < task.demonstrations.length ? task.demonstrations[i]! : task.test;
      const { inputShift, outputShift } = shiftsFor(ex.input, ex.output);
      return (isOutput ? outputShift : inputShift).apply(g);
    });
    // A prediction is shifted back by what a test output of its shape would have been shifted by.
    return { task: augmented, invert: (p) => shiftsFor(task.test.input, p).outputShift.invert(p) };
  },
};

/** Colour map as an array indexed by colour (undefined = unchanged). */
export type ColorMap = (number | undefined)[];

/**
 * §4.2 PermuteColors: 0 stays; each used colour (ascending, Python's set order for small ints)
 * goes to a shuffled unused colour while any are left, then to a swap partner drawn from a random
 * permutation of the used colours. Injective on the task's colours, so it is invertible.
 */
export function drawColorPermutation(task: FewShotTask, random: () => number): ColorMap {
  const used = new Uint8Array(10);
  for (const ex of [...task.demonstrations, task.test]) {
    for (const g of [ex.input, ex.output]) {
      for (const row of g) for (let j = 0; j < row.length; j++) used[row[j]!] = 1;
    }
  }
  const colors = [1, 2, 3, 4, 5, 6, 7, 8, 9].filter((c) => used[c]);
  const unused = shuffleInPlace([1, 2, 3, 4, 5, 6, 7, 8, 9].filter((c) => !used[c]), random);
  const partners = shuffleInPlace(colors.slice(), random);
  const map: ColorMap = [0];
  for (const c of colors) {
    if (map[c] !== undefined) continue;
    if (unused.length > 0) {
      map[c] = unused.pop()!;
      continue;
    }
    const x = partners.pop()!;
    map[x] = c;
    map[c] = x;
    const at = partners.indexOf(c);
    if (at >= 0) partners.splice(at, 1);
  }
  return map;
}

/** The inverse of an injective colour map. */
export function invertColorMap(map: ColorMap): ColorMap {
  const inverse: ColorMap = [];
  map.forEach((to, from) => {
    if (to !== undefined) inverse[to] = from;
  });
  return inverse;
}

export const PERMUTE_COLORS: TaskAugmenter = {
  name: 'PermuteColors()',
  apply(task, random) {
    const map = drawColorPermutation(task, random);
    const inverse = invertColorMap(map);
    return { task: mapTask(task, (g) => G.mapColors(g, map)), invert: (p) => G.mapColors(p, inverse) };
  },
};

/** §4.2 PermuteExamples: the demonstrations in a random order; the test example stays. */
export const PERMUTE_EXAMPLES: TaskAugmenter = {
  name: 'PermuteExamples()',
  apply(task, random) {
    const demonstrations = shuffleInPlace(task.demonstrations.slice(), random);
    return { task: { demonstrations, test: task.test }, invert: (p) => p };
  },
};

// ---- The self-edit's tool groups (§4.3) ----------------------------------------------------------

export const AUGMENTER_GROUP_NAMES = ['basic', 'size', 'chain', 'repeat'] as const;
export type AugmenterGroupName = (typeof AUGMENTER_GROUP_NAMES)[number];

const BASE_GEOMETRY = [ROTATE_90, ROTATE_270, ROTATE_180, FLIP_ROWS, FLIP_COLUMNS];

/** §4.3, in the official order; concatenated in this group order when several are on. */
export const AUGMENTER_GROUPS: Record<AugmenterGroupName, readonly TaskAugmenter[]> = {
  basic: [
    ...BASE_GEOMETRY.map(onEveryGrid),
    ...[reflect(0, true), reflect(1, true), reflect(0, false), reflect(1, false)].map(onEveryGrid),
    RANDOM_TRANSLATE_XY,
    onEveryGrid(TRANSPOSE),
  ],
  size: [increaseResolution(2), increaseHeight(2), increaseWidth(2)].map(onEveryGrid),
  chain: [...BASE_GEOMETRY, TRANSPOSE].map((x) => onEveryGrid(chain([x, increaseResolution(2)]))),
  repeat: [repeat(0, 2), repeat(1, 2), repeat(2, 2)].map(onEveryGrid),
};

/** The augmenters of the enabled groups, in the official group order (all four → 23). */
export function augmentersFor(groups: Iterable<AugmenterGroupName>): TaskAugmenter[] {
  const on = new Set(groups);
  return AUGMENTER_GROUP_NAMES.filter((g) => on.has(g)).flatMap((g) => AUGMENTER_GROUPS[g]);
}

// ---- Test-time-training tasks (§4.4) ------------------------------------------------------------

/** The k-element subsets of `items`, in itertools.combinations order. */
export function combinations(items: number[], k: number): number[][] {
  if (k === 0) return [[]];
  const out: number[][] = [];
  items.forEach((first, i) => {
    for (const rest of combinations(items.slice(i + 1), k - 1)) out.push([first, ...rest]);
  });
  return out;
}

/**
 * §4.4 step 1: each train pair held out as the test example, with each way of dropping n − 1
 * further pairs; the rest are the demonstrations in original order. N·C(N−1, n−1) tasks (n = 2,
 * N = 2 gives tasks with no demonstrations, as in the official code).
 */
export function leaveOutTasks(pairs: readonly ArcExample[], n: number): FewShotTask[] {
  const indices = pairs.map((_, i) => i);
  return indices.flatMap((held) =>
    combinations(indices.filter((i) => i !== held), n - 1).map((dropped) => ({
      demonstrations: indices.filter((i) => i !== held && !dropped.includes(i)).map((i) => pairs[i]!),
      test: pairs[held]!,
    })),
  );
}

/** Equal for tasks with the same grids in the same order (the official de-duplication). */
export function taskKey(task: FewShotTask): string {
  return [...task.demonstrations, task.test].map((ex) => `${G.gridKey(ex.input)}>${G.gridKey(ex.output)}`).join('|');
}

export function taskFits(task: FewShotTask, maxSide = MAX_GRID_SIDE): boolean {
  return [...task.demonstrations, task.test].every((ex) => G.fits(ex.input, maxSide) && G.fits(ex.output, maxSide));
}

/** Adds each task not yet in `into` (keyed by taskKey), keeping the first of equal ones, in order. */
function addDistinct(into: Map<string, FewShotTask>, tasks: Iterable<FewShotTask>): Map<string, FewShotTask> {
  for (const t of tasks) {
    const key = taskKey(t);
    if (!into.has(key)) into.set(key, t);
  }
  return into;
}

/**
 * §4.4 step 2: every augmenter (outer loop, group order) on every task (inner loop); augmented
 * tasks with a grid over 30 × 30 are dropped. Each application gets a fresh generator from
 * `seed`, as the official code passes a RandomState nothing advances: RandomTranslateXY therefore
 * shifts every task alike.
 */
export function augmentTasks(tasks: readonly FewShotTask[], augmenters: readonly TaskAugmenter[], seed: number): FewShotTask[] {
  return augmenters.flatMap((aug) =>
    tasks.map((t) => aug.apply(t, seededRandom(seed)).task).filter((t) => taskFits(t)),
  );
}

export interface TttOptions {
  /** Seed of every random draw; the same seed gives the same set. */
  seed?: number;
  /** How many pairs to leave out (the official run uses 1 and 2). */
  leaveOut?: readonly number[];
  /** Keep only tasks passing this check before the cap (the official 8,192-token limit). */
  keep?: (task: FewShotTask) => boolean;
  /** At most this many tasks, a seeded random subset when more (official: 250). */
  maxTasks?: number;
}

/**
 * §4.4: the test-time-training tasks of one ARC task's train pairs (its test input is never used)
 * with the given augmenters (normally augmentersFor(the self-edit's groups)). Per n: leave-out
 * tasks and their augmentations (oversize ones dropped), de-duplicated; then each gets a random
 * colour permutation (when any augmenter is on) and a random demonstration order; the distinct
 * union is kept. The per-n lists are concatenated, filtered by `keep`, and capped by a seeded shuffle.
 */
export function buildTttTasks(
  pairs: readonly ArcExample[], augmenters: readonly TaskAugmenter[], options: TttOptions = {},
): FewShotTask[] {
  const { seed = 0, leaveOut = [1, 2], keep = () => true, maxTasks = 250 } = options;
  const all: FewShotTask[] = [];
  for (const n of leaveOut) {
    const base = leaveOutTasks(pairs, n);
    const pool = [...addDistinct(new Map(), [...base, ...augmentTasks(base, augmenters, seed)]).entries()];
    const random = seededRandom(seed);
    const varied = pool.map(([, task]) => {
      const recoloured = augmenters.length > 0 ? PERMUTE_COLORS.apply(task, random).task : task;
      return PERMUTE_EXAMPLES.apply(recoloured, random).task;
    });
    all.push(...addDistinct(new Map(pool), varied).values());
  }
  const kept = all.filter(keep);
  if (kept.length <= maxTasks) return kept;
  return shuffleInPlace(kept, seededRandom(seed)).slice(0, maxTasks);
}
