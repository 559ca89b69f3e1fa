// Solving an ARC test input the way SEAL scores an adapter (spec arc.md §6): leave-one-out query
// tasks plus five geometric views of the test input, one greedy answer per query (a single
// batched generation), each answer parsed and mapped back through its view's inverse, then the
// official two-attempt vote. The model call is a parameter, so the voting can be tested with
// scripted answers.
import type { LoadedModel } from '../../model/load.js';
import { generate } from '../../generate/generate.js';
import {
  FLIP_COLUMNS, FLIP_ROWS, PERMUTE_EXAMPLES, ROTATE_180, ROTATE_90, TRANSPOSE, combinations, onEveryGrid, taskKey,
  type FewShotTask, type GridAugmenter,
} from './augment.js';
import type { ArcExample, Grid } from './data.js';
import { gridKey, gridsEqual, transpose } from './grid.js';
import { parseAnswer, renderQuery } from './grid-text.js';
import { seededRandom } from '../../util/random.js';

// ---- Queries (§6.2) -----------------------------------------------------------------------------

/** One question put to the model: a few-shot task whose test example is (a view of) the real test input. */
export interface ArcQuery {
  task: FewShotTask;
  /** 'identity', or the augmenter that made this view, e.g. 'Rotate(90)'. */
  view: string;
  /** Its voting group: 'identity' or the official inverter's name, e.g. 'Rotate(270)' for Rotate(90). */
  inverter: string;
  /** Maps an answer in the view's frame back to the original frame. */
  invert(grid: Grid): Grid | null;
}

/** §6.2 step 2: the views, in the official order. */
export const QUERY_VIEWS: readonly GridAugmenter[] = [TRANSPOSE, FLIP_ROWS, FLIP_COLUMNS, ROTATE_90, ROTATE_180];

export interface QueryOptions {
  /** Seed of the re-orderings and of which task each view uses (official: RandomState(0)). */
  seed?: number;
  /** Random re-orderings per leave-out task (official: 2). */
  permutations?: number;
  /** Train pairs left out of every query (official: include_n = [1]). */
  leaveOut?: number;
  /** Keep only queries passing this check (official: prompt + true answer under 8,192 tokens). */
  fits?: (task: FewShotTask) => boolean;
}

const identity = (g: Grid): Grid => g;

/**
 * §6.2 for one n, with a fresh generator: each way of leaving out n train pairs gives a task with
 * the rest in order plus `permutations` random re-orderings (distinct ones kept); then each view
 * is applied to a randomly chosen one of them, skipped when it equals one of them. Views that
 * coincide keep the first. Python's set order, which the official random choice depends on, is
 * replaced by first-occurrence order.
 */
export function leaveOutQueries(
  train: readonly ArcExample[], test: ArcExample, n: number, seed = 0, permutations = 2,
): ArcQuery[] {
  const random = seededRandom(seed);
  const base = new Map<string, FewShotTask>();
  const add = (into: Map<string, FewShotTask>, t: FewShotTask) => {
    const key = taskKey(t);
    if (!into.has(key)) into.set(key, t);
  };
  const indices = train.map((_, i) => i);
  for (const dropped of combinations(indices, n)) {
    const task = { demonstrations: indices.filter((i) => !dropped.includes(i)).map((i) => train[i]!), test };
    add(base, task);
    for (let k = 0; k < permutations; k++) add(base, PERMUTE_EXAMPLES.apply(task, random).task);
  }
  const pool = [...base.values()];
  if (pool.length === 0) return [];
  const queries: ArcQuery[] = pool.map((task) => ({ task, view: 'identity', inverter: 'identity', invert: identity }));
  const seen = new Set(base.keys());
  for (const aug of QUERY_VIEWS) {
    const chosen = pool[Math.floor(random() * pool.length)]!;
    const task = onEveryGrid(aug).apply(chosen, random).task;
    const key = taskKey(task);
    if (seen.has(key)) continue;
    seen.add(key);
    queries.push({ task, view: aug.name, inverter: aug.inverseName!, invert: (g) => aug.invert(g) });
  }
  return queries;
}

/**
 * §6.2: the queries for a test input that pass `fits`; when none does, the official code tries
 * again with one more pair left out as well (n and n + 1 together).
 */
export function buildQueries(train: readonly ArcExample[], test: ArcExample, options: QueryOptions = {}): ArcQuery[] {
  const { seed = 0, permutations = 2, leaveOut = 1, fits = () => true } = options;
  const build = (ns: number[]) => ns.flatMap((n) => leaveOutQueries(train, test, n, seed, permutations)).filter((q) => fits(q.task));
  const first = build([leaveOut]);
  return first.length > 0 ? first : build([leaveOut, leaveOut + 1]);
}

