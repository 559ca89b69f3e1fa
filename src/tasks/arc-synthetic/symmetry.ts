// Which test-time-training augmenters keep a rule intact. augment.ts applies an augmenter A to the
// inputs and the outputs of a task alike, so an augmented pair (A x, A y) with y = R x still follows
// R exactly when R commutes with A on the rule's inputs. Otherwise the augmented task follows another
// rule, A R A⁻¹ ("move right" under Rotate(90) becomes "move up"): consistent within the task, so a
// model that reads its context can use it, but contradictory training data for one that cannot.
import { AUGMENTER_GROUPS, AUGMENTER_GROUP_NAMES, type AugmenterGroupName } from '../arc/augment.js';

/**
 * The spatial maps the augmenters of the four groups are built from, without sizes or the reverse
 * flag (Reflect(0, reverse=True) and Reflect(0, reverse=False) commute with the same rules).
 * RandomTranslateXY is not one of them: it shifts inputs and outputs by different amounts, so it
 * keeps no rule.
 */
export const SPATIAL_MAPS = [
  'Rotate(90)', 'Rotate(180)', 'Rotate(270)', 'Flip(0)', 'Flip(1)', 'Transpose()',
  'Reflect(0)', 'Reflect(1)', 'IncreaseResolution', 'IncreaseHeight', 'IncreaseWidth', 'Repeat(0)', 'Repeat(1)', 'Repeat(2)',
] as const;
export type SpatialMap = (typeof SPATIAL_MAPS)[number];

/** The spatial maps an augmenter (by its official name) applies, or null when it is not made of them. */
export function spatialMapsOf(augmenterName: string): SpatialMap[] | null {
  const chain = /^Chain\(\[(.*)\]\)$/.exec(augmenterName);
  if (chain) {
    const parts = splitTopLevel(chain[1]!).map(spatialMapsOf);
    return parts.every((p) => p !== null) ? parts.flat() : null;
  }
  const axis = /^(Reflect|Repeat)\((\d)/.exec(augmenterName);
  const name = axis ? `${axis[1]}(${axis[2]})` : augmenterName.replace(/^(Increase(?:Resolution|Height|Width))\(.*\)$/, '$1');
  return (SPATIAL_MAPS as readonly string[]).includes(name) ? [name as SpatialMap] : null;
}

/** Splits "a(1, 2), b" at the commas outside brackets. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if ('([{'.includes(text[i]!)) depth++;
    else if (')]}'.includes(text[i]!)) depth--;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

/** Does the augmenter keep a rule that commutes with exactly the maps in `preserved`? */
export function keepsRule(preserved: ReadonlySet<SpatialMap>, augmenterName: string): boolean {
  const maps = spatialMapsOf(augmenterName);
  return maps !== null && maps.every((m) => preserved.has(m));
}

export interface GroupPreservation {
  /** Names of the group's augmenters that keep the rule. */
  keeping: string[];
  /** Names of those that turn it into another rule. */
  breaking: string[];
}

/** Per self-edit tool group (arc.md §4.3), which of its augmenters keep the rule. */
export function groupPreservation(preserved: ReadonlySet<SpatialMap>): Record<AugmenterGroupName, GroupPreservation> {
  const out = {} as Record<AugmenterGroupName, GroupPreservation>;
  for (const group of AUGMENTER_GROUP_NAMES) {
    const names = AUGMENTER_GROUPS[group].map((a) => a.name);
    out[group] = { keeping: names.filter((n) => keepsRule(preserved, n)), breaking: names.filter((n) => !keepsRule(preserved, n)) };
  }
  return out;
}
