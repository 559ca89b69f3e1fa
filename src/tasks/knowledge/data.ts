// SQuAD-format knowledge data: a JSON list of {title, context, questions: [{question, answer}]}
// (the paper's files and the synthetic benchmark alike), validated with errors that name the
// file, the record and the field; plus the official code's passage selection (Python's
// random.seed(42); random.shuffle) so the paper's evaluation passages can be reproduced.
import { readFileSync } from 'node:fs';
import { pythonShuffle } from '../../util/python-random.js';

export interface Passage {
  /** Stable id: "<file stem>#<index in the file>". */
  id: string;
  title: string;
  context: string;
  questions: { question: string; answer: string }[];
}

export function readPassages(path: string): Passage[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${path}: ${code ? `cannot read (${code})` : `malformed JSON (${(err as Error).message})`}`);
  }
  if (!Array.isArray(raw)) throw new Error(`${path}: expected a JSON list of {title, context, questions}`);
  const stem = path.replace(/^.*\//, '').replace(/\.json$/, '');
  return raw.map((r, i) => {
    const where = `${path}: record ${i}`;
    if (typeof r !== 'object' || r === null) throw new Error(`${where}: expected an object`);
    const { title, context, questions } = r as Record<string, unknown>;
    if (typeof title !== 'string') throw new Error(`${where}: field 'title' must be a string`);
    if (typeof context !== 'string') throw new Error(`${where}: field 'context' must be a string`);
    if (!Array.isArray(questions)) throw new Error(`${where}: field 'questions' must be a list`);
    questions.forEach((q, j) => {
      if (typeof q?.question !== 'string' || typeof q?.answer !== 'string') {
        throw new Error(`${where}: field 'questions[${j}]' must be {question: string, answer: string}`);
      }
    });
    return { id: `${stem}#${i}`, title, context, questions: questions as Passage['questions'] };
  });
}

/** The official selection: shuffle with Python's random.seed(seed), then take [start, start + n). */
export function selectPassages(passages: Passage[], n: number, { start = 0, shuffleSeed = 42 as number | null } = {}): Passage[] {
  const order = shuffleSeed === null ? passages.slice() : pythonShuffle(passages, shuffleSeed);
  return n < 0 ? order.slice(start) : order.slice(start, start + n);
}
