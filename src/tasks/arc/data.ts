// ARC-AGI data in the Kaggle layout (spec arc.md §1): a challenges file {id: {train: [{input,
// output}], test: [{input}]}} and a solutions file {id: [output grid per test input]}. Everything is
// validated on load with errors naming the file, the task and the field, so a bad file fails at
// once instead of as a shape error deep inside augmentation or training.
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Rows of colours 0-9; every row the same length. */
export type Grid = number[][];

export interface ArcExample {
  input: Grid;
  output: Grid;
}

export interface ArcTask {
  id: string;
  train: ArcExample[];
  /** Test inputs with their outputs from the solutions file. */
  test: ArcExample[];
}

/** ARC grids are at most 30 × 30 (also the limit augmented TTT tasks must respect, §4.4). */
export const MAX_GRID_SIDE = 30;

/** The data sets of shared/data/arc by name: [challenges file, solutions file]. */
export const ARC_FILES = {
  training: ['arc-agi_training_challenges.json', 'arc-agi_training_solutions.json'],
  evaluation: ['arc-agi_evaluation_challenges.json', 'arc-agi_evaluation_solutions.json'],
  'training-filtered': [
    'arc-agi_training_challenges_filtered_1B_training_set.json',
    'arc-agi_training_solutions_filtered_1B_training_set.json',
  ],
  'evaluation-filtered': [
    'arc-agi_evaluation_challenges_filtered_1B_eval_set.json',
    'arc-agi_evaluation_solutions_filtered_1B_eval_set.json',
  ],
} as const;
export type ArcSetName = keyof typeof ARC_FILES;

/** Reads and validates a challenges file and its solutions file; tasks come in file order. */
export function readArcTasks(challengesPath: string, solutionsPath: string): ArcTask[] {
  const challenges = readJson(challengesPath);
  const solutions = readJson(solutionsPath);
  return parseArcTasks(challenges.value, solutions.value, {
    challengesName: basename(challengesPath),
    solutionsName: basename(solutionsPath),
    keyOrder: challenges.keyOrder,
  });
}

/** One of the named sets in a data directory (normally shared/data/arc). */
export function readArcSet(dir: string, set: ArcSetName): ArcTask[] {
  const [challenges, solutions] = ARC_FILES[set];
  return readArcTasks(join(dir, challenges), join(dir, solutions));
}

export interface ParseOptions {
  /** File names for error messages. */
  challengesName?: string;
  solutionsName?: string;
  /** Task ids in file order (JSON.parse puts integer-like ids such as 59341089 first). */
  keyOrder?: string[];
}

/**
 * Validates already-parsed files. Solutions may hold more task ids than the challenges (a subset of
 * the challenges with the full solutions file is fine), but every test input needs exactly one solution.
 */
export function parseArcTasks(challenges: unknown, solutions: unknown, options: ParseOptions = {}): ArcTask[] {
  const { challengesName = 'challenges', solutionsName = 'solutions', keyOrder = [] } = options;
  if (!isPlainObject(challenges)) throw new Error(`${challengesName}: expected a JSON object {task id: {train, test}}`);
  if (!isPlainObject(solutions)) throw new Error(`${solutionsName}: expected a JSON object {task id: [output grids]}`);
  return orderedKeys(challenges, keyOrder).map((id) => {
    const where = `${challengesName}: task ${id}`;
    const raw = challenges[id];
    if (!isPlainObject(raw)) throw new Error(`${where}: expected an object {train, test}`);
    const train = exampleList(raw.train, 'train', where, true);
    const testInputs = exampleList(raw.test, 'test', where, false);
    const solWhere = `${solutionsName}: task ${id}`;
    const outputs = Object.hasOwn(solutions, id) ? solutions[id] : undefined;
    if (outputs === undefined) throw new Error(`${solWhere}: missing (the challenges file has ${testInputs.length} test input(s))`);
    if (!Array.isArray(outputs)) throw new Error(`${solWhere}: expected a list of output grids`);
    if (outputs.length < testInputs.length) {
      const counts = `${outputs.length} solution(s) for ${testInputs.length} test input(s)`;
      throw new Error(`${solWhere}: no solution for test[${outputs.length}] (${counts})`);
    }
    if (outputs.length > testInputs.length) {
      throw new Error(`${solWhere}: ${outputs.length} solutions for ${testInputs.length} test input(s)`);
    }
    const test = testInputs.map((ex, i) => ({ input: ex.input, output: validateGrid(outputs[i], `${solWhere}: solution for test[${i}]`) }));
    return { id, train, test };
  });
}

