/**
 * Rescales values so the lowest scores 1 and the highest 0 (lower is better), as llm-d's
 * queue scorer does; when all are equal every candidate scores 1. Undefined values score
 * `unknown`.
 */
export function lowerIsBetter(values: readonly (number | undefined)[], unknown: number): number[] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v === undefined) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min;
  return values.map((v) => (v === undefined ? unknown : span > 0 ? (max - v) / span : 1));
}
