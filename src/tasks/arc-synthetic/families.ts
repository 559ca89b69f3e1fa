// The mini-ARC rule families. A family is a finite set of parameterised rules (a Rule = one
// parameter choice) plus an input generator. Each rule declares what test-time training cares about:
// the spatial maps it commutes with (so which augmenters keep it, symmetry.ts) and whether it is
// colour-blind (PermuteColors, which TTT applies to every task once any augmenter group is on,
// turns a colour-specific rule into another one). The tests check every declaration on real pairs.
import type { Grid } from '../arc/data.js';
import type { Rng } from '../synthetic/people.js';
import {
  between, noiseGrid, pickColours, placeApart, randomShape, rectangleOutline, type GridBounds, type Region,
} from './draw.js';
import {
  DIRECTIONS, GEOMETRIC_APPLY, GEOMETRIC_OPS, blankGrid, fillEnclosed, gravity, isVertical, recolour, scaleUp, shiftContent, tile,
  type Direction, type GeometricOp,
} from './grid-ops.js';
import { SPATIAL_MAPS, type SpatialMap } from './symmetry.js';

export const FAMILY_NAMES = ['geometric', 'colour-map', 'scale-up', 'tiling', 'gravity', 'object-move', 'fill-enclosed'] as const;
export type FamilyName = (typeof FAMILY_NAMES)[number];

export type RuleParams =
  | { family: 'geometric'; op: GeometricOp }
  | { family: 'colour-map'; map: [number, number][] }
  | { family: 'scale-up'; down: number; across: number }
  | { family: 'tiling'; down: number; across: number }
  | { family: 'gravity'; direction: Direction }
  | { family: 'object-move'; direction: Direction; distance: number }
  | { family: 'fill-enclosed'; colour: number };

export interface Rule {
  readonly params: RuleParams;
  /** Unique over all families, e.g. "gravity(down)": equal keys are the same rule. */
  readonly key: string;
  readonly description: string;
  apply(grid: Grid): Grid;
  /** The spatial maps the rule commutes with on its family's inputs. */
  readonly preserves: ReadonlySet<SpatialMap>;
  /** Kept by every recolouring that fixes 0 (true for rules that never look at which colour a cell has). */
  readonly colourBlind: boolean;
}

export interface RuleFamily {
  readonly name: FamilyName;
  readonly description: string;
  /** Every rule of the family whatever the bounds: a task's demonstrations are checked against all. */
  readonly rules: readonly Rule[];
  /** Can the rule have inputs and outputs inside the bounds? */
  fits(rule: Rule, bounds: GridBounds): boolean;
  /** `count` inputs of one task (shared palette and style), outputs inside the bounds; only when `fits`. */
  drawInputs(rule: Rule, rng: Rng, bounds: GridBounds, count: number): Grid[];
}

interface FamilySpec<P extends RuleParams> {
  name: P['family'];
  description: string;
  params: P[];
  key(p: P): string;
  describe(p: P): string;
  apply(p: P, g: Grid): Grid;
  preserves(p: P): readonly SpatialMap[];
  colourBlind: boolean;
  fits(p: P, b: GridBounds): boolean;
  drawInputs(p: P, rng: Rng, b: GridBounds, count: number): Grid[];
}

function defineFamily<P extends RuleParams>(spec: FamilySpec<P>): RuleFamily {
  // Rules are built here, so a rule's params always have this family's type.
  const paramsOf = (rule: Rule) => rule.params as P;
  return {
    name: spec.name,
    description: spec.description,
    rules: spec.params.map((p) => ({
      params: p,
      key: `${spec.name}(${spec.key(p)})`,
      description: spec.describe(p),
      apply: (g: Grid) => spec.apply(p, g),
      preserves: new Set(spec.preserves(p)),
      colourBlind: spec.colourBlind,
    })),
    fits: (rule, bounds) => spec.fits(paramsOf(rule), bounds),
    drawInputs: (rule, rng, bounds, count) => spec.drawInputs(paramsOf(rule), rng, bounds, count),
  };
}

