// Random input grids for the rule families: noise grids, small connected objects and hollow
// rectangles, all drawn from a seeded Rng so a seed always gives the same grids.
import type { Grid } from '../arc/data.js';
import type { Rng } from '../synthetic/people.js';
import { STEP } from './grid-ops.js';

/** Every grid of the benchmark, input or output, has both sides in [minSide, maxSide]. */
export interface GridBounds {
  minSide: number;
  maxSide: number;
}

/** Uniform integer in [lo, hi]. */
export function between(rng: Rng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}

/** `count` distinct colours 1-9 not in `exclude`. */
export function pickColours(rng: Rng, count: number, exclude: readonly number[] = []): number[] {
  return rng.sample([1, 2, 3, 4, 5, 6, 7, 8, 9].filter((c) => !exclude.includes(c)), count);
}

/** Each cell non-zero with probability `density`, its colour uniform over `colours`. */
export function noiseGrid(rng: Rng, height: number, width: number, colours: readonly number[], density: number): Grid {
  return Array.from({ length: height }, () =>
    Array.from({ length: width }, () => (rng.chance(density) ? rng.pick(colours) : 0)));
}

export type Cell = readonly [number, number];

/**
 * A 4-connected shape of `size` cells inside a boxHeight × boxWidth box, grown cell by cell from a
 * random start; cells relative to its bounding box's top-left corner.
 */
export function randomShape(rng: Rng, size: number, boxHeight: number, boxWidth: number): Cell[] {
  const cells: Cell[] = [[rng.int(boxHeight), rng.int(boxWidth)]];
  const has = (r: number, c: number) => cells.some(([a, b]) => a === r && b === c);
  while (cells.length < Math.min(size, boxHeight * boxWidth)) {
    const frontier = cells.flatMap(([r, c]) => Object.values(STEP).map(([dr, dc]) => [r + dr, c + dc] as const))
      .filter(([r, c]) => r >= 0 && r < boxHeight && c >= 0 && c < boxWidth && !has(r, c));
    cells.push(rng.pick(frontier));
  }
  const top = Math.min(...cells.map(([r]) => r));
  const left = Math.min(...cells.map(([, c]) => c));
  return cells.map(([r, c]) => [r - top, c - left] as const);
}

/** Height and width of a shape's bounding box. */
export function shapeSize(cells: readonly Cell[]): [number, number] {
  return [Math.max(...cells.map(([r]) => r)) + 1, Math.max(...cells.map(([, c]) => c)) + 1];
}

/** The region where objects may be placed: rows [top, bottom] and columns [left, right], inclusive. */
export interface Region {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/**
 * Paints `cells` at a random free position inside `region` such that no painted cell touches an
 * existing non-zero cell, even diagonally (objects stay separate). Returns false when no try fits.
 */
export function placeApart(rng: Rng, grid: Grid, cells: readonly Cell[], colour: number, region: Region, tries = 30): boolean {
  const [h, w] = shapeSize(cells);
  const rows = region.bottom - region.top - h + 2;
  const cols = region.right - region.left - w + 2;
  if (rows <= 0 || cols <= 0) return false;
  for (let t = 0; t < tries; t++) {
    const [top, left] = [region.top + rng.int(rows), region.left + rng.int(cols)];
    const clear = cells.every(([r, c]) => neighbourhoodIsEmpty(grid, top + r, left + c));
    if (!clear) continue;
    for (const [r, c] of cells) grid[top + r]![left + c] = colour;
    return true;
  }
  return false;
}

function neighbourhoodIsEmpty(grid: Grid, r: number, c: number): boolean {
  for (let dr = -1; dr <= 1; dr++) {
    for (let dc = -1; dc <= 1; dc++) if ((grid[r + dr]?.[c + dc] ?? 0) !== 0) return false;
  }
  return true;
}

/** The outline cells of an h × w rectangle (h, w ≥ 3), relative to its top-left corner. */
export function rectangleOutline(h: number, w: number): Cell[] {
  const cells: Cell[] = [];
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) if (r === 0 || r === h - 1 || c === 0 || c === w - 1) cells.push([r, c]);
  }
  return cells;
}