// ---- Answers (§6.3) -----------------------------------------------------------------------------

export interface Answer {
  text: string;
  /** Tokens generated. */
  tokens: number;
}

/** Answers every query, in order (the model, or a script in tests). */
export type Answerer = (queries: readonly ArcQuery[]) => Answer[] | Promise<Answer[]>;

export interface ModelAnswererOptions {
  /** Longest answer to generate. */
  maxAnswerTokens: number;
  /** Context limit: an answer never runs past it (official: 8,192 − prompt tokens). */
  maxTokens?: number;
  /** Also stop at these strings (the official code stops only at the end-of-turn token). */
  stop?: string[];
}

/** §6.3: greedy answers from `model` (adapter attached or not), all queries in one batched generation. */
export function modelAnswerer(model: LoadedModel, options: ModelAnswererOptions): Answerer {
  return (queries) => {
    if (queries.length === 0) return [];
    const tokenizer = model.tokenizer;
    if (!tokenizer) throw new Error(`${model.dir}: ARC inference needs the model's tokenizer`);
    // The chat template carries BOS (inference sees a single one, §9 quirk 4).
    const prompts = queries.map((q) => tokenizer.encode(renderQuery(tokenizer, q.task.demonstrations, q.task.test), { addSpecialTokens: false }));
    const room = (options.maxTokens ?? Infinity) - Math.max(...prompts.map((p) => p.length));
    const outputs = generate(model.model, prompts, {
      temperature: 0, maxNewTokens: Math.max(1, Math.min(options.maxAnswerTokens, room)),
      eosTokenIds: model.generation.eosTokenIds, stop: options.stop, tokenizer,
    });
    return outputs.map((o) => ({ text: o.text ?? '', tokens: o.tokens.length }));
  };
}

// ---- Python's set order (§6.4) ------------------------------------------------------------------
//
// The official vote ranks the distinct grids of `set(outputs)` (tuples of tuples of ints), the
// rows of `set(rows)` and the shapes of `set(shapes)` in the set's iteration order, so that order
// decides every tie (max and argmax take the first; the stable argsort keeps equal counts in it).
// CPython does not salt the hashes of ints and tuples (only str and bytes hashes change with
// PYTHONHASHSEED), so the order is fixed: the slot order of CPython's open-addressing set table
// after adding the items in list order. Emulated exactly below (CPython >= 3.8's tuple hash,
// Objects/setobject.c's probing and resizing).

const MASK64 = (1n << 64n) - 1n;
const XXPRIME_1 = 11400714785074694791n;
const XXPRIME_2 = 14029467366897019727n;
const XXPRIME_5 = 2870177450012600261n;
const LINEAR_PROBES = 9;
const PERTURB_SHIFT = 5n;

/** CPython's hash of an int, as an unsigned 64-bit value (exact for every safe integer). */
function pyIntHash(n: number): bigint {
  return BigInt.asUintN(64, BigInt(n === -1 ? -2 : n));
}

/** CPython's `tuplehash` (xxHash-based, 3.8+) of a tuple whose items hash to `lanes`, unsigned 64-bit. */
export function pyTupleHash(lanes: readonly bigint[]): bigint {
  let acc = XXPRIME_5;
  for (const lane of lanes) {
    acc = (acc + lane * XXPRIME_2) & MASK64;
    acc = ((acc << 31n) | (acc >> 33n)) & MASK64;
    acc = (acc * XXPRIME_1) & MASK64;
  }
  acc = (acc + (BigInt(lanes.length) ^ (XXPRIME_5 ^ 3527539n))) & MASK64;
  return acc === MASK64 ? 1546275796n : acc;
}

/** hash(tuple(row)) for a row of ints. */
export function pyRowHash(row: readonly number[]): bigint {
  return pyTupleHash(row.map(pyIntHash));
}

/** hash(to_tuple(grid)): a tuple of row tuples, as the official code votes on. */
export function pyGridHash(grid: Grid): bigint {
  return pyTupleHash(grid.map(pyRowHash));
}

export interface SetEntry<T> {
  item: T;
  key: string;
  /** How often the item occurs in the list (`list.count`). */
  count: number;
}

/**
 * `list(set(items))` as CPython orders it, each distinct item (the first of its equals) with its
 * count. `key` decides equality, `hash` is CPython's hash of the item.
 */
