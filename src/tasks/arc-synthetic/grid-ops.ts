// The transformations behind the mini-ARC rules, as pure grid → grid functions. Rotations and
// flips reuse arc/grid.ts (the code the augmenters are built from); this adds what the rules need
// beyond augmentation: moving content, gravity, flood fill, block scaling and tiling.
import type { Grid } from '../arc/data.js';
import * as G from '../arc/grid.js';

export const DIRECTIONS = ['up', 'down', 'left', 'right'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** Row and column step of one move in each direction. */
export const STEP: Record<Direction, readonly [number, number]> = { up: [-1, 0], down: [1, 0], left: [0, -1], right: [0, 1] };

export function isVertical(direction: Direction): boolean {
  return direction === 'up' || direction === 'down';
}

/** The seven non-identity symmetries of the square, named like the augmenters that perform them. */
export const GEOMETRIC_OPS = ['Rotate(90)', 'Rotate(180)', 'Rotate(270)', 'Flip(0)', 'Flip(1)', 'Transpose()', 'AntiTranspose()'] as const;
export type GeometricOp = (typeof GEOMETRIC_OPS)[number];

export const GEOMETRIC_APPLY: Record<GeometricOp, (g: Grid) => Grid> = {
  'Rotate(90)': G.rotate90,
  'Rotate(180)': G.rotate180,
  'Rotate(270)': G.rotate270,
  'Flip(0)': G.flipRows,
  'Flip(1)': G.flipColumns,
  'Transpose()': G.transpose,
  // Reflection in the other diagonal; no augmenter performs it, so it is a rule TTT cannot mimic.
  'AntiTranspose()': (g) => G.rotate180(G.transpose(g)),
};

export function blankGrid(height: number, width: number): Grid {
  return Array.from({ length: height }, () => new Array<number>(width).fill(0));
}

/** Every cell moved `distance` steps; content pushed off the grid is lost, vacated cells become 0. */
export function shiftContent(g: Grid, direction: Direction, distance: number): Grid {
  const [dr, dc] = STEP[direction];
  const out = blankGrid(G.height(g), G.width(g));
  g.forEach((row, r) => row.forEach((cell, c) => {
    const [tr, tc] = [r + dr * distance, c + dc * distance];
    if (cell !== 0 && tr >= 0 && tr < out.length && tc >= 0 && tc < row.length) out[tr]![tc] = cell;
  }));
  return out;
}

/** Non-zero cells slide towards `direction` as far as they go, keeping their order along each line. */
export function gravity(g: Grid, direction: Direction): Grid {
  // Work on rows: a vertical fall is a horizontal one of the transposed grid.
  const rows = isVertical(direction) ? G.transpose(g) : g;
  const towardsEnd = direction === 'down' || direction === 'right';
  const packed = rows.map((row) => {
    const cells = row.filter((c) => c !== 0);
    const gap = new Array<number>(row.length - cells.length).fill(0);
    return towardsEnd ? [...gap, ...cells] : [...cells, ...gap];
  });
  return isVertical(direction) ? G.transpose(packed) : packed;
}

/** Background (0) cells that no 4-connected path of background joins to the border become `colour`. */
export function fillEnclosed(g: Grid, colour: number): Grid {
  const [h, w] = [G.height(g), G.width(g)];
  const outside = g.map((row) => row.map(() => false));
  const stack: [number, number][] = [];
  const visit = (r: number, c: number) => {
    if (r < 0 || r >= h || c < 0 || c >= w || outside[r]![c] || g[r]![c] !== 0) return;
    outside[r]![c] = true;
    stack.push([r, c]);
  };
  for (let r = 0; r < h; r++) {
    visit(r, 0);
    visit(r, w - 1);
  }
  for (let c = 0; c < w; c++) {
    visit(0, c);
    visit(h - 1, c);
  }
  while (stack.length > 0) {
    const [r, c] = stack.pop()!;
    for (const [dr, dc] of Object.values(STEP)) visit(r + dr, c + dc);
  }
  return g.map((row, r) => row.map((cell, c) => (cell === 0 && !outside[r]![c] ? colour : cell)));
}

/** Every cell becomes a down × across block. */
export function scaleUp(g: Grid, down: number, across: number): Grid {
  return G.repeatColumns(G.repeatRows(g, down), across);
}

/** down × across copies of the grid. */
export function tile(g: Grid, down: number, across: number): Grid {
  const column = G.stackRows(...Array.from({ length: down }, () => g));
  return G.stackColumns(...Array.from({ length: across }, () => column));
}

/** Colours replaced by `map` (pairs from → to); other colours stay. */
export function recolour(g: Grid, map: readonly (readonly [number, number])[]): Grid {
  const table: (number | undefined)[] = [];
  for (const [from, to] of map) table[from] = to;
  return G.mapColors(g, table);
}