const repeatDraw = (count: number, draw: () => Grid): Grid[] => Array.from({ length: count }, draw);
const uniform = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * rng.float();

// Spatial maps by how they treat the axes: maps that keep rows as rows commute with more rules.
const AXIS_SWAPPING: SpatialMap[] = ['Rotate(90)', 'Rotate(270)', 'Transpose()'];
const SCALINGS: SpatialMap[] = ['IncreaseResolution', 'IncreaseHeight', 'IncreaseWidth'];
const REPEATS: SpatialMap[] = ['Repeat(0)', 'Repeat(1)', 'Repeat(2)'];

// ---- geometric: a symmetry of the square -------------------------------------------------------

/** The symmetries each op commutes with (the centre of the square's group is Rotate(180)). */
const COMMUTING_SYMMETRIES: Record<GeometricOp, SpatialMap[]> = {
  'Rotate(90)': ['Rotate(90)', 'Rotate(180)', 'Rotate(270)'],
  'Rotate(270)': ['Rotate(90)', 'Rotate(180)', 'Rotate(270)'],
  'Rotate(180)': ['Rotate(90)', 'Rotate(180)', 'Rotate(270)', 'Flip(0)', 'Flip(1)', 'Transpose()'],
  'Flip(0)': ['Flip(0)', 'Flip(1)', 'Rotate(180)'],
  'Flip(1)': ['Flip(0)', 'Flip(1)', 'Rotate(180)'],
  'Transpose()': ['Transpose()', 'Rotate(180)'],
  'AntiTranspose()': ['Transpose()', 'Rotate(180)'],
};

const GEOMETRIC_WORDS: Record<GeometricOp, string> = {
  'Rotate(90)': 'rotate 90° anticlockwise',
  'Rotate(180)': 'rotate 180°',
  'Rotate(270)': 'rotate 90° clockwise',
  'Flip(0)': 'flip upside down',
  'Flip(1)': 'mirror left to right',
  'Transpose()': 'reflect in the main diagonal',
  'AntiTranspose()': 'reflect in the anti-diagonal',
};

const geometric = defineFamily<{ family: 'geometric'; op: GeometricOp }>({
  name: 'geometric',
  description: 'the grid rotated, flipped or reflected in a diagonal',
  params: GEOMETRIC_OPS.map((op) => ({ family: 'geometric', op })),
  key: (p) => p.op,
  describe: (p) => GEOMETRIC_WORDS[p.op],
  apply: (p, g) => GEOMETRIC_APPLY[p.op](g),
  preserves(p) {
    const keepsAxes = p.op === 'Rotate(180)' || p.op === 'Flip(0)' || p.op === 'Flip(1)';
    // [g; flip(g)] stacks along the axis Flip(0) reverses, so it commutes with the other flip only.
    const reflect: SpatialMap[] = p.op === 'Flip(1)' ? ['Reflect(0)'] : p.op === 'Flip(0)' ? ['Reflect(1)'] : [];
    const axisBound: SpatialMap[] = keepsAxes ? ['IncreaseHeight', 'IncreaseWidth', 'Repeat(0)', 'Repeat(1)'] : [];
    return [...COMMUTING_SYMMETRIES[p.op], ...reflect, 'IncreaseResolution', 'Repeat(2)', ...axisBound];
  },
  colourBlind: true,
  fits: () => true,
  drawInputs(_p, rng, b, count) {
    const colours = pickColours(rng, between(rng, 2, 4));
    const density = uniform(rng, 0.35, 0.8);
    return repeatDraw(count, () => noiseGrid(rng, between(rng, b.minSide, b.maxSide), between(rng, b.minSide, b.maxSide), colours, density));
  },
});

// ---- colour-map: some colours replaced ---------------------------------------------------------