export function pySetOrder<T>(items: readonly T[], key: (item: T) => string, hash: (item: T) => bigint): SetEntry<T>[] {
  interface Slot extends SetEntry<T> { hash: bigint }
  let mask = 7;
  let table: (Slot | undefined)[] = new Array<Slot | undefined>(mask + 1);
  let fill = 0;
  // set_add_entry / set_insert_clean: slot hash & mask, then up to LINEAR_PROBES neighbours when
  // they fit before the table's end, then the perturbed jump. Without deletions the first empty
  // slot of that sequence is where a new key goes (an equal key would have been met before it).
  const place = (t: (Slot | undefined)[], m: number, slot: Slot): void => {
    let i = Number(slot.hash & BigInt(m));
    let perturb = slot.hash;
    for (;;) {
      if (!t[i]) { t[i] = slot; return; }
      if (i + LINEAR_PROBES <= m) {
        for (let j = 1; j <= LINEAR_PROBES; j++) if (!t[i + j]) { t[i + j] = slot; return; }
      }
      perturb >>= PERTURB_SHIFT;
      i = Number((BigInt(i) * 5n + 1n + perturb) & BigInt(m));
    }
  };
  const byKey = new Map<string, Slot>();
  for (const item of items) {
    const k = key(item);
    const seen = byKey.get(k);
    if (seen) { seen.count++; continue; }
    const slot: Slot = { item, key: k, count: 1, hash: hash(item) };
    byKey.set(k, slot);
    place(table, mask, slot);
    fill++;
    if (fill * 5 >= mask * 3) {
      // set_table_resize(so, used > 50000 ? used * 2 : used * 4): the smallest power of 2 above it.
      const minUsed = byKey.size > 50000 ? byKey.size * 2 : byKey.size * 4;
      let size = 8;
      while (size <= minUsed) size *= 2;
      const old = table;
      table = new Array<Slot | undefined>(size);
      mask = size - 1;
      for (const s of old) if (s) place(table, mask, s);
    }
  }
  return table.filter((s): s is Slot => s !== undefined).map(({ item, key: k, count }) => ({ item, key: k, count }));
}

// ---- Voting (§6.4) ------------------------------------------------------------------------------

/** The distinct grids of a list in Python's set order, with their counts (the official `unique_outputs`, `counts`). */
function tally(grids: readonly Grid[]): { grid: Grid; key: string; count: number }[] {
  return pySetOrder(grids, gridKey, pyGridHash).map((e) => ({ grid: e.item, key: e.key, count: e.count }));
}

/** The first of the most frequent (Python's max over counts, and NumPy's argmax). */
function mostFrequent<T extends { count: number }>(items: readonly T[]): T {
  return items.reduce((best, t) => (t.count > best.count ? t : best));
}

/**
 * Row-majority grid: the most common shape (h, w); row r is the most common row r among the
 * grids that have a row r of width w. May be a grid no prediction produced. Ties go to the first
 * in Python's set order of the shapes, and of the rows.
 */
export function rowMajority(grids: readonly Grid[]): Grid {
  const shapes = pySetOrder(
    grids.map((g) => [g.length, g[0]!.length] as const), (s) => `${s[0]}x${s[1]}`, (s) => pyTupleHash([pyIntHash(s[0]), pyIntHash(s[1])]),
  );
  const [h, w] = mostFrequent(shapes).item;
  const rows: Grid = [];
  for (let r = 0; r < h; r++) {
    const candidates = grids.filter((g) => g.length > r && g[r]!.length === w).map((g) => g[r]!);
    rows.push(mostFrequent(pySetOrder(candidates, (row) => row.join(','), pyRowHash)).item.slice());
  }
  return rows;
}

/** Column-majority grid: the row majority of the transposed grids, transposed back. */
export function columnMajority(grids: readonly Grid[]): Grid {
  return transpose(rowMajority(grids.map(transpose)));
}

/**
 * §6.4 top-3 (`get_all_type_of_votingsv2`): over the distinct grids in Python's set order, the
 * first most common grid, then the second and third by a stable ascending sort of the counts
 * (among equal counts the later one in set order ranks higher); a second equal to the first is
 * replaced by the row (else column) majority, a third equal to either by the row majority if it
 * differs from both, else the column majority. null for no grids.
 */
