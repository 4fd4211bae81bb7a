// How good a routing score is: AUC for the "needs the strong model" label, and the quality
// obtained when a share of requests (the highest-scored, or a random subset) goes to the
// strong model and the rest to the weak one.

export interface ScoredItem {
  score: number;
  strong: number;
  weak: number;
}

/** Area under the ROC curve (Mann–Whitney), ties counting one half. NaN without both classes. */
export function auc(scores: readonly number[], labels: readonly boolean[]): number {
  const order = scores.map((s, i) => ({ s, y: labels[i] === true })).sort((a, b) => a.s - b.s);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && order[j]?.s === order[i]?.s) j++;
    const midRank = (i + 1 + j) / 2; // average 1-based rank of the tie group
    for (let k = i; k < j; k++) {
      if (order[k]?.y) {
        positives++;
        rankSum += midRank;
      }
    }
    i = j;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Mean judged quality when the share s (0..1) of requests with the highest scores goes to the
 * strong model, at each tie-group boundary. Inside a tie group the curve is linear: the expected
 * quality when the tie is broken at random.
 */
export function qualityCurve(items: readonly ScoredItem[]): { share: number; quality: number }[] {
  const n = items.length;
  const sorted = [...items].sort((a, b) => b.score - a.score);
  let total = items.reduce((sum, it) => sum + it.weak, 0);
  const points = [{ share: 0, quality: total / n }];
  for (let i = 0; i < n; ) {
    let j = i;
    while (j < n && sorted[j]?.score === sorted[i]?.score) {
      total += (sorted[j]?.strong ?? 0) - (sorted[j]?.weak ?? 0);
      j++;
    }
    points.push({ share: j / n, quality: total / n });
    i = j;
  }
  return points;
}

/** The smallest share at which the curve reaches `target` (interpolating within a segment); 1 if never before the end. */
export function shareToReach(curve: readonly { share: number; quality: number }[], target: number): number {
  const first = curve[0];
  if (first !== undefined && first.quality >= target) return 0;
  for (let k = 1; k < curve.length; k++) {
    const a = curve[k - 1];
    const b = curve[k];
    if (a === undefined || b === undefined) continue;
    if (b.quality >= target) {
      return a.share + ((target - a.quality) / (b.quality - a.quality)) * (b.share - a.share);
    }
  }
  return 1;
}

/** Random routing's expected curve is the straight line from all-weak to all-strong. */
export function randomCurve(items: readonly ScoredItem[]): { share: number; quality: number }[] {
  const n = items.length;
  const weak = items.reduce((s, it) => s + it.weak, 0) / n;
  const strong = items.reduce((s, it) => s + it.strong, 0) / n;
  return [
    { share: 0, quality: weak },
    { share: 1, quality: strong },
  ];
}

export interface RoutingComparison {
  items: number;
  allStrong: number;
  allWeak: number;
  target: number;
  classifierShare: number;
  randomShare: number;
}

/** Share sent to the strong (large) tier to reach `fraction` of the all-strong quality, classifier vs random. */
export function compareRouting(items: readonly ScoredItem[], fraction = 0.95): RoutingComparison {
  const n = items.length;
  const allStrong = items.reduce((s, it) => s + it.strong, 0) / n;
  const allWeak = items.reduce((s, it) => s + it.weak, 0) / n;
  const target = fraction * allStrong;
  return {
    items: n,
    allStrong,
    allWeak,
    target,
    classifierShare: shareToReach(qualityCurve(items), target),
    randomShare: shareToReach(randomCurve(items), target),
  };
}