/** One or two colours, each sent to another colour (distinct targets; swaps included). */
function colourMaps(): [number, number][][] {
  const colours = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  const maps: [number, number][][] = [];
  for (const a of colours) for (const x of colours) if (x !== a) maps.push([[a, x]]);
  for (const a of colours) {
    for (const b of colours.filter((c) => c > a)) {
      for (const x of colours.filter((c) => c !== a)) {
        for (const y of colours.filter((c) => c !== b && c !== x)) maps.push([[a, x], [b, y]]);
      }
    }
  }
  return maps;
}

const colourMap = defineFamily<{ family: 'colour-map'; map: [number, number][] }>({
  name: 'colour-map',
  description: 'one or two colours replaced by others, everything else unchanged',
  params: colourMaps().map((map) => ({ family: 'colour-map', map })),
  key: (p) => p.map.map(([a, x]) => `${a}>${x}`).join(','),
  describe: (p) => p.map.map(([a, x]) => `colour ${a} becomes ${x}`).join(', '),
  apply: (p, g) => recolour(g, p.map),
  // Cell by cell, so every rearrangement of cells commutes with it.
  preserves: () => SPATIAL_MAPS,
  colourBlind: false,
  fits: () => true,
  drawInputs(p, rng, b, count) {
    const sources = p.map.map(([a]) => a);
    const palette = [...sources, ...pickColours(rng, between(rng, 1, 2), sources)];
    const density = uniform(rng, 0.5, 0.9);
    return repeatDraw(count, () => {
      const g = noiseGrid(rng, between(rng, b.minSide, b.maxSide), between(rng, b.minSide, b.maxSide), palette, density);
      // Every source colour in every input, so each demonstration shows the whole map.
      const cells = g.flatMap((row, r) => row.map((_, c) => [r, c] as const));
      const spots = rng.sample(cells, sources.length);
      sources.forEach((colour, i) => {
        if (!g.some((row) => row.includes(colour))) g[spots[i]![0]]![spots[i]![1]] = colour;
      });
      return g;
    });
  },
});

// ---- scale-up and tiling: the output is a down × across enlargement ------------------------------

const ENLARGEMENTS = [1, 2, 3].flatMap((down) => [1, 2, 3].map((across) => ({ down, across }))).filter((f) => f.down * f.across > 1);

const enlargementFits = (p: { down: number; across: number }, b: GridBounds) =>
  p.down * b.minSide <= b.maxSide && p.across * b.minSide <= b.maxSide;

function enlargementInputs(p: { down: number; across: number }, rng: Rng, b: GridBounds, count: number): Grid[] {
  const colours = pickColours(rng, between(rng, 2, 3));
  const density = uniform(rng, 0.4, 0.9);
  const side = (factor: number) => between(rng, b.minSide, Math.floor(b.maxSide / factor));
  return repeatDraw(count, () => noiseGrid(rng, side(p.down), side(p.across), colours, density));
}

/** Both enlargements commute with flips, Rotate(180), scalings and repeats; with axis swaps only when square. */
function enlargementPreserves(p: { down: number; across: number }): SpatialMap[] {
  const square = p.down === p.across ? AXIS_SWAPPING : [];
  return ['Flip(0)', 'Flip(1)', 'Rotate(180)', ...square, ...SCALINGS, ...REPEATS];
}

const scale = defineFamily<{ family: 'scale-up'; down: number; across: number }>({
  name: 'scale-up',
  description: 'every cell becomes a block of down × across cells',
  params: ENLARGEMENTS.map((f) => ({ family: 'scale-up', ...f })),
  key: (p) => `${p.down}x${p.across}`,
  describe: (p) => `every cell becomes a ${p.down} × ${p.across} block`,
  apply: (p, g) => scaleUp(g, p.down, p.across),
  // Scaling [g; mirror(g)] scales each half, and mirrors commute with scaling.
  preserves: (p) => [...enlargementPreserves(p), 'Reflect(0)', 'Reflect(1)'],
  colourBlind: true,
  fits: enlargementFits,
  drawInputs: enlargementInputs,
});

