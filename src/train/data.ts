// Training data: JSONL rows of {text}, {prompt, completion} or {messages} become token ids with a
// per-token "learn this" mask; then padded or packed batches with next-token targets.
import { readFileSync } from 'node:fs';
import type { ChatMessage, Tokenizer } from '../model/tokenizer.js';

export type TrainingRow =
  | { text: string }
  | { prompt: string; completion: string }
  | { messages: ChatMessage[] };

/** One tokenised example: ids, and for each id whether predicting it is trained (loss mask). */
export interface Example {
  ids: number[];
  learn: boolean[];
}

export function readJsonl(path: string): TrainingRow[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const rows: TrainingRow[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (err) {
      throw new Error(`${path}:${i + 1}: malformed JSON (${(err as Error).message})`);
    }
    rows.push(checkRow(row, `${path}:${i + 1}`));
  });
  if (rows.length === 0) throw new Error(`${path}: no training rows`);
  return rows;
}

export function checkRow(row: unknown, where: string): TrainingRow {
  if (typeof row !== 'object' || row === null) throw new Error(`${where}: expected a JSON object`);
  const r = row as Record<string, unknown>;
  if ('text' in r) {
    if (typeof r.text !== 'string') throw new Error(`${where}: field 'text' must be a string`);
    return { text: r.text };
  }
  if ('prompt' in r || 'completion' in r) {
    if (typeof r.prompt !== 'string') throw new Error(`${where}: field 'prompt' must be a string`);
    if (typeof r.completion !== 'string') throw new Error(`${where}: field 'completion' must be a string`);
    return { prompt: r.prompt, completion: r.completion };
  }
  if ('messages' in r) {
    const m = r.messages;
    if (!Array.isArray(m) || m.length === 0) throw new Error(`${where}: field 'messages' must be a non-empty list`);
    m.forEach((msg, j) => {
      if (typeof msg?.role !== 'string' || typeof msg?.content !== 'string') {
        throw new Error(`${where}: field 'messages[${j}]' must be {role: string, content: string}`);
      }
    });
    return { messages: m as ChatMessage[] };
  }
  throw new Error(`${where}: expected one of {text}, {prompt, completion}, {messages}`);
}

export interface TokenizeOptions {
  /** Learn only the completion (prompt/completion rows) or the last assistant turn (messages). */
  completionOnly?: boolean;
  /** Append the tokenizer's EOS so the model learns where to stop (default true). */
  appendEos?: boolean;
  /** Truncate examples longer than this many tokens. */
  maxLength?: number;
}

export function tokenizeRow(row: TrainingRow, tokenizer: Tokenizer, options: TokenizeOptions = {}): Example {
  const eos = options.appendEos !== false && tokenizer.eosId !== null ? [tokenizer.eosId] : [];
  let prompt: number[];
  let completion: number[];
  if ('text' in row) {
    prompt = [];
    completion = [...tokenizer.encode(row.text), ...eos];
  } else if ('prompt' in row) {
    prompt = tokenizer.encode(row.prompt);
    completion = [...tokenizer.encode(row.completion, { addSpecialTokens: false }), ...eos];
  } else {
    const full = tokenizer.renderChat(row.messages, { addGenerationPrompt: false });
    const head = tokenizer.renderChat(row.messages.slice(0, -1), { addGenerationPrompt: true });
    if (row.messages.length < 2 || !full.startsWith(head)) {
      prompt = [];
      completion = tokenizer.encode(full, { addSpecialTokens: false });
    } else {
      prompt = tokenizer.encode(head, { addSpecialTokens: false });
      completion = tokenizer.encode(full.slice(head.length), { addSpecialTokens: false });
    }
  }
  let ids = [...prompt, ...completion];
  let learn = ids.map((_, i) => !options.completionOnly || i >= prompt.length);
  if (options.maxLength && ids.length > options.maxLength) {
    ids = ids.slice(0, options.maxLength);
    learn = learn.slice(0, options.maxLength);
  }
  return { ids, learn };
}

/** A batch ready for the model: B rows of T ids, next-token targets (−100 = no loss). */
export interface Batch {
  B: number;
  T: number;
  ids: Int32Array;
  targets: Int32Array;
  /** Packed rows: per-token first visible key and per-document positions. */
  segStart?: Int32Array;
  positions?: Int32Array;
  /** Tokens whose prediction is trained. */
  trainedTokens: number;
}

/** Target of position t is ids[t+1] when that token is learned; the first token is never a target. */
function targetsOf(e: Example): number[] {
  return e.ids.map((_, t) => (t + 1 < e.ids.length && e.learn[t + 1] ? e.ids[t + 1]! : -100));
}

/** Right-padded batch: pads come after each sequence, so causal attention never lets a real token see them. */
export function padBatch(examples: Example[], padId: number): Batch {
  const B = examples.length;
  const T = Math.max(...examples.map((e) => e.ids.length));
  const ids = new Int32Array(B * T).fill(padId);
  const targets = new Int32Array(B * T).fill(-100);
  let trained = 0;
  examples.forEach((e, b) => {
    ids.set(e.ids, b * T);
    const tg = targetsOf(e);
    targets.set(tg, b * T);
    trained += tg.filter((x) => x !== -100).length;
  });
  return { B, T, ids, targets, trainedTokens: trained };
}

/**
 * Packs examples into one row of length T (default: their total): documents sit side by side,
 * each attending only to itself, with positions restarting at 0.
 */
export function packBatch(examples: Example[], padId: number, T?: number): Batch {
  const total = examples.reduce((n, e) => n + e.ids.length, 0);
  const len = T ?? total;
  if (total > len) throw new RangeError(`packBatch: ${total} tokens do not fit in a row of ${len}`);
  const ids = new Int32Array(len).fill(padId);
  const targets = new Int32Array(len).fill(-100);
  const segStart = new Int32Array(len);
  const positions = new Int32Array(len);
  let at = 0;
  let trained = 0;
  for (const e of examples) {
    ids.set(e.ids, at);
    const tg = targetsOf(e);
    targets.set(tg, at);
    trained += tg.filter((x) => x !== -100).length;
    for (let t = 0; t < e.ids.length; t++) {
      segStart[at + t] = at;
      positions[at + t] = t;
    }
    at += e.ids.length;
  }
  for (let t = at; t < len; t++) {
    segStart[t] = at;
    positions[t] = t - at;
  }
  return { B: 1, T: len, ids, targets, segStart, positions, trainedTokens: trained };
}

/** Greedy packing of examples (in order) into rows of at most T tokens. */
export function packExamples(examples: Example[], T: number): Example[][] {
  const rows: Example[][] = [];
  let row: Example[] = [];
  let used = 0;
  for (const e of examples) {
    if (e.ids.length > T) throw new RangeError(`an example of ${e.ids.length} tokens does not fit a packed row of ${T}`);
    if (used + e.ids.length > T && row.length) {
      rows.push(row);
      row = [];
      used = 0;
    }
    row.push(e);
    used += e.ids.length;
  }
  if (row.length) rows.push(row);
  return rows;
}