export function topThree(grids: readonly Grid[]): [Grid, Grid, Grid] | null {
  if (grids.length === 0) return null;
  const distinct = tally(grids);
  const most = mostFrequent(distinct).grid;
  const ascending = distinct.map((t, i) => ({ t, i })).sort((a, b) => a.t.count - b.t.count || a.i - b.i).map((x) => x.t.grid);
  let second = most;
  let third = most;
  if (distinct.length >= 3) {
    second = ascending[ascending.length - 2]!;
    third = ascending[ascending.length - 3]!;
  } else if (distinct.length === 2) {
    second = ascending[0]!;
  }
  const row = rowMajority(grids);
  const column = columnMajority(grids);
  if (gridsEqual(second, most)) second = gridsEqual(row, most) ? column : row;
  if (gridsEqual(third, most) || gridsEqual(third, second)) {
    third = gridsEqual(row, most) || gridsEqual(row, second) ? column : row;
  }
  return [most, second, third];
}

/** §6.4: the groups whose top-3 become candidates, in this order (missing groups are skipped). */
export const VOTING_GROUPS = ['all', 'identity', 'Transpose()', 'Flip(0)', 'Flip(1)', 'Rotate(180)', 'Rotate(270)'] as const;

export interface VotablePrediction {
  inverter: string;
  /** In the original frame. */
  output: Grid;
}

/**
 * §6.4 `vote`: group the predictions by inverter (plus `all`), collect each group's top-3, take
 * the top-3 (C1, C2, C3) of those candidates; when C2 and C3 are equally frequent among them, C2
 * becomes C3 unless the identity group holds C2 more often than C3 (no identity group: no change).
 * Attempts = (C1, C2), possibly the same grid twice; (null, null) without predictions.
 */
export function vote(predictions: readonly VotablePrediction[]): [Grid | null, Grid | null] {
  const groups = new Map<string, Grid[]>();
  for (const p of predictions) {
    if (!groups.has(p.inverter)) groups.set(p.inverter, []);
    groups.get(p.inverter)!.push(p.output);
  }
  // `all` as the official code lists it: the groups concatenated in order of first appearance
  // (the list order decides where colliding hashes land in the set, so it can decide ties).
  groups.set('all', [...groups.values()].flat());
  const candidates = VOTING_GROUPS.flatMap((name) => {
    const group = groups.get(name);
    return group && group.length ? topThree(group)! : [];
  });
  const top = topThree(candidates);
  if (!top) return [null, null];
  const [c1, c2, c3] = top;
  const countIn = (grids: readonly Grid[], g: Grid) => grids.filter((x) => gridsEqual(x, g)).length;
  const identityGroup = groups.get('identity');
  if (identityGroup && countIn(candidates, c2) === countIn(candidates, c3)) {
    return [c1, countIn(identityGroup, c2) > countIn(identityGroup, c3) ? c2 : c3];
  }
  return [c1, c2];
}

// ---- One test input, end to end ---------------------------------------------------------------

export interface ViewPrediction {
  view: string;
  inverter: string;
  /** The model's answer as generated. */
  text: string;
  /** The answer parsed (§2.2) in the view's frame; null: not a grid, so no vote. */
  grid: Grid | null;
  /** The answer mapped back to the original frame; null when there is none. */
  output: Grid | null;
  /** output equals the true test output. */
  correct: boolean;
}

export interface ArcPrediction {
  views: ViewPrediction[];
  /** The two attempts (§6.4); null where the vote had nothing. */
  attempts: [Grid | null, Grid | null];
  /** pass@2 (§6.5): the true output is one of the attempts. */
  success: boolean;
  /** Answers that did not parse into a grid. */
  invalid: number;
  tokensGenerated: number;
}

/** Queries, answers, inversion and vote for one test input; `test.output` is used only to score. */
export async function solveTestInput(
  train: readonly ArcExample[], test: ArcExample, answer: Answerer, options: QueryOptions = {},
): Promise<ArcPrediction> {
  const queries = buildQueries(train, test, options);
  const answers = queries.length ? await answer(queries) : [];
  if (answers.length !== queries.length) throw new Error(`ARC inference: ${answers.length} answers for ${queries.length} queries`);
  const views = queries.map((q, i): ViewPrediction => {
    const text = answers[i]!.text;
    const grid = parseAnswer(text);
    const output = grid && q.invert(grid);
    return { view: q.view, inverter: q.inverter, text, grid, output, correct: output !== null && gridsEqual(output, test.output) };
  });
  const attempts = vote(views.filter((v): v is ViewPrediction & { output: Grid } => v.output !== null));
  return {
    views,
    attempts,
    success: attempts.some((a) => a !== null && gridsEqual(a, test.output)),
    invalid: views.filter((v) => v.grid === null).length,
    tokensGenerated: answers.reduce((n, a) => n + a.tokens, 0),
  };
}