/**
 * Spec §1 task splitting: a challenge with t test inputs becomes t tasks `<id>-0 … <id>-(t−1)`,
 * each with all train pairs and one test example.
 */
export function splitByTestInput(task: ArcTask): ArcTask[] {
  return task.test.map((example, i) => ({ id: `${task.id}-${i}`, train: task.train, test: [example] }));
}

/** Checks that `value` is a rectangular, non-empty grid of integers 0-9 at most 30 × 30. */
export function validateGrid(value: unknown, where: string): Grid {
  if (!Array.isArray(value)) throw new Error(`${where} must be a list of rows`);
  if (value.length === 0) throw new Error(`${where} is empty (no rows)`);
  const rows = value as unknown[];
  rows.forEach((row, r) => {
    if (!Array.isArray(row)) throw new Error(`${where} row ${r} must be a list of cells`);
    if (row.length === 0) throw new Error(`${where} row ${r} is empty`);
    if (row.length !== (rows[0] as unknown[]).length) {
      throw new Error(`${where} row ${r} has ${row.length} cells, row 0 has ${(rows[0] as unknown[]).length}`);
    }
    row.forEach((cell, col) => {
      if (!Number.isInteger(cell) || (cell as number) < 0 || (cell as number) > 9) {
        throw new Error(`${where} row ${r} col ${col} is ${JSON.stringify(cell)}, expected an integer colour 0-9`);
      }
    });
  });
  const height = rows.length;
  const width = (rows[0] as unknown[]).length;
  if (height > MAX_GRID_SIDE || width > MAX_GRID_SIDE) {
    throw new Error(`${where} is ${height} x ${width}, over the ${MAX_GRID_SIDE} x ${MAX_GRID_SIDE} limit`);
  }
  return rows as Grid;
}

function exampleList(value: unknown, field: 'train' | 'test', where: string, withOutput: boolean): ArcExample[] {
  if (!Array.isArray(value)) throw new Error(`${where}: ${field} must be a list`);
  if (value.length === 0) throw new Error(`${where}: ${field} is empty`);
  return value.map((ex, i) => {
    if (!isPlainObject(ex)) throw new Error(`${where}: ${field}[${i}] must be an object`);
    const input = validateGrid(ex.input, `${where}: ${field}[${i}].input`);
    // Test outputs come from the solutions file; a challenges file's own test output is ignored.
    const output = withOutput ? validateGrid(ex.output, `${where}: ${field}[${i}].output`) : input;
    return { input, output };
  });
}

function readJson(path: string): { value: unknown; keyOrder: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return { value: JSON.parse(text), keyOrder: topLevelKeys(text) };
  } catch (err) {
    throw new Error(`${basename(path)}: malformed JSON (${(err as Error).message})`);
  }
}

/** Keys of the outermost object in the order they appear in the text (the text is valid JSON). */
export function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      const start = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
      let next = i + 1;
      while (/\s/.test(text[next] ?? '')) next++;
      if (depth === 1 && text[next] === ':') keys.push(JSON.parse(text.slice(start, i + 1)) as string);
    } else if (ch === '{' || ch === '[') {
      depth++;
    } else if (ch === '}' || ch === ']') {
      depth--;
    }
  }
  return keys;
}

/** The object's keys, in `order` first (file order), then any the order does not list. */
function orderedKeys(obj: Record<string, unknown>, order: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const k of [...order, ...Object.keys(obj)]) {
    if (Object.hasOwn(obj, k) && !seen.has(k)) {
      seen.add(k);
      out.push(k);
    }
  }
  return out;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
