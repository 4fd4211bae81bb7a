/**
 * How much of a request's text the classifier reads: the whole text up to BUDGET_CHARS, else its
 * head, its tail and evenly spaced windows of the middle. The cost of classifying is then bounded
 * whatever the prompt's size, and the length itself is still exact (it is a sum of string lengths).
 */
export const READ_HEAD = 3072;
export const READ_TAIL = 2048;
export const MIDDLE_WINDOWS = 6;
export const MIDDLE_WINDOW = 512;
export const BUDGET_CHARS = READ_HEAD + READ_TAIL + MIDDLE_WINDOWS * MIDDLE_WINDOW;

/**
 * The ranges read of a text `total` characters long (the request's texts joined in order), as
 * ascending, disjoint [start, end) pairs flattened: [s0, e0, s1, e1, …].
 */
export function readRanges(total: number): number[] {
  if (total <= BUDGET_CHARS) return [0, total];
  const ranges = [0, READ_HEAD];
  // Here the middle is longer than all windows together, so evenly spaced windows never overlap.
  const middle = total - READ_HEAD - READ_TAIL;
  for (let k = 0; k < MIDDLE_WINDOWS; k++) {
    const start = READ_HEAD + Math.floor(((k + 0.5) * middle) / MIDDLE_WINDOWS - MIDDLE_WINDOW / 2);
    ranges.push(start, start + MIDDLE_WINDOW);
  }
  ranges.push(total - READ_TAIL, total);
  return ranges;
}
