import { referencePlacements, type TierRules } from './tier-rules.ts';

/** What the caller asked for: `x-max-latency-ms` and `x-min-quality` (0..1). */
export interface TierHints {
  maxLatencyMs?: number;
  minQuality?: number;
}

export interface TierChoice {
  tier: string;
  /** Why, short and header-safe: `score=0.71>=0.6`, `latency-budget<=500ms`, `quality-floor>=0.8`. */
  reason: string;
}

/** Index into rules.tiers of the tier the score alone earns. */
export function scoreTierIndex(score: number, rules: TierRules): number {
  let index = 0;
  rules.scoreThresholds.forEach((t, i) => {
    if (score >= t) index = i + 1;
  });
  return index;
}

/** The tier for a request, by the routing policy's strategy. */
export function chooseTier(profile: { score: number }, hints: TierHints, rules: TierRules): TierChoice {
  return rules.strategy === 'reference' ? chooseByReference(profile, hints, rules) : chooseByScore(profile, hints, rules);
}

/**
 * The reference document's routing logic, in its order: a latency budget under 100 ms goes to
 * the edge; a simple request (the score below the first threshold) whose quality need is under
 * 0.8 goes to the regional tier; everything else to the central one. A request that states no
 * quality need asks for none (0); one that states no budget has none.
 */
export function chooseByReference(profile: { score: number }, hints: TierHints, rules: TierRules): TierChoice {
  const { edgeLatencyMs, regionalMaxQuality } = rules.reference;
  const placements = referencePlacements(rules);
  const latency = hints.maxLatencyMs;
  if (latency !== undefined && Number.isFinite(latency) && latency < edgeLatencyMs) {
    return { tier: placements.edge, reason: `latency=${latency}<${edgeLatencyMs}ms->edge` };
  }
  const quality = hints.minQuality !== undefined && Number.isFinite(hints.minQuality) ? hints.minQuality : 0;
  const boundary = rules.scoreThresholds[0];
  const shown = Math.floor(profile.score * 1000) / 1000;
  const simple = boundary === undefined || profile.score < boundary;
  if (simple && quality < regionalMaxQuality) {
    return { tier: placements.regional, reason: `simple(score=${shown}${boundary === undefined ? '' : `<${boundary}`})&quality<${regionalMaxQuality}->regional` };
  }
  const why = simple ? `quality=${quality}>=${regionalMaxQuality}` : `complex(score=${shown}>=${boundary})`;
  return { tier: placements.central, reason: `${why}->central` };
}

/**
 * The `scored` strategy: the score's tier, raised to the quality floor, capped by the latency
 * budget. When the floor is above the cap the hints conflict, and rules.onConflict decides.
 */
export function chooseByScore(profile: { score: number }, hints: TierHints, rules: TierRules): TierChoice {
  const { tiers } = rules;
  let index = scoreTierIndex(profile.score, rules);
  let reason = scoreReason(profile.score, index, rules);

  let floor: { index: number; atLeast: number } | undefined;
  const quality = hints.minQuality;
  if (quality !== undefined && Number.isFinite(quality)) {
    for (const rule of rules.qualityFloors) {
      const i = tiers.indexOf(rule.minTier);
      if (quality >= rule.atLeast && i >= 0 && (floor === undefined || i > floor.index)) {
        floor = { index: i, atLeast: rule.atLeast };
      }
    }
  }
  let cap: { index: number; atMostMs: number } | undefined;
  const latency = hints.maxLatencyMs;
  if (latency !== undefined && Number.isFinite(latency)) {
    for (const rule of rules.latencyBudgets) {
      const i = tiers.indexOf(rule.maxTier);
      if (latency <= rule.atMostMs && i >= 0 && (cap === undefined || i < cap.index)) {
        cap = { index: i, atMostMs: rule.atMostMs };
      }
    }
  }

  const floorReason = floor && `quality-floor>=${floor.atLeast}`;
  const capReason = cap && `latency-budget<=${cap.atMostMs}ms`;
  if (floor && floor.index > index) {
    index = floor.index;
    reason = floorReason ?? reason;
  }
  if (cap && cap.index < index) {
    if (floor && floor.index > cap.index) {
      // Both cannot hold: serve one and say which one gave way.
      if (rules.onConflict === 'quality') {
        index = floor.index;
        reason = `${floorReason};${capReason}-overridden`;
      } else {
        index = cap.index;
        reason = `${capReason};${floorReason}-unmet`;
      }
    } else {
      index = cap.index;
      reason = capReason ?? reason;
    }
  }
  return { tier: tiers[index] ?? tiers[0] ?? '', reason };
}

function scoreReason(score: number, index: number, rules: TierRules): string {
  // Truncated, not rounded, so the printed comparison is never false (0.5996 prints 0.599, not 0.6).
  const shown = Math.floor(score * 1000) / 1000;
  if (index > 0) return `score=${shown}>=${rules.scoreThresholds[index - 1]}`;
  const first = rules.scoreThresholds[0];
  return first === undefined ? `single-tier` : `score=${shown}<${first}`;
}