const tiling = defineFamily<{ family: 'tiling'; down: number; across: number }>({
  name: 'tiling',
  description: 'the grid repeated down × across times',
  params: ENLARGEMENTS.map((f) => ({ family: 'tiling', ...f })),
  key: (p) => `${p.down}x${p.across}`,
  describe: (p) => `the grid tiled ${p.down} × ${p.across}`,
  apply: (p, g) => tile(g, p.down, p.across),
  // Tiling [g; mirror(g)] vertically interleaves copies and mirrors; side by side it does not.
  preserves: (p) => [...enlargementPreserves(p), ...(p.down === 1 ? ['Reflect(0)' as const] : []), ...(p.across === 1 ? ['Reflect(1)' as const] : [])],
  colourBlind: true,
  fits: enlargementFits,
  drawInputs: enlargementInputs,
});

// ---- gravity: everything falls one way -----------------------------------------------------------

const gravityFamily = defineFamily<{ family: 'gravity'; direction: Direction }>({
  name: 'gravity',
  description: 'every coloured cell falls as far as it can in one direction',
  params: DIRECTIONS.map((direction) => ({ family: 'gravity', direction })),
  key: (p) => p.direction,
  describe: (p) => `everything falls ${p.direction}`,
  apply: (p, g) => gravity(g, p.direction),
  // Lines along the fall are independent: maps that keep each such line whole (or stretch it
  // evenly) commute; reversing or stacking along the fall does not.
  preserves: (p) => (isVertical(p.direction)
    ? ['Flip(1)', 'Reflect(1)', 'Repeat(1)', ...SCALINGS]
    : ['Flip(0)', 'Reflect(0)', 'Repeat(0)', ...SCALINGS]),
  colourBlind: true,
  fits: () => true,
  drawInputs(_p, rng, b, count) {
    const colours = pickColours(rng, between(rng, 1, 3));
    const density = uniform(rng, 0.15, 0.45);
    return repeatDraw(count, () => noiseGrid(rng, between(rng, b.minSide, b.maxSide), between(rng, b.minSide, b.maxSide), colours, density));
  },
});

// ---- object-move: every object shifted by a fixed distance -------------------------------------------

const objectMove = defineFamily<{ family: 'object-move'; direction: Direction; distance: number }>({
  name: 'object-move',
  description: 'every object moves a fixed number of cells in one direction',
  params: DIRECTIONS.flatMap((direction) => [1, 2].map((distance) => ({ family: 'object-move' as const, direction, distance }))),
  key: (p) => `${p.direction},${p.distance}`,
  describe: (p) => `every object moves ${p.distance} cell${p.distance > 1 ? 's' : ''} ${p.direction}`,
  apply: (p, g) => shiftContent(g, p.direction, p.distance),
  // Objects never leave their copy (inputs keep `distance` free cells ahead of them), so repeats
  // commute; a scaling along the move doubles the distance.
  preserves: (p) => (isVertical(p.direction)
    ? ['Flip(1)', 'Reflect(1)', 'IncreaseWidth', ...REPEATS]
    : ['Flip(0)', 'Reflect(0)', 'IncreaseHeight', ...REPEATS]),
  colourBlind: true,
  fits: (p, b) => b.maxSide >= p.distance + 2,
  drawInputs(p, rng, b, count) {
    const colours = pickColours(rng, between(rng, 1, 3));
    return repeatDraw(count, () => objectGrid(p.direction, p.distance, rng, b, colours));
  },
});

