// Config files (YAML or JSON) merged over typed defaults. Every field a user writes must exist in
// the defaults and have the default's type; enumerations and ranges are checked too. Errors name
// the file and the field path (e.g. "run.yaml: field 'inner.lr' must be a number").
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export class ConfigFieldError extends Error {}

export interface FieldRule {
  oneOf?: readonly (string | number)[];
  min?: number;
  max?: number;
  integer?: boolean;
  /** The field may be null (its default's type otherwise). */
  nullable?: boolean;
  /** For arrays: every element must be one of these. */
  eachOf?: readonly string[];
}

export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigFieldError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let value: unknown;
  try {
    value = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigFieldError(`${path}: malformed ${path.endsWith('.json') ? 'JSON' : 'YAML'} (${(err as Error).message.split('\n')[0]})`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigFieldError(`${path}: expected a mapping of fields at the top level`);
  return value as Record<string, unknown>;
}

/**
 * Deep-merges `user` over `defaults`, validating as it goes. `rules` is keyed by field path.
 * Fields whose default is undefined must be listed in `rules` to be accepted (free-form paths).
 */
export function resolveConfig<T>(defaults: T, user: Record<string, unknown>, file: string, rules: Record<string, FieldRule> = {}): T {
  return merge(defaults, user, '', file, rules) as T;
}

function merge(def: unknown, user: unknown, path: string, file: string, rules: Record<string, FieldRule>): unknown {
  const fail = (what: string): never => {
    throw new ConfigFieldError(`${file}: field '${path}' ${what}`);
  };
  const rule = rules[path] ?? {};
  if (user === undefined) return def;
  if (user === null) {
    if (rule.nullable || def === null) return null;
    fail('may not be null');
  }
  if (def !== null && typeof def === 'object' && !Array.isArray(def)) {
    if (typeof user !== 'object' || Array.isArray(user)) fail('must be a mapping');
    const out: Record<string, unknown> = { ...(def as Record<string, unknown>) };
    for (const [key, value] of Object.entries(user as Record<string, unknown>)) {
      const sub = path ? `${path}.${key}` : key;
      if (!(key in (def as object)) && !(sub in rules)) {
        throw new ConfigFieldError(`${file}: unknown field '${sub}' (known: ${Object.keys(def as object).join(', ')})`);
      }
      out[key] = merge((def as Record<string, unknown>)[key], value, sub, file, rules);
    }
    return out;
  }
  const expected = def === null || def === undefined ? null : Array.isArray(def) ? 'list' : typeof def;
  const actual = Array.isArray(user) ? 'list' : typeof user;
  if (expected && actual !== expected) fail(`must be a ${expected === 'object' ? 'mapping' : expected}, got ${JSON.stringify(user)}`);
  if (typeof user === 'number') {
    if (!Number.isFinite(user)) fail('must be a finite number');
    if (rule.integer && !Number.isInteger(user)) fail(`must be an integer, got ${user}`);
    if (rule.min !== undefined && user < rule.min) fail(`must be >= ${rule.min}, got ${user}`);
    if (rule.max !== undefined && user > rule.max) fail(`must be <= ${rule.max}, got ${user}`);
  }
  if (rule.oneOf && !rule.oneOf.includes(user as string | number)) fail(`must be one of ${rule.oneOf.join(', ')}, got ${JSON.stringify(user)}`);
  if (rule.eachOf && Array.isArray(user)) {
    for (const item of user) if (!rule.eachOf.includes(item as string)) fail(`has '${String(item)}', not one of ${rule.eachOf.join(', ')}`);
  }
  return user;
}
