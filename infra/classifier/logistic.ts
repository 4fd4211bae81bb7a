// Logistic regression by full-batch gradient descent, with an L2 penalty that pulls each weight
// towards a prior rather than towards zero: a feature the data set never exercises (tools, JSON
// schemas) keeps its hand-set prior instead of silently dropping to 0.

export interface LogisticFit {
  bias: number;
  weights: number[];
}

export interface FitOptions {
  priors: readonly number[];
  /** Penalty strength: loss = Σ log-loss + lambda · Σ (w − prior)². */
  lambda: number;
  /** Keep every weight ≥ 0 (projected gradient descent): a signal may turn out useless, never a sign of an easy request. */
  nonNegative?: boolean;
  iterations?: number;
  learningRate?: number;
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export function predict(fit: LogisticFit, x: readonly number[]): number {
  let z = fit.bias;
  fit.weights.forEach((w, j) => {
    z += w * (x[j] ?? 0);
  });
  return sigmoid(z);
}

/** x: rows of features in 0..1; y: 0/1 labels. Deterministic (starts at the priors). */
export function fitLogistic(x: readonly (readonly number[])[], y: readonly number[], options: FitOptions): LogisticFit {
  const { priors, lambda } = options;
  const iterations = options.iterations ?? 20_000;
  const rate = options.learningRate ?? 1;
  const n = x.length;
  const d = priors.length;
  const weights = [...priors];
  const base = y.reduce((a, b) => a + b, 0) / n;
  let bias = Math.log(Math.max(base, 1e-6) / Math.max(1 - base, 1e-6));
  const grad = new Array<number>(d).fill(0);
  for (let it = 0; it < iterations; it++) {
    grad.fill(0);
    let gradBias = 0;
    for (let i = 0; i < n; i++) {
      const row = x[i] ?? [];
      const err = predict({ bias, weights }, row) - (y[i] ?? 0);
      gradBias += err;
      for (let j = 0; j < d; j++) grad[j] = (grad[j] ?? 0) + err * (row[j] ?? 0);
    }
    let norm = Math.abs(gradBias / n);
    bias -= (rate * gradBias) / n;
    for (let j = 0; j < d; j++) {
      const g = ((grad[j] ?? 0) + 2 * lambda * ((weights[j] ?? 0) - (priors[j] ?? 0))) / n;
      const before = weights[j] ?? 0;
      const step = before - rate * g;
      const next = options.nonNegative && step < 0 ? 0 : step;
      weights[j] = next;
      // Converged when nothing moves: at the bound, a gradient pointing outwards is not a reason to go on.
      norm = Math.max(norm, Math.abs(next - before) / rate);
    }
    if (norm < 1e-7) break;
  }
  return { bias, weights };
}

/** Mean log-loss of predicted probabilities against 0/1 labels. */
export function logLoss(predicted: readonly number[], y: readonly number[]): number {
  let total = 0;
  predicted.forEach((raw, i) => {
    const p = Math.min(Math.max(raw, 1e-9), 1 - 1e-9);
    total -= (y[i] ?? 0) === 1 ? Math.log(p) : Math.log(1 - p);
  });
  return total / predicted.length;
}
