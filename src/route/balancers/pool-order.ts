import type { Candidate } from '../types.ts';

/** A uniform index in [0, n), safe against a generator that returns exactly 1. */
export const randomIndex = (random: () => number, n: number): number => {
  const i = Math.floor(random() * n);
  return i < n ? i : n - 1;
};

/** The pool rotated to start at `start`. */
export function rotate(pool: readonly Candidate[], start: number): Candidate[] {
  const n = pool.length;
  const out = new Array<Candidate>(n);
  for (let i = 0; i < n; i++) out[i] = pool[(start + i) % n] as Candidate;
  return out;
}

/**
 * Sorts `items` by `keys` (aligned, both permuted in place), highest key first, stable.
 * Insertion sort: pools are a handful of endpoints, and it needs no comparator closure.
 */
export function sortByKeyDesc<T>(items: T[], keys: number[], from = 0): void {
  for (let i = from + 1; i < items.length; i++) {
    const item = items[i] as T;
    const key = keys[i] as number;
    let j = i - 1;
    while (j >= from && (keys[j] as number) < key) {
      items[j + 1] = items[j] as T;
      keys[j + 1] = keys[j] as number;
      j--;
    }
    items[j + 1] = item;
    keys[j + 1] = key;
  }
}
