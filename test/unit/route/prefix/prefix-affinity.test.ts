import { describe, expect, it } from 'vitest';
import type { CompiledRegion } from '../../../../src/fleet/compiled.ts';
import type { HealthSample } from '../../../../src/route/endpoint-view.ts';
import type { PrefixInfo } from '../../../../src/route/prefix/prefix-info.ts';
import { SCORERS } from '../../../../src/route/registry.ts';
import { LOAD_BOUND, PREFIX_AFFINITY, prefixAffinityScorer } from '../../../../src/route/scorers/prefix-affinity.ts';
import type { Candidate, RouteRequest, RouteState } from '../../../../src/route/types.ts';
import { pool, seeded, stateOf, tally } from '../balancers/pool.ts';

const EIGHT = pool(...Array.from({ length: 8 }, (_, i) => `us-east/m/${i}`));
const MODEL = { id: 'm', aliases: [], loadBalancing: 'round-robin', source: { kind: 'InferenceService', name: 'm', namespace: 'llm' } } as const;

const prefixOf = (anchor: number): PrefixInfo => ({ blocks: [anchor], anchor, anchorBlocks: 1, promptTokens: 1_000 });
const requestWith = (anchor: number | undefined): RouteRequest => ({
  model: { ...MODEL, aliases: [], capabilities: ['chat'] },
  key: {},
  caller: undefined,
  ...(anchor === undefined ? {} : { prefix: prefixOf(anchor) }),
});

/** Random 53-bit anchors, as the block hasher produces them. */
function anchors(n: number, seed: number): number[] {
  const random = seeded(seed);
  return Array.from({ length: n }, () => Math.floor(random() * 2 ** 21) * 2 ** 32 + Math.floor(random() * 2 ** 32));
}

/** The id of the candidate that scored 1 (the prefix's pick); fails if not exactly one did. */
function chosen(scores: readonly number[], candidates: readonly Candidate[] = EIGHT): string {
  const ones = scores.flatMap((s, i) => (s === 1 ? [candidates[i]?.endpoint.id ?? '?'] : []));
  expect(ones).toHaveLength(1);
  return ones[0] as string;
}

const IDLE = stateOf();
const score = (anchor: number | undefined, state: RouteState = IDLE, candidates: readonly Candidate[] = EIGHT) =>
  prefixAffinityScorer().score(requestWith(anchor), candidates, state);

