import type { FeatureVector } from './features.ts';

/**
 * Named signals: the feature thresholds at which a reader would say "this request has code",
 * "this asks for a long answer". They explain a score; the score itself uses the full values.
 */
export const SIGNALS = [
  { name: 'long-prompt', fires: (f: FeatureVector) => f.promptTokens >= 2000 },
  { name: 'code-block', fires: (f: FeatureVector) => f.codeBlocks >= 1 },
  { name: 'code', fires: (f: FeatureVector) => f.code >= 2 },
  { name: 'math', fires: (f: FeatureVector) => f.math >= 2 },
  { name: 'reasoning', fires: (f: FeatureVector) => f.reasoning >= 2 },
  { name: 'constraints', fires: (f: FeatureVector) => f.constraints >= 2 },
  { name: 'multi-turn', fires: (f: FeatureVector) => f.depth >= 2 },
  { name: 'tools', fires: (f: FeatureVector) => f.tools >= 1 },
  { name: 'json-schema', fires: (f: FeatureVector) => f.structuredOutput >= 1 },
  { name: 'json-mode', fires: (f: FeatureVector) => f.structuredOutput > 0 && f.structuredOutput < 1 },
  { name: 'long-output', fires: (f: FeatureVector) => f.outputTokens >= 1000 },
  { name: 'non-english', fires: (f: FeatureVector) => f.nonEnglish >= 0.2 },
] as const;

export type SignalName = (typeof SIGNALS)[number]['name'];

export function firedSignals(features: FeatureVector): SignalName[] {
  const fired: SignalName[] = [];
  for (const signal of SIGNALS) if (signal.fires(features)) fired.push(signal.name);
  return fired;
}
