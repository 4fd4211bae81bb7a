// What a request costs at its region's pricing: per token (cached prompt tokens at their own
// price when the region sets one), else its share of the replica's GPU-hours, else nothing
// ("unpriced"). A region that prices both reports the GPU share beside the token price.
import { describe, expect, it } from 'vitest';
import type { CompiledRegion } from '../../../src/fleet/compiled.ts';
import { costOf, type CostInputs } from '../../../src/meter/cost.ts';

type Pricing = CompiledRegion['pricing'];

const TOKENS: Pricing = { inputPerMillionTokensUsd: 0.5, outputPerMillionTokensUsd: 1.5 };
const TOKENS_CACHED: Pricing = { ...TOKENS, cachedInputPerMillionTokensUsd: 0.1 };
// 3.6 USD a GPU-hour: one GPU-millisecond costs exactly 1e-6 USD.
const GPU: Pricing = { inputPerMillionTokensUsd: 0, outputPerMillionTokensUsd: 0, gpuHourUsd: 3.6 };
const FREE: Pricing = { inputPerMillionTokensUsd: 0, outputPerMillionTokensUsd: 0 };

const inputs = (x: Partial<CostInputs> = {}): CostInputs => ({ usage: { input: 1000, output: 500, cached: 0 }, gpus: 1, busyMs: 1000, concurrency: 1, ...x });

describe('costOf, per token', () => {
  it('prices input and output tokens per million', () => {
    const cost = costOf(TOKENS, inputs());
    expect(cost.basis).toBe('tokens');
    expect(cost.usd).toBeCloseTo((1000 * 0.5 + 500 * 1.5) / 1e6, 15);
    expect(cost).not.toHaveProperty('gpuUsd');
  });

  it('prices cached prompt tokens at cachedInputPerMillionTokensUsd and the rest at the input price', () => {
    const cost = costOf(TOKENS_CACHED, inputs({ usage: { input: 1000, output: 500, cached: 800 } }));
    expect(cost.usd).toBeCloseTo((200 * 0.5 + 800 * 0.1 + 500 * 1.5) / 1e6, 15);
  });

  it('prices cached prompt tokens as any input token when the region sets no cached price', () => {
    const cached = costOf(TOKENS, inputs({ usage: { input: 1000, output: 500, cached: 800 } }));
    expect(cached.usd).toBeCloseTo(costOf(TOKENS, inputs()).usd, 15);
  });

  it('lets a cached price of 0 make cached tokens free (0 is a price, not a missing one)', () => {
    const cost = costOf({ ...TOKENS, cachedInputPerMillionTokensUsd: 0 }, inputs({ usage: { input: 1000, output: 0, cached: 1000 } }));
    expect(cost).toEqual({ usd: 0, basis: 'tokens' });
  });

  it('never counts more cached tokens than prompt tokens (no negative uncached share)', () => {
    const over = costOf(TOKENS_CACHED, inputs({ usage: { input: 100, output: 0, cached: 400 } }));
    expect(over.usd).toBeCloseTo((100 * 0.1) / 1e6, 15);
    expect(over.usd).toBeGreaterThan(0);
  });

  it('prices a region that charges only for output tokens', () => {
    expect(costOf({ inputPerMillionTokensUsd: 0, outputPerMillionTokensUsd: 2 }, inputs()).usd).toBeCloseTo((500 * 2) / 1e6, 15);
  });

  it('costs 0 on the tokens basis when the usage is missing (nothing to price, but the region does price tokens)', () => {
    expect(costOf(TOKENS, inputs({ usage: undefined }))).toEqual({ usd: 0, basis: 'tokens' });
  });

  it('reports the GPU-time share beside the token price when the region prices both', () => {
    const cost = costOf({ ...TOKENS, gpuHourUsd: 3.6 }, inputs({ busyMs: 2000 }));
    expect(cost.basis).toBe('tokens');
    expect(cost.usd).toBeCloseTo(costOf(TOKENS, inputs()).usd, 15);
    expect(cost.gpuUsd).toBeCloseTo(2000e-6, 15);
  });
});

describe('costOf, by GPU-time share', () => {
  it.each([
    { case: 'one GPU, alone, one second', gpus: 1, busyMs: 1000, concurrency: 1, usd: 1000e-6 },
    { case: 'two GPUs per replica double it', gpus: 2, busyMs: 1000, concurrency: 1, usd: 2000e-6 },
    { case: 'four requests sharing the replica split it', gpus: 2, busyMs: 1000, concurrency: 4, usd: 500e-6 },
    { case: 'unknown GPUs count as one', gpus: undefined, busyMs: 250, concurrency: 1, usd: 250e-6 },
    { case: 'a concurrency of 0 counts as the request alone', gpus: 1, busyMs: 1000, concurrency: 0, usd: 1000e-6 },
    { case: 'no busy time costs nothing', gpus: 8, busyMs: 0, concurrency: 1, usd: 0 },
  ])('$case', ({ gpus, busyMs, concurrency, usd }) => {
    const cost = costOf(GPU, inputs({ gpus, busyMs, concurrency }));
    expect(cost.basis).toBe('gpu-time');
    expect(cost.usd).toBeCloseTo(usd, 15);
    expect(cost.gpuUsd).toBe(cost.usd);
  });

  it('charges the GPU time whether or not the usage is known (the GPUs ran either way)', () => {
    expect(costOf(GPU, inputs({ usage: undefined })).usd).toBeCloseTo(costOf(GPU, inputs()).usd, 15);
  });
});

describe('costOf, unpriced', () => {
  it('is unpriced at 0 when the region sets no price at all', () => {
    expect(costOf(FREE, inputs())).toEqual({ usd: 0, basis: 'unpriced' });
  });

  it('treats a GPU-hour price of 0 as no GPU price', () => {
    expect(costOf({ ...FREE, gpuHourUsd: 0 }, inputs())).toEqual({ usd: 0, basis: 'unpriced' });
    expect(costOf({ ...TOKENS, gpuHourUsd: 0 }, inputs())).not.toHaveProperty('gpuUsd');
  });
});
