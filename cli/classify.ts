import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { Command } from 'commander';
import { z } from 'zod';
import { describeIssues } from '../src/auth/key-record.ts';
import { chooseTier } from '../src/classify/choose-tier.ts';
import { classify, explainClassification } from '../src/classify/classify.ts';
import { ClassifyRequestSchema } from '../src/classify/request.ts';
import { DEFAULT_TIER_RULES, type TierRules, TierRulesSchema } from '../src/classify/tier-rules.ts';

/** One input line: a request (chat or completion shape) plus optional per-line hints. */
const LineSchema = z.intersection(
  ClassifyRequestSchema,
  z.object({
    max_latency_ms: z.number().positive().optional(),
    min_quality: z.number().min(0).max(1).optional(),
  }),
);

export interface ClassifyStreamOptions {
  rules?: TierRules;
  /** Add the raw feature vector to each output line. */
  features?: boolean;
  /** Add each scored feature's contribution to the score (and the bias and logit they sum to). */
  explain?: boolean;
}

const round4 = (x: number) => Number(x.toFixed(4));

/**
 * Why a request scored what it did: the bias, then each scored feature's share of the logit, largest
 * first; then every detected feature the shipped weights do not score (weight 0, contribution 0).
 */
function explanation(features: Parameters<typeof explainClassification>[0]) {
  const e = explainClassification(features);
  return {
    bias: round4(e.bias),
    contributions: [
      ...e.terms.map((t) => ({ feature: t.feature, value: round4(t.raw), weight: round4(t.weight), contribution: round4(t.contribution) })),
      ...e.unscored.map((u) => ({ feature: u.feature, value: round4(u.raw), weight: 0, contribution: 0 })),
    ],
    logit: round4(e.logit),
  };
}

/** The output line for one input line: a profile and the tier decision, or `{error}`. */
export function classifyLine(line: string, lineNumber: number, options: ClassifyStreamOptions = {}): { ok: boolean; json: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    return { ok: false, json: JSON.stringify({ error: `line ${lineNumber}: invalid JSON (${(error as Error).message})` }) };
  }
  const result = LineSchema.safeParse(parsed);
  if (!result.success) {
    return { ok: false, json: JSON.stringify({ error: `line ${lineNumber}: ${describeIssues(result.error)}` }) };
  }
  const request = result.data;
  const rules = options.rules ?? DEFAULT_TIER_RULES;
  const profile = classify(request, { rules });
  const choice = chooseTier(profile, { maxLatencyMs: request.max_latency_ms, minQuality: request.min_quality }, rules);
  return {
    ok: true,
    json: JSON.stringify({
      score: Number(profile.score.toFixed(4)),
      tier: choice.tier,
      route: choice.reason,
      signals: profile.signals,
      tokens: Math.round(profile.features.promptTokens),
      ...(options.features ? { features: profile.features } : {}),
      ...(options.explain ? { explain: explanation(profile.features) } : {}),
    }),
  };
}

/**
 * JSONL in, JSONL out, one line at a time (nothing is held beyond the current line, and output
 * waits when the reader is slow). Blank lines are skipped. Resolves to the number of failed lines.
 */
export async function classifyStream(input: Readable, output: Writable, options: ClassifyStreamOptions = {}): Promise<number> {
  let failed = 0;
  let lineNumber = 0;
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    lineNumber++;
    if (line.trim() === '') continue;
    const { ok, json } = classifyLine(line, lineNumber, options);
    if (!ok) failed++;
    if (!output.write(`${json}\n`)) await once(output, 'drain');
  }
  return failed;
}

function readRules(path: string): TierRules {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`--rules ${path}: ${(error as Error).message}`);
  }
  const result = TierRulesSchema.safeParse(raw);
  if (!result.success) throw new Error(`--rules ${path}: ${describeIssues(result.error)}`);
  return result.data;
}

export function classifyCommand(): Command {
  return new Command('classify')
    .description(
      'classify requests offline: JSONL on stdin ({"messages":[...]} or {"prompt":"..."}, optional ' +
        'max_latency_ms / min_quality), JSONL on stdout ({"score","tier","route","signals","tokens"}); ' +
        'a bad line gets {"error"} and the exit code is 1',
    )
    .option('--rules <file>', 'JSON tier rules (the routing policy part: tiers, scoreThresholds, latencyBudgets, qualityFloors, onConflict)')
    .option('--features', 'include the raw feature vector in each output line')
    .option(
      '--explain',
      'include why: "explain": {bias, contributions: [{feature, value, weight, contribution}] largest first (then the unscored features, weight 0), logit}; score = sigmoid(logit), and "route" names the tier rule that decided',
    )
    .action(async (flags: { rules?: string; features?: boolean; explain?: boolean }) => {
      const rules = flags.rules === undefined ? DEFAULT_TIER_RULES : readRules(flags.rules);
      const failed = await classifyStream(process.stdin, process.stdout, { rules, features: flags.features === true, explain: flags.explain === true });
      if (failed > 0) process.exitCode = 1;
    });
}
