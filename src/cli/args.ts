// Shared command-line parsing: node:util's parseArgs with errors that name the flag.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { DEFAULT_MODEL_DIR } from '../config/paths.js';

export class UsageError extends Error {}

type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
type FlagValues<T extends FlagSpec> = {
  [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : T[K]['multiple'] extends true ? string[] : string;
};

export function parse<T extends FlagSpec>(argv: string[], options: T, usage: string): { values: FlagValues<T>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as FlagValues<T>, positionals };
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage}`);
  }
}

export function numberFlag(value: string | undefined, flag: string, fallback: number, { integer = false, min = -Infinity } = {}): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min) {
    throw new UsageError(`--${flag} must be ${integer ? 'an integer' : 'a number'}${min > -Infinity ? ` >= ${min}` : ''}, got '${value}'`);
  }
  return n;
}

export function modelDir(flag: string | undefined): string {
  if (flag) return flag;
  if (existsSync(DEFAULT_MODEL_DIR)) return DEFAULT_MODEL_DIR;
  throw new UsageError('--model DIR is required (no default model is installed)');
}
