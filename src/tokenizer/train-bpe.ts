// Deterministic byte-level BPE trainer (GPT-2 / Qwen style) writing a standard Hugging Face
// tokenizer.json + tokenizer_config.json that src/model/tokenizer.ts (and HF `tokenizers`) load.
//
// Pre-tokenisation: the GPT-2 split regex (exactly the one the ByteLevel pre-tokenizer applies with
// use_regex = true), then every UTF-8 byte mapped to a printable character (GPT-2 bytes_to_unicode).
// Training: word frequencies → pair counts; each step merges the most frequent pair (ties: the pair of
// smaller symbol ids, first symbol first), updating pair counts incrementally for only the words that
// contain the pair (lazy max-heap), so a few MB of text train in seconds.
// Ids: 0..255 the byte symbols (id = byte value), then merged tokens in merge order, then the special
// tokens (added_tokens, not part of model.vocab, like Qwen2).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The GPT-2 pre-tokenisation pattern (as in the ByteLevel pre-tokenizer of HF tokenizers). */
export const GPT2_SPLIT_REGEX = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export const DEFAULT_SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const;

/** ChatML in the style of Qwen's template (no tools), rendered by @huggingface/jinja. */
export const CHATML_TEMPLATE =
  "{%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

/** GPT-2's bytes_to_unicode: byte value → printable character. */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = '!'.charCodeAt(0); b <= '~'.charCodeAt(0); b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const out = new Array<string>(256);
  bs.forEach((b, i) => (out[b] = String.fromCharCode(cs[i])));
  return out;
}

const BYTE_CHARS = bytesToUnicode();
const encoder = new TextEncoder();

/** Byte-level pre-tokens of `text` (no special-token handling). */
export function preTokenize(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(GPT2_SPLIT_REGEX)) out.push(byteLevel(m[0]));
  return out;
}

