import type { PatternId } from './patterns.ts';

/**
 * The reference document's Pattern Decision Matrix: model size, then traffic. Its branches:
 *
 *   < 7B    sporadic → 1 Single Instance        steady → 2 Replicated Instances
 *   7B-30B  variable → 3 Auto-scaling Pool      high   → 4 Disaggregated Serving
 *   > 30B   any      → 5 Tensor Parallel + 4 Disaggregated
 *
 * The matrix names only those branches. Every other size × traffic cell is answered from the
 * document's Pattern Comparison Matrix (the row whose traffic column matches, within its
 * model-size column) and marked so: `source: 'comparison'`. `any` (traffic unknown, or every
 * shape) for models that fit the smaller classes goes to the pattern whose comparison row
 * adapts to traffic: the auto-scaling pool.
 */
export const SIZE_CLASSES = ['< 7B', '7B - 30B', '> 30B'] as const;
export type SizeClass = (typeof SIZE_CLASSES)[number];

export const TRAFFIC_PATTERNS = ['sporadic', 'steady', 'variable', 'high', 'any'] as const;
export type Traffic = (typeof TRAFFIC_PATTERNS)[number];

/** The matrix's boundaries: under 7B is small, 7B to 30B (both included) medium, over 30B large. */
export function sizeClass(paramsB: number): SizeClass {
  if (paramsB < 7) return '< 7B';
  if (paramsB <= 30) return '7B - 30B';
  return '> 30B';
}

export interface MatrixCell {
  size: SizeClass;
  traffic: Traffic;
  /** The first pattern, then those layered with it (5 + 4: tensor-parallel pools, disaggregated). */
  patterns: readonly [PatternId, ...PatternId[]];
  /** `matrix`: a branch of the decision matrix; `comparison`: filled from the comparison matrix. */
  source: 'matrix' | 'comparison';
  why: string;
}

const cell = (size: SizeClass, traffic: Traffic, patterns: MatrixCell['patterns'], source: MatrixCell['source'], why: string): MatrixCell => ({ size, traffic, patterns, source, why });

export const DECISION_MATRIX: readonly MatrixCell[] = [
  cell('< 7B', 'sporadic', [1], 'matrix', 'small model, sporadic traffic: Single Instance'),
  cell('< 7B', 'steady', [2], 'matrix', 'small model, steady traffic: Replicated Instances'),
  cell('< 7B', 'variable', [3], 'comparison', 'the matrix has no variable branch for < 7B; the comparison row for variable traffic (< 30B) is Auto-scaling'),
  cell('< 7B', 'high', [4], 'comparison', 'the matrix has no high branch for < 7B; the comparison row for high traffic (any size) is Disaggregated'),
  cell('< 7B', 'any', [3], 'comparison', 'traffic unknown or mixed: Auto-scaling (< 30B) is the comparison row that follows the traffic'),
  cell('7B - 30B', 'sporadic', [1], 'comparison', 'the matrix has no sporadic branch for 7B-30B; its sporadic branch, and the comparison row for low traffic, is Single Instance'),
  cell('7B - 30B', 'steady', [2], 'comparison', 'the matrix has no steady branch for 7B-30B; its steady branch, and the comparison row for medium traffic (< 13B), is Replicated'),
  cell('7B - 30B', 'variable', [3], 'matrix', 'medium model, variable traffic: Auto-scaling Pool'),
  cell('7B - 30B', 'high', [4], 'matrix', 'medium model, high traffic: Disaggregated Serving'),
  cell('7B - 30B', 'any', [3], 'comparison', 'traffic unknown or mixed: Auto-scaling (< 30B) is the comparison row that follows the traffic'),
  ...(['sporadic', 'steady', 'variable', 'high', 'any'] as const).map((t) => cell('> 30B', t, [5, 4], 'matrix', 'large model, any traffic: Tensor Parallel + Disaggregated')),
];

export function matrixCell(paramsB: number, traffic: Traffic): MatrixCell {
  const size = sizeClass(paramsB);
  const found = DECISION_MATRIX.find((c) => c.size === size && c.traffic === traffic);
  if (!found) throw new Error(`decision matrix: no cell for ${size} × ${traffic}`);
  return found;
}
