// A run directory: the resolved config, an append-only JSONL log of every finished unit of work
// (inner loops, samples, baselines), checkpoints, and summary.json. Killing the process at any
// moment loses at most the unit in progress: rerunning the same command finds the directory (its
// name is derived from the config), reads the log and skips what is done.
import { createHash } from 'node:crypto';
import {
  closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';

export interface LogEntry {
  key: string;
  [field: string]: unknown;
}

/** What a run's inner loops cost, summed over its log. */
export interface ComputeTotals {
  innerLoops: number;
  tokensTrained: number;
  tokensGenerated: number;
  innerSeconds: number;
}

export function computeTotals(entries: Iterable<LogEntry>): ComputeTotals {
  const t: ComputeTotals = { innerLoops: 0, tokensTrained: 0, tokensGenerated: 0, innerSeconds: 0 };
  for (const e of entries) {
    if (typeof e.tokensTrained !== 'number') continue;
    t.innerLoops++;
    t.tokensTrained += e.tokensTrained;
    t.tokensGenerated += (e.tokensGenerated as number) ?? 0;
    t.innerSeconds += (e.seconds as number) ?? 0;
  }
  return t;
}

export class RunDir {
  private readonly done = new Map<string, LogEntry>();
  readonly logPath: string;

  private constructor(readonly dir: string, readonly resumed: boolean) {
    this.logPath = join(dir, 'log.jsonl');
    if (existsSync(this.logPath)) this.readLog();
  }

  /**
   * The run directory for `config` under `root`: `<name>-<hash of the config>`. The same config finds
   * the same directory again, and its log: an unfinished run resumes, a finished one is only
   * re-summarised. `fresh` starts a new directory (`-2`, `-3` ...) instead; no run ever writes into
   * another config's directory.
   */
  static open(root: string, name: string, config: unknown, { fresh = false } = {}): RunDir {
    const hash = createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 8);
    const base = `${name}-${hash}`;
    for (let n = 1; ; n++) {
      const dir = join(root, n === 1 ? base : `${base}-${n}`);
      if (!existsSync(dir)) {
        mkdirSync(dir, { recursive: true });
        const run = new RunDir(dir, false);
        run.writeJson('config.json', config);
        return run;
      }
      if (!fresh) return new RunDir(dir, true);
    }
  }

  /** An existing run directory (for reports). */
  static at(dir: string): RunDir {
    if (!existsSync(join(dir, 'config.json'))) throw new Error(`${dir}: not a run directory (no config.json)`);
    return new RunDir(dir, true);
  }

  private readLog(): void {
    let text = readFileSync(this.logPath, 'utf8');
    // A kill mid-write can leave a partial last line: drop it so the next append starts clean.
    if (text.length && !text.endsWith('\n')) {
      const keep = text.lastIndexOf('\n') + 1;
      truncateSync(this.logPath, Buffer.byteLength(text.slice(0, keep)));
      text = text.slice(0, keep);
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      const entry = JSON.parse(line) as LogEntry;
      this.done.set(entry.key, entry);
    }
  }

  has(key: string): boolean {
    return this.done.has(key);
  }

  get<T extends { key: string } = LogEntry>(key: string): T | undefined {
    return this.done.get(key) as T | undefined;
  }

  entries(prefix = ''): LogEntry[] {
    return [...this.done.values()].filter((e) => e.key.startsWith(prefix));
  }

  /** Appends one entry and forces it to disk before returning. */
  append(entry: { key: string; [field: string]: unknown }): void {
    const fd = openSync(this.logPath, 'a');
    try {
      writeSync(fd, `${JSON.stringify(entry)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.done.set(entry.key, entry);
  }

  /** The logged entry for `key`, or compute, log and return it. */
  async once<T extends { key: string }>(key: string, compute: () => Promise<Omit<T, 'key'>> | Omit<T, 'key'>): Promise<T> {
    const existing = this.get<T>(key);
    if (existing) return existing;
    const entry = { key, ...(await compute()) } as T;
    this.append(entry);
    return entry;
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** Writes JSON atomically (temporary file, then rename). */
  writeJson(name: string, value: unknown): void {
    const target = join(this.dir, name);
    const tmp = `${target}.tmp`;
    writeFileSync(tmp, JSON.stringify(value, null, 2));
    renameSync(tmp, target);
  }

  readJson<T>(name: string): T | null {
    const p = join(this.dir, name);
    return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as T) : null;
  }

  /**
   * Writes a directory atomically: `write` fills a temporary directory, which is then renamed into
   * place, so a checkpoint either exists whole or not at all.
   */
  writeDir(name: string, write: (tmpDir: string) => void): string {
    const target = join(this.dir, name);
    const tmp = `${target}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    write(tmp);
    if (existsSync(target)) rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
    return target;
  }

  hasDir(name: string): boolean {
    const p = join(this.dir, name);
    return existsSync(p) && statSync(p).isDirectory();
  }
}