function byteLevel(piece: string): string {
  let s = '';
  for (const b of encoder.encode(piece)) s += BYTE_CHARS[b];
  return s;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface BpeTrainOptions {
  /** Total vocabulary size including the special tokens. Default 2048. */
  vocabSize?: number;
  /** Special tokens (added tokens), appended after the BPE vocabulary. First one is EOS. */
  specialTokens?: readonly string[];
  /** Pairs seen fewer times are never merged (the vocabulary may then stay smaller). Default 2. */
  minFrequency?: number;
  /** tokenizer_config.json model_max_length. Default 2048. */
  modelMaxLength?: number;
}

export interface TrainedBpe {
  /** token → id for the BPE model (bytes + merged tokens, no special tokens). */
  vocab: Record<string, number>;
  /** Merges in rank order. */
  merges: [string, string][];
  specialTokens: { content: string; id: number }[];
  /** Total vocabulary size (BPE tokens + special tokens). */
  vocabSize: number;
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
}

/** Max-heap of (count, pairKey); ties: smaller key first. */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];

  get size(): number {
    return this.counts.length;
  }

  private better(i: number, j: number): boolean {
    const ci = this.counts[i], cj = this.counts[j];
    return ci > cj || (ci === cj && this.keys[i] < this.keys[j]);
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j], this.counts[i]];
    [this.keys[i], this.keys[j]] = [this.keys[j], this.keys[i]];
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.counts.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.better(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { count: number; key: number } {
    const top = { count: this.counts[0], key: this.keys[0] };
    const lastC = this.counts.pop()!, lastK = this.keys.pop()!;
    if (this.counts.length > 0) {
      this.counts[0] = lastC;
      this.keys[0] = lastK;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let best = i;
        if (l < this.counts.length && this.better(l, best)) best = l;
        if (r < this.counts.length && this.better(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}

const KEY_BASE = 1 << 20;
const pairKey = (a: number, b: number): number => a * KEY_BASE + b;

/** Trains a byte-level BPE on `texts`. Deterministic: same texts (in any order) and options → same result. */
export function trainBpe(texts: Iterable<string>, options: BpeTrainOptions = {}): TrainedBpe {
  const specials = [...(options.specialTokens ?? DEFAULT_SPECIAL_TOKENS)];
  const vocabSize = options.vocabSize ?? 2048;
  const minFrequency = Math.max(1, options.minFrequency ?? 2);
  const targetBpe = vocabSize - specials.length;
  if (targetBpe < 256) throw new Error(`trainBpe: vocabSize ${vocabSize} leaves fewer than 256 ids for the byte alphabet`);
  if (targetBpe >= KEY_BASE) throw new Error(`trainBpe: vocabSize ${vocabSize} too large`);

  // 1. Word frequencies (special tokens are cut out of the text, never learned from).
  const splitter = specials.length > 0 ? new RegExp(specials.map(escapeRegex).join('|'), 'g') : null;
  const wordFreq = new Map<string, number>();
  for (const text of texts) {
    for (const part of splitter ? text.split(splitter) : [text]) {
      for (const m of part.matchAll(GPT2_SPLIT_REGEX)) {
        const w = byteLevel(m[0]);
        wordFreq.set(w, (wordFreq.get(w) ?? 0) + 1);
      }
    }
  }
  // Sorted so the result does not depend on text order.
  const wordList = [...wordFreq.keys()].sort();

  // 2. Symbols.
  const idToToken: string[] = BYTE_CHARS.slice();
  const tokenToId = new Map<string, number>(idToToken.map((t, i) => [t, i]));
  const words: number[][] = wordList.map((w) => Array.from(w, (ch) => tokenToId.get(ch)!));
  const freqs: number[] = wordList.map((w) => wordFreq.get(w)!);

  // 3. Pair statistics.
  const pairCount = new Map<number, number>();
  const pairWhere = new Map<number, Set<number>>();
  for (let wi = 0; wi < words.length; wi++) {
    const w = words[wi], f = freqs[wi];
    for (let i = 0; i + 1 < w.length; i++) {
      const k = pairKey(w[i], w[i + 1]);
      pairCount.set(k, (pairCount.get(k) ?? 0) + f);
      let set = pairWhere.get(k);
      if (!set) pairWhere.set(k, (set = new Set()));
      set.add(wi);
    }
  }
  const heap = new PairHeap();
  for (const [k, c] of pairCount) heap.push(c, k);

  // 4. Merge loop.
  const merges: [string, string][] = [];
  while (idToToken.length < targetBpe && heap.size > 0) {
    const { count, key } = heap.pop();
    if (pairCount.get(key) !== count) continue; // stale entry
    if (count < minFrequency) break;
    const a = Math.floor(key / KEY_BASE), b = key % KEY_BASE;
    const merged = idToToken[a] + idToToken[b];
    let c = tokenToId.get(merged);
    if (c === undefined) {
      c = idToToken.length;
      idToToken.push(merged);
      tokenToId.set(merged, c);
    }
    merges.push([idToToken[a], idToToken[b]]);

    const delta = new Map<number, number>();
    const bump = (k: number, d: number): void => {
      delta.set(k, (delta.get(k) ?? 0) + d);
    };
    const where = [...(pairWhere.get(key) ?? [])].sort((x, y) => x - y);
    for (const wi of where) {
      const w = words[wi];
      let found = false;
      for (let i = 0; i + 1 < w.length; i++) if (w[i] === a && w[i + 1] === b) { found = true; break; }
      if (!found) continue;
      const f = freqs[wi];
      for (let i = 0; i + 1 < w.length; i++) bump(pairKey(w[i], w[i + 1]), -f);
      const next: number[] = [];
      for (let i = 0; i < w.length; i++) {
        if (i + 1 < w.length && w[i] === a && w[i + 1] === b) {
          next.push(c);
          i++;
        } else next.push(w[i]);
      }
      words[wi] = next;
      for (let i = 0; i + 1 < next.length; i++) {
        const k = pairKey(next[i], next[i + 1]);
        bump(k, f);
        let set = pairWhere.get(k);
        if (!set) pairWhere.set(k, (set = new Set()));
        set.add(wi);
      }
    }
    pairWhere.delete(key);
    for (const [k, d] of delta) {
      if (d === 0) continue;
      const now = (pairCount.get(k) ?? 0) + d;
      if (now <= 0) pairCount.delete(k);
      else {
        pairCount.set(k, now);
        heap.push(now, k);
      }
    }
  }

  // 5. Files.
  const vocab: Record<string, number> = {};
  idToToken.forEach((t, i) => (vocab[t] = i));
  const specialTokens = specials.map((content, i) => ({ content, id: idToToken.length + i }));
  const totalSize = idToToken.length + specials.length;
  const eos = specials[0] ?? null;
  const tokenizerJson: Record<string, unknown> = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specialTokens.map(({ content, id }) => ({
      id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: merges.map(([x, y]) => `${x} ${y}`),
    },
  };
  const addedTokensDecoder: Record<string, unknown> = {};
  for (const { content, id } of specialTokens) {
    addedTokensDecoder[String(id)] = { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true };
  }
  const tokenizerConfig: Record<string, unknown> = {
    add_bos_token: false,
    add_eos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: addedTokensDecoder,
    additional_special_tokens: specials.slice(1),
    bos_token: null,
    chat_template: CHATML_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: eos,
    errors: 'replace',
    model_max_length: options.modelMaxLength ?? 2048,
    pad_token: eos,
    split_special_tokens: false,
    tokenizer_class: 'PreTrainedTokenizerFast',
    unk_token: null,
  };
  return { vocab, merges, specialTokens, vocabSize: totalSize, tokenizerJson, tokenizerConfig };
}

/** Writes tokenizer.json and tokenizer_config.json into `dir` (created if needed). */
export function writeTokenizer(dir: string, trained: TrainedBpe): { tokenizerJson: string; tokenizerConfig: string } {
  mkdirSync(dir, { recursive: true });
  const paths = { tokenizerJson: join(dir, 'tokenizer.json'), tokenizerConfig: join(dir, 'tokenizer_config.json') };
  writeFileSync(paths.tokenizerJson, JSON.stringify(trained.tokenizerJson, null, 2));
  writeFileSync(paths.tokenizerConfig, JSON.stringify(trained.tokenizerConfig, null, 2));
  return paths;
}

/** trainBpe + writeTokenizer. */
export function trainBpeToDir(dir: string, texts: Iterable<string>, options: BpeTrainOptions = {}): TrainedBpe {
  const trained = trainBpe(texts, options);
  writeTokenizer(dir, trained);
  return trained;
}