/** One to three separate objects with `distance` free cells ahead of each in the move direction. */
function objectGrid(direction: Direction, distance: number, rng: Rng, b: GridBounds, colours: readonly number[]): Grid {
  const lo = Math.max(b.minSide, distance + 2);
  const [h, w] = [between(rng, lo, b.maxSide), between(rng, lo, b.maxSide)];
  const g = blankGrid(h, w);
  const region: Region = {
    top: direction === 'up' ? distance : 0,
    bottom: h - 1 - (direction === 'down' ? distance : 0),
    left: direction === 'left' ? distance : 0,
    right: w - 1 - (direction === 'right' ? distance : 0),
  };
  const [boxH, boxW] = [Math.min(3, region.bottom - region.top + 1), Math.min(3, region.right - region.left + 1)];
  const objects = between(rng, 1, 3);
  for (let i = 0; i < objects; i++) {
    // A 1 × 1 box would give a one-cell object: a one-row box is at least two wide (the region is ≥ 2 × 3).
    const shapeH = between(rng, 1, boxH);
    const shape = randomShape(rng, between(rng, 2, 5), shapeH, between(rng, shapeH === 1 ? 2 : 1, boxW));
    // The first object always fits (the grid is empty and the box inside the region).
    if (!placeApart(rng, g, shape, rng.pick(colours), region) && i === 0) throw new Error('object-move: first object did not fit');
  }
  return g;
}

// ---- fill-enclosed: closed outlines get filled -------------------------------------------------------

const fillEnclosedFamily = defineFamily<{ family: 'fill-enclosed'; colour: number }>({
  name: 'fill-enclosed',
  description: 'background cells enclosed by an outline are filled with one colour',
  params: [1, 2, 3, 4, 5, 6, 7, 8, 9].map((colour) => ({ family: 'fill-enclosed', colour })),
  key: (p) => String(p.colour),
  describe: (p) => `enclosed background becomes colour ${p.colour}`,
  apply: (p, g) => fillEnclosed(g, p.colour),
  // Rectangles keep a free margin to the border and to each other, so rotating, mirroring,
  // scaling or repeating the grid never opens or closes one.
  preserves: () => SPATIAL_MAPS,
  colourBlind: false,
  // A 5 × 5 grid holds a single 3 × 3 rectangle in one place: too few distinct inputs for a task.
  fits: (_p, b) => b.maxSide >= 6,
  drawInputs(p, rng, b, count) {
    const outlines = pickColours(rng, between(rng, 1, 3), [p.colour]);
    return repeatDraw(count, () => rectanglesGrid(rng, b, outlines));
  },
});

/** Hollow rectangles and stray cells with a free margin; the first rectangle is closed, later ones may have a gap. */
function rectanglesGrid(rng: Rng, b: GridBounds, colours: readonly number[]): Grid {
  const [h, w] = [between(rng, Math.max(b.minSide, 5), b.maxSide), between(rng, Math.max(b.minSide, 5), b.maxSide)];
  const g = blankGrid(h, w);
  const inner: Region = { top: 1, bottom: h - 2, left: 1, right: w - 2 };
  const rectangles = between(rng, 1, 3);
  for (let i = 0; i < rectangles; i++) {
    // At most 5 × 5, so no rectangle can hold another one with its margin.
    let outline = rectangleOutline(between(rng, 3, Math.min(5, h - 2)), between(rng, 3, Math.min(5, w - 2)));
    if (i > 0 && rng.chance(0.4)) {
      const [oh, ow] = [Math.max(...outline.map(([r]) => r)), Math.max(...outline.map(([, c]) => c))];
      const sides = outline.filter(([r, c]) => (r === 0 || r === oh) !== (c === 0 || c === ow));
      const gap = rng.pick(sides);
      outline = outline.filter((cell) => cell !== gap);
    }
    if (!placeApart(rng, g, outline, rng.pick(colours), inner) && i === 0) throw new Error('fill-enclosed: first rectangle did not fit');
  }
  // Separate single cells: distractors that enclose nothing (and vary small grids).
  const strays = between(rng, 0, 3);
  for (let i = 0; i < strays; i++) placeApart(rng, g, [[0, 0]], rng.pick(colours), inner);
  return g;
}

export const FAMILIES: Record<FamilyName, RuleFamily> = {
  geometric,
  'colour-map': colourMap,
  'scale-up': scale,
  tiling,
  gravity: gravityFamily,
  'object-move': objectMove,
  'fill-enclosed': fillEnclosedFamily,
};

/** The family a rule belongs to. */
export function familyOf(rule: Rule): RuleFamily {
  return FAMILIES[rule.params.family];
}
