// One mini-ARC task from a rule: demonstrations plus a test example whose answer the
// demonstrations determine, with every grid inside the bounds and no input seen before.
import type { ArcExample, Grid } from '../arc/data.js';
import { gridKey, gridsEqual } from '../arc/grid.js';
import type { Rng } from '../synthetic/people.js';
import type { GridBounds } from './draw.js';
import type { Rule, RuleFamily } from './families.js';

export function withinBounds(g: Grid, bounds: GridBounds): boolean {
  const [h, w] = [g.length, g[0]?.length ?? 0];
  return h >= bounds.minSide && h <= bounds.maxSide && w >= bounds.minSide && w <= bounds.maxSide;
}

/**
 * True when every rule of the family that explains all demonstrations gives the same test output,
 * so the answer is not a guess between rules (e.g. a colour-map test input with a colour no
 * demonstration shows).
 */
export function determinesTest(family: RuleFamily, demonstrations: readonly ArcExample[], test: ArcExample): boolean {
  return family.rules.every((r) =>
    !demonstrations.every((ex) => gridsEqual(r.apply(ex.input), ex.output)) || gridsEqual(r.apply(test.input), test.output));
}

/**
 * `count` examples (the last is the test) for the rule, or null when this draw is unusable: a grid
 * out of bounds, an input repeated or already `used`, an output equal to its input (it would show
 * nothing), or a test the demonstrations do not determine. Callers retry with the advanced rng.
 */
export function drawExamples(
  family: RuleFamily, rule: Rule, rng: Rng, bounds: GridBounds, count: number, used: ReadonlySet<string>,
): ArcExample[] | null {
  const inputs = family.drawInputs(rule, rng, bounds, count);
  const keys = new Set(inputs.map(gridKey));
  if (keys.size < count || [...keys].some((k) => used.has(k))) return null;
  const examples = inputs.map((input) => ({ input, output: rule.apply(input) }));
  const usable = examples.every((ex) => withinBounds(ex.input, bounds) && withinBounds(ex.output, bounds) && !gridsEqual(ex.input, ex.output));
  if (!usable) return null;
  return determinesTest(family, examples.slice(0, -1), examples[count - 1]!) ? examples : null;
}
