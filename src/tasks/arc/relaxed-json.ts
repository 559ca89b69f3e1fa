// A forgiving JSON reader for what small models write when asked for JSON: the object may sit
// inside prose or a code fence, and use single quotes, trailing commas, unquoted keys or Python's
// True / False / None. Strict JSON.parse would discard most of those self-edits (the official code
// resamples them, spec arc.md §3.3 rule 1).

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

class ParseError extends Error {}

const LITERALS: Record<string, JsonValue> = { true: true, false: false, null: null, True: true, False: false, None: null };
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '/': '/', '\\': '\\', '"': '"', "'": "'" };

class Reader {
  constructor(private readonly text: string, public pos: number) {}

  value(depth = 0): JsonValue {
    if (depth > 64) throw new ParseError('nested too deeply');
    this.space();
    const ch = this.text[this.pos];
    if (ch === '{') return this.object(depth);
    if (ch === '[') return this.array(depth);
    if (ch === '"' || ch === "'") return this.string();
    const number = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.pos, this.pos + 64));
    if (number) {
      this.pos += number[0].length;
      return Number(number[0]);
    }
    const word = /^[A-Za-z_]\w*/.exec(this.text.slice(this.pos, this.pos + 64));
    if (word && Object.hasOwn(LITERALS, word[0])) {
      this.pos += word[0].length;
      return LITERALS[word[0]]!;
    }
    throw new ParseError(`unexpected ${ch === undefined ? 'end of text' : JSON.stringify(ch)} at ${this.pos}`);
  }

  private object(depth: number): JsonValue {
    const out: { [key: string]: JsonValue } = {};
    this.pos++;
    for (;;) {
      this.space();
      if (this.eat('}')) return out;
      const key = this.key();
      this.space();
      if (!this.eat(':')) throw new ParseError(`expected ':' after key ${JSON.stringify(key)}`);
      // defineProperty, so a key such as "__proto__" stays an ordinary key.
      Object.defineProperty(out, key, { value: this.value(depth + 1), enumerable: true, writable: true, configurable: true });
      this.space();
      if (this.eat('}')) return out;
      if (!this.eat(',')) throw new ParseError(`expected ',' or '}' at ${this.pos}`);
    }
  }

  private array(depth: number): JsonValue {
    const out: JsonValue[] = [];
    this.pos++;
    for (;;) {
      this.space();
      if (this.eat(']')) return out;
      out.push(this.value(depth + 1));
      this.space();
      if (this.eat(']')) return out;
      if (!this.eat(',')) throw new ParseError(`expected ',' or ']' at ${this.pos}`);
    }
  }

  private key(): string {
    const ch = this.text[this.pos];
    if (ch === '"' || ch === "'") return this.string();
    const bare = /^[A-Za-z_][\w-]*/.exec(this.text.slice(this.pos, this.pos + 128));
    if (!bare) throw new ParseError(`expected a key at ${this.pos}`);
    this.pos += bare[0].length;
    return bare[0];
  }

  private string(): string {
    const quote = this.text[this.pos++];
    let out = '';
    for (;;) {
      const ch = this.text[this.pos++];
      if (ch === undefined) throw new ParseError('unterminated string');
      if (ch === quote) return out;
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const esc = this.text[this.pos++];
      if (esc === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.pos, this.pos + 4))) {
        out += String.fromCharCode(parseInt(this.text.slice(this.pos, this.pos + 4), 16));
        this.pos += 4;
      } else if (esc !== undefined && Object.hasOwn(ESCAPES, esc)) {
        out += ESCAPES[esc];
      } else {
        throw new ParseError(`bad escape at ${this.pos - 1}`);
      }
    }
  }

  private space(): void {
    while (/\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }

  private eat(ch: string): boolean {
    if (this.text[this.pos] !== ch) return false;
    this.pos++;
    return true;
  }
}

/** Parses one value starting at `start` (leading whitespace allowed); the rest of the text is ignored. */
export function readRelaxedJson(text: string, start = 0): { ok: true; value: JsonValue; end: number } | { ok: false; reason: string } {
  try {
    const reader = new Reader(text, start);
    const value = reader.value();
    return { ok: true, value, end: reader.pos };
  } catch (err) {
    if (err instanceof ParseError) return { ok: false, reason: err.message };
    throw err;
  }
}

/**
 * The JSON objects embedded in free text, in order of appearance: each "{" not inside an object
 * found earlier is tried as the start of one. Prose, fences and anything after the object are skipped.
 */
export function findJsonObjects(text: string, maxAttempts = 64): { objects: { [key: string]: JsonValue }[]; firstError?: string } {
  const objects: { [key: string]: JsonValue }[] = [];
  let firstError: string | undefined;
  let attempts = 0;
  for (let at = text.indexOf('{'); at >= 0 && attempts < maxAttempts; attempts++) {
    const read = readRelaxedJson(text, at);
    if (read.ok) {
      objects.push(read.value as { [key: string]: JsonValue });
      at = text.indexOf('{', read.end);
    } else {
      firstError ??= read.reason;
      at = text.indexOf('{', at + 1);
    }
  }
  return firstError === undefined ? { objects } : { objects, firstError };
}
