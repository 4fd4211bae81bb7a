// Logistic regression with one intercept per data source and shared feature weights, fitted by
// projected Newton steps. Each weight is pulled towards a prior (an L2 penalty on weight − prior,
// so a feature the data never exercises keeps its hand-set prior) and held at or above a floor
// (0 for a cue: evidence never counts against the strong model; the length prior's own floor for
// prompt length, which fitting can raise but never remove).

export interface LogisticFit {
  /** One intercept per group (data source), in group-index order. */
  intercepts: number[];
  weights: number[];
}

export interface FitOptions {
  priors: readonly number[];
  /** Penalty strength: loss = Σ log-loss + lambda · Σ (w − prior)². */
  lambda: number;
  /** Lower bound per weight (default: none). */
  mins?: readonly (number | undefined)[];
  /** The group (source) of each row, 0-based; rows of one group share an intercept. Default: one group. */
  groups?: readonly number[];
  iterations?: number;
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export function predict(fit: { weights: readonly number[] }, intercept: number, x: readonly number[]): number {
  let z = intercept;
  fit.weights.forEach((w, j) => {
    z += w * (x[j] ?? 0);
  });
  return sigmoid(z);
}

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/** x: rows of features in 0..1; y: 0/1 labels. Deterministic (starts at the priors, intercepts at each group's base rate). */
export function fitLogistic(x: readonly (readonly number[])[], y: readonly number[], options: FitOptions): LogisticFit {
  const { priors, lambda } = options;
  const n = x.length;
  const d = priors.length;
  const groups = options.groups ?? new Array<number>(n).fill(0);
  const g = Math.max(0, ...groups) + 1;
  const p = g + d; // parameters: intercepts, then weights
  const lower = (k: number) => (k < g ? Number.NEGATIVE_INFINITY : (options.mins?.[k - g] ?? Number.NEGATIVE_INFINITY));

  const theta = new Array<number>(p).fill(0);
  for (let k = 0; k < g; k++) {
    const rows = groups.map((gr, i) => (gr === k ? (y[i] ?? 0) : -1)).filter((v) => v >= 0);
    const base = rows.length === 0 ? 0.5 : rows.reduce((a, b) => a + b, 0) / rows.length;
    theta[k] = Math.log(Math.max(base, 1e-3) / Math.max(1 - base, 1e-3));
  }
  for (let j = 0; j < d; j++) theta[g + j] = Math.max(priors[j] ?? 0, lower(g + j));

  const logit = (t: readonly number[], i: number) => {
    const row = x[i] ?? [];
    let z = t[groups[i] ?? 0] ?? 0;
    for (let j = 0; j < d; j++) z += (t[g + j] ?? 0) * (row[j] ?? 0);
    return z;
  };
  const objective = (t: readonly number[]) => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      const z = logit(t, i);
      f += softplus(z) - (y[i] ?? 0) * z;
    }
    for (let j = 0; j < d; j++) f += lambda * ((t[g + j] ?? 0) - (priors[j] ?? 0)) ** 2;
    return f;
  };
  // The feature value of parameter k in row i: 1 for the row's own intercept.
  const feature = (i: number, k: number) => (k < g ? (groups[i] === k ? 1 : 0) : (x[i]?.[k - g] ?? 0));

  const iterations = options.iterations ?? 200;
  let f = objective(theta);
  for (let it = 0; it < iterations; it++) {
    const grad = new Array<number>(p).fill(0);
    const hess = Array.from({ length: p }, () => new Array<number>(p).fill(0));
    for (let i = 0; i < n; i++) {
      const q = sigmoid(logit(theta, i));
      const err = q - (y[i] ?? 0);
      const w = q * (1 - q);
      for (let a = 0; a < p; a++) {
        const fa = feature(i, a);
        if (fa === 0) continue;
        grad[a] = (grad[a] ?? 0) + err * fa;
        const row = hess[a] ?? [];
        for (let b = 0; b < p; b++) row[b] = (row[b] ?? 0) + w * fa * feature(i, b);
      }
    }
    for (let j = 0; j < d; j++) {
      grad[g + j] = (grad[g + j] ?? 0) + 2 * lambda * ((theta[g + j] ?? 0) - (priors[j] ?? 0));
      const row = hess[g + j] ?? [];
      row[g + j] = (row[g + j] ?? 0) + 2 * lambda;
    }
    // Parameters held at their floor by a gradient pushing below it stay put this step.
    const free: number[] = [];
    for (let k = 0; k < p; k++) {
      const atBound = (theta[k] ?? 0) <= lower(k) + 1e-12 && (grad[k] ?? 0) > 0;
      if (!atBound) free.push(k);
    }
    const stationary = free.every((k) => Math.abs(grad[k] ?? 0) < 1e-9 * Math.max(1, n));
    if (stationary) break;
    const step = solve(
      free.map((a) => free.map((b) => (hess[a]?.[b] ?? 0) + (a === b ? 1e-9 : 0))),
      free.map((k) => -(grad[k] ?? 0)),
    );
    let t = 1;
    let moved = false;
    while (t > 1e-10) {
      const next = [...theta];
      free.forEach((k, m) => {
        next[k] = Math.max(lower(k), (theta[k] ?? 0) + t * (step[m] ?? 0));
      });
      const fNext = objective(next);
      if (fNext <= f - 1e-12 * Math.abs(f)) {
        for (let k = 0; k < p; k++) theta[k] = next[k] ?? 0;
        moved = Math.abs(f - fNext) > 1e-12 * Math.max(1, Math.abs(f));
        f = fNext;
        break;
      }
      t /= 2;
    }
    if (!moved) break;
  }
  return { intercepts: theta.slice(0, g), weights: theta.slice(g) };
}

/** Solves A·x = b by Gaussian elimination with partial pivoting (A small, symmetric positive definite). */
function solve(a: number[][], b: number[]): number[] {
  const m = b.length;
  const rows = a.map((row, i) => [...row, b[i] ?? 0]);
  for (let c = 0; c < m; c++) {
    let pivot = c;
    for (let r = c + 1; r < m; r++) if (Math.abs(rows[r]?.[c] ?? 0) > Math.abs(rows[pivot]?.[c] ?? 0)) pivot = r;
    [rows[c], rows[pivot]] = [rows[pivot] ?? [], rows[c] ?? []];
    const top = rows[c] ?? [];
    const lead = top[c] ?? 0;
    if (Math.abs(lead) < 1e-300) continue;
    for (let r = c + 1; r < m; r++) {
      const row = rows[r] ?? [];
      const factor = (row[c] ?? 0) / lead;
      if (factor === 0) continue;
      for (let k = c; k <= m; k++) row[k] = (row[k] ?? 0) - factor * (top[k] ?? 0);
    }
  }
  const out = new Array<number>(m).fill(0);
  for (let r = m - 1; r >= 0; r--) {
    const row = rows[r] ?? [];
    let s = row[m] ?? 0;
    for (let k = r + 1; k < m; k++) s -= (row[k] ?? 0) * (out[k] ?? 0);
    const lead = row[r] ?? 0;
    out[r] = Math.abs(lead) < 1e-300 ? 0 : s / lead;
  }
  return out;
}

/** Mean log-loss of predicted probabilities against 0/1 labels. */
export function logLoss(predicted: readonly number[], y: readonly number[]): number {
  let total = 0;
  predicted.forEach((raw, i) => {
    const q = Math.min(Math.max(raw, 1e-9), 1 - 1e-9);
    total -= (y[i] ?? 0) === 1 ? Math.log(q) : Math.log(1 - q);
  });
  return total / predicted.length;
}
