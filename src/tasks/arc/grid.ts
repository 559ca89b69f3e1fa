// Pure grid operations the augmenters are built from (spec arc.md §4.2 gives each one's NumPy
// semantics). Every function returns a new grid and never mutates its argument.
import type { Grid } from './data.js';

export function height(grid: Grid): number {
  return grid.length;
}

export function width(grid: Grid): number {
  return grid[0]?.length ?? 0;
}

// Each operation has its own loops rather than one shared builder taking a per-cell callback:
// a shared call site sees many callbacks, V8 stops inlining them, and augmentation gets several
// times slower.

/** np.rot90(grid, k=1): 90° counter-clockwise, out[i][j] = in[j][W−1−i]. */
export function rotate90(g: Grid): Grid {
  const h = height(g);
  const w = width(g);
  const out: Grid = [];
  for (let i = 0; i < w; i++) {
    const row: number[] = [];
    for (let j = 0; j < h; j++) row.push(g[j]![w - 1 - i]!);
    out.push(row);
  }
  return out;
}

/** out[i][j] = in[H−1−i][W−1−j]. */
export function rotate180(g: Grid): Grid {
  return g.map((_, i) => g[g.length - 1 - i]!.slice().reverse());
}

/** np.rot90(grid, k=3): 90° clockwise, out[i][j] = in[H−1−j][i]. */
export function rotate270(g: Grid): Grid {
  const h = height(g);
  const w = width(g);
  const out: Grid = [];
  for (let i = 0; i < w; i++) {
    const row: number[] = [];
    for (let j = 0; j < h; j++) row.push(g[h - 1 - j]![i]!);
    out.push(row);
  }
  return out;
}

/** Reverses the row order (np.flipud). */
export function flipRows(g: Grid): Grid {
  return g.map((_, i) => g[g.length - 1 - i]!.slice());
}

/** Reverses each row (np.fliplr). */
export function flipColumns(g: Grid): Grid {
  return g.map((row) => row.slice().reverse());
}

export function transpose(g: Grid): Grid {
  const h = height(g);
  const w = width(g);
  const out: Grid = [];
  for (let i = 0; i < w; i++) {
    const row: number[] = [];
    for (let j = 0; j < h; j++) row.push(g[j]![i]!);
    out.push(row);
  }
  return out;
}

/** Stacks grids vertically (all the same width). */
export function stackRows(...grids: Grid[]): Grid {
  const out: Grid = [];
  for (const g of grids) for (const row of g) out.push(row.slice());
  return out;
}

/** Puts grids side by side (all the same height). */
export function stackColumns(...grids: Grid[]): Grid {
  return grids[0]!.map((_, i) => {
    const row: number[] = [];
    for (const g of grids) for (const c of g[i]!) row.push(c);
    return row;
  });
}

/** Every row repeated `f` times in place (r0, r0, r1, r1, …), like np.repeat(axis=0). */
export function repeatRows(g: Grid, f: number): Grid {
  const out: Grid = [];
  for (const row of g) for (let k = 0; k < f; k++) out.push(row.slice());
  return out;
}

/** Every column repeated `f` times in place, like np.repeat(axis=1). */
export function repeatColumns(g: Grid, f: number): Grid {
  return g.map((row) => {
    const out: number[] = [];
    for (const c of row) for (let k = 0; k < f; k++) out.push(c);
    return out;
  });
}

/** The h × w block whose top-left cell is (top, left). */
export function crop(g: Grid, top: number, left: number, h: number, w: number): Grid {
  return g.slice(top, top + h).map((row) => row.slice(left, left + w));
}

/** Every `rowStep`-th row and `colStep`-th column from the first (null unless the sides divide). */
export function sample(g: Grid, rowStep: number, colStep: number): Grid | null {
  const h = height(g);
  const w = width(g);
  if (h % rowStep !== 0 || w % colStep !== 0) return null;
  const out: Grid = [];
  for (let i = 0; i < h; i += rowStep) {
    const row: number[] = [];
    for (let j = 0; j < w; j += colStep) row.push(g[i]![j]!);
    out.push(row);
  }
  return out;
}

/** Cyclic shift down by `down` rows and right by `right` columns (np.roll over axes 0 and 1). */
export function roll(g: Grid, down: number, right: number): Grid {
  const h = height(g);
  const w = width(g);
  const mod = (a: number, n: number) => ((a % n) + n) % n;
  const out: Grid = [];
  for (let i = 0; i < h; i++) {
    const source = g[mod(i - down, h)]!;
    const row: number[] = [];
    for (let j = 0; j < w; j++) row.push(source[mod(j - right, w)]!);
    out.push(row);
  }
  return out;
}

/** Colours looked up in `map` (index = colour); colours the map leaves undefined stay. */
export function mapColors(g: Grid, map: readonly (number | undefined)[]): Grid {
  return g.map((row) => row.map((c) => map[c] ?? c));
}

export function gridsEqual(a: Grid, b: Grid): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const ra = a[i]!;
    const rb = b[i]!;
    if (ra.length !== rb.length) return false;
    for (let j = 0; j < ra.length; j++) if (ra[j] !== rb[j]) return false;
  }
  return true;
}

/** A compact string that is equal for equal grids and differs otherwise (for de-duplication). */
export function gridKey(g: Grid): string {
  // One character per cell (colours 0-9 become code points 0-9): much faster than join().
  let key = '';
  for (const row of g) key += `${String.fromCharCode(...row)}/`;
  return key;
}

/** Does the grid fit ARC's limit? */
export function fits(g: Grid, maxSide: number): boolean {
  return height(g) <= maxSide && width(g) <= maxSide;
}