describe('the prefix-affinity scorer', () => {
  it('is registered under its type, as an affinity scorer', () => {
    expect(SCORERS[PREFIX_AFFINITY]().type).toBe(PREFIX_AFFINITY);
    expect(SCORERS[PREFIX_AFFINITY]().category).toBe('affinity');
  });

  it('is neutral without a prefix: every candidate scores 0', () => {
    expect(score(undefined)).toEqual(new Array(8).fill(0));
  });

  it('scores the chosen endpoint 1 and every other 0', () => {
    const scores = score(anchors(1, 1)[0]);
    expect(scores.filter((s) => s === 1)).toHaveLength(1);
    expect(scores.filter((s) => s === 0)).toHaveLength(7);
  });

  it('sends one prefix to the same endpoint on every call and in every isolate (fresh scorer instances)', () => {
    for (const anchor of anchors(200, 2)) {
      const first = chosen(prefixAffinityScorer().score(requestWith(anchor), EIGHT, IDLE));
      expect(chosen(prefixAffinityScorer().score(requestWith(anchor), EIGHT, IDLE))).toBe(first);
      // The candidates' order (as filters leave them) does not matter either.
      const reversed = EIGHT.slice().reverse();
      expect(chosen(prefixAffinityScorer().score(requestWith(anchor), reversed, IDLE), reversed)).toBe(first);
    }
  });

  it('spreads different prefixes over 8 endpoints within ±10% of an even share', () => {
    const counts = tally(anchors(8_000, 3).map((a) => chosen(score(a))));
    expect(Object.keys(counts)).toHaveLength(8);
    for (const n of Object.values(counts)) expect(Math.abs(n - 1_000)).toBeLessThanOrEqual(100);
  });

  it('moves only the prefixes of an endpoint that leaves the pool', () => {
    const all = anchors(2_000, 4);
    const before = all.map((a) => chosen(score(a)));
    const seven = EIGHT.filter((c) => c.endpoint.id !== 'us-east/m/3');
    const after = all.map((a) => chosen(score(a, IDLE, seven), seven));
    all.forEach((_, i) => {
      if (before[i] !== 'us-east/m/3') expect(after[i]).toBe(before[i]);
    });
  });

  describe('bounded load', () => {
    const anchor = anchors(1, 5)[0] as number;
    const home = chosen(score(anchor));
    const probe = (waiting: number): HealthSample => ({ healthy: true, waiting, running: 16, checkedAt: 0 });
    /** In-flight counts by endpoint; with `waiting`, every endpoint also has a probe sample showing that queue. */
    const loaded = (views: Record<string, number>, waiting?: number): RouteState =>
      stateOf(
        Object.fromEntries(
          EIGHT.map((c) => [c.endpoint.id, { inflight: views[c.endpoint.id] ?? 0, ...(waiting === undefined ? {} : { health: probe(waiting) }) }]),
        ),
      );
    const others = EIGHT.map((c) => c.endpoint.id).filter((id) => id !== home);

    it(`keeps the home while its in-flight load stays within ${LOAD_BOUND}× the pool average`, () => {
      // Pool load 8 + 1 (this request) → the bound is ceil(c × 9 / 8) = 2: the home may hold 1 and take 1 more.
      expect(Math.ceil((LOAD_BOUND * 9) / 8)).toBe(2);
      const state = loaded({ ...Object.fromEntries(others.map((id) => [id, 1])), [home]: 1 });
      expect(chosen(score(anchor, state))).toBe(home);
    });

    it.each([
      ['no probe data', undefined],
      ['the probe saw its queue', 3],
    ])('spills to the next endpoint in rendezvous order once the home is over the bound (%s)', (_what, waiting) => {
      const spilled = chosen(score(anchor, loaded({ [home]: 10 }, waiting)));
      expect(spilled).not.toBe(home);
      // Every spill of this prefix goes to the same second endpoint…
      expect(chosen(score(anchor, loaded({ [home]: 12 }, waiting)))).toBe(spilled);
      // …and past it to the third when that one is over the bound too.
      const third = chosen(score(anchor, loaded({ [home]: 10, [spilled]: 10 }, waiting)));
      expect([home, spilled]).not.toContain(third);
    });

    it('keeps a home over the bound that the last probe saw with an empty queue (it has batch slots left)', () => {
      expect(chosen(score(anchor, loaded({ [home]: 10 }, 0)))).toBe(home);
      // Only the home's own queue matters: another endpoint queueing does not close the home.
      const mixed = stateOf({ [home]: { inflight: 10, health: probe(0) }, [others[0] as string]: { inflight: 0, health: probe(5) } });
      expect(chosen(score(anchor, mixed))).toBe(home);
    });

    it("measures load by this isolate's in-flight requests, not the probe's (stale) queue", () => {
      // The probe says every endpoint is queueing, the home most; in flight they are even: no spill.
      const state = stateOf(Object.fromEntries(EIGHT.map((c) => [c.endpoint.id, { inflight: 2, health: probe(c.endpoint.id === home ? 40 : 1) }])));
      expect(chosen(score(anchor, state))).toBe(home);
    });

    it('gives a heavier endpoint a proportionally larger bound', () => {
      const heavy = pool(...EIGHT.map((c) => (c.endpoint.id === home ? `${home}:4` : c.endpoint.id)));
      // Share of the home: 4/11 of (8 + 1) → bound ceil(c × 3.27) = 5: load 4 still fits (at weight 1 the bound would be 2).
      expect(Math.ceil((LOAD_BOUND * 9 * 4) / 11)).toBe(5);
      const state = stateOf({ [home]: { inflight: 4 }, [others[0] as string]: { inflight: 4 } });
      expect(chosen(score(anchor, state, heavy), heavy)).toBe(home);
    });

    it('refuses a bound below 1 (it could leave no endpoint within it)', () => {
      expect(() => prefixAffinityScorer({ loadBound: 0.9 })).toThrow(/loadBound/);
    });
  });

  it('picks a home in each region: prefix affinity never pulls a request to another region', () => {
    const eu: CompiledRegion = { id: 'eu-west', residency: 'eu', location: { latitude: 53, longitude: -6, continent: 'EU' }, pricing: { inputPerMillionTokensUsd: 0.1, outputPerMillionTokensUsd: 0.2 } };
    const euPool: Candidate[] = pool('eu-west/m/0', 'eu-west/m/1', 'eu-west/m/2').map((c) => ({ endpoint: { ...c.endpoint, region: eu.id }, region: eu }));
    const mixed = [...EIGHT, ...euPool];
    for (const anchor of anchors(50, 6)) {
      const scores = score(anchor, IDLE, mixed);
      expect(scores.slice(0, 8).filter((s) => s === 1)).toHaveLength(1);
      expect(scores.slice(8).filter((s) => s === 1)).toHaveLength(1);
      expect(chosen(scores.slice(0, 8))).toBe(chosen(score(anchor)));
    }
  });
});
