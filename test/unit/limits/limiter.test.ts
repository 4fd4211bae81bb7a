// The limiter over both kinds of counters: process memory, and real Redis through the REST
// bridge with @upstash/ratelimit (both sync modes). Same expectations for all three.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from '@upstash/redis/cloudflare';
import { GatewayError } from '../../../src/api/errors.ts';
import { PolicyVersion } from '../../../src/auth/policy-version.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import type { LimitCounters } from '../../../src/limits/counters.ts';
import { GatewayLimiter } from '../../../src/limits/gateway-limiter.ts';
import { UNLIMITED } from '../../../src/limits/limiter.ts';
import { MemoryCounters } from '../../../src/limits/memory-counters.ts';
import { UpstashCounters, type RateSync } from '../../../src/limits/upstash-counters.ts';
import { startRealRedis, type RealRedis } from '../store/real-redis.ts';
import { awayFromWindowEdge, deferred, errorOf, keyWith, tenantsOf } from './fixtures.ts';

let redis: RealRedis;
beforeAll(async () => {
  redis = await startRealRedis();
});
afterAll(async () => {
  await redis?.close();
});

const redisClient = () => new Redis({ url: redis.bridge.url, token: redis.bridge.token, enableTelemetry: false });

interface Subject {
  counters(): LimitCounters;
}

const SUBJECTS: [string, Subject][] = [
  ['memory', { counters: () => new MemoryCounters() }],
  ...(['deferred', 'strict'] as RateSync[]).map((sync): [string, Subject] => [`Redis (${sync})`, { counters: () => new UpstashCounters({ redis: redisClient(), sync }) }]),
];

describe.each(SUBJECTS)('the limiter over %s counters', (name, subject) => {
  // Admin changes reach a limiter through the policy version (one per test: a fresh store).
  let version: PolicyVersion;
  const limiter = (tenants = tenantsOf()) => new GatewayLimiter({ counters: subject.counters(), tenants, leaseMs: 60_000, version });
  beforeEach(async () => {
    if (name !== 'memory') await redis.command(['FLUSHDB']);
    version = new PolicyVersion(new MemoryStore());
    await awayFromWindowEdge();
  });

  it('admits a key nothing limits without touching any counter', async () => {
    const d = deferred();
    const admission = await limiter().admit({ key: keyWith(), tokens: 500, waitUntil: d.waitUntil });
    expect(admission).toBe(UNLIMITED);
  });

  it('counts requests per minute, with OpenAI headers, and refuses the one over the limit with 429 and Retry-After', async () => {
    const l = limiter();
    const key = keyWith({ limits: { rpm: 3 } });
    const d = deferred();
    const remaining = [];
    for (let i = 0; i < 3; i += 1) {
      const admission = await l.admit({ key, tokens: 10, waitUntil: d.waitUntil });
      await d.settled();
      expect(admission.headers['x-ratelimit-limit-requests']).toBe('3');
      expect(admission.headers['x-ratelimit-reset-requests']).toMatch(/^(1m0s|\d+s|\d+ms)$/);
      expect(admission.headers['x-ratelimit-limit-tokens']).toBeUndefined(); // no tpm limit
      remaining.push(admission.headers['x-ratelimit-remaining-requests']);
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const refused = await errorOf(l.admit({ key, tokens: 10, waitUntil: d.waitUntil }));
    expect(refused).toBeInstanceOf(GatewayError);
    expect(refused).toMatchObject({ status: 429, code: 'rate_limit_exceeded', type: 'requests' });
    expect(refused.message).toMatch(new RegExp(`requests per minute \\(RPM\\) on API key ${key.id}: limit 3`));
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers['x-ratelimit-remaining-requests']).toBe('0');
    // Another key is not affected.
    await expect(l.admit({ key: keyWith({ limits: { rpm: 3 } }), tokens: 1, waitUntil: d.waitUntil })).resolves.toBeDefined();
  });

  it('counts estimated tokens per minute, and settle gives back what the call did not use', async () => {
    const l = limiter();
    const key = keyWith({ limits: { tpm: 1000 } });
    const d = deferred();
    const first = await l.admit({ key, tokens: 600, waitUntil: d.waitUntil });
    await d.settled();
    expect(first.headers).toMatchObject({ 'x-ratelimit-limit-tokens': '1000', 'x-ratelimit-remaining-tokens': '400' });
    // Without the give-back, 600 more would not fit.
    await first.settle({ tokens: 100, costUsd: 0 });
    const second = await l.admit({ key, tokens: 600, waitUntil: d.waitUntil });
    await d.settled();
    expect(second.headers['x-ratelimit-remaining-tokens']).toBe('300');
    // A call that used more than estimated is charged the difference.
    await second.settle({ tokens: 850, costUsd: 0 });
    const refused = await errorOf(l.admit({ key, tokens: 100, waitUntil: d.waitUntil }));
    expect(refused).toMatchObject({ status: 429, code: 'rate_limit_exceeded', type: 'tokens' });
    expect(refused.message).toContain('tokens per minute (TPM)');
    expect(refused.message).toContain('requested 100');
    // Settling twice changes nothing.
    await second.settle({ tokens: 0, costUsd: 0 });
  });

  it('refuses a request whose estimate alone exceeds the tokens per minute', async () => {
    const key = keyWith({ limits: { tpm: 1000, rpm: 100 } });
    const refused = await errorOf(limiter().admit({ key, tokens: 5000, waitUntil: deferred().waitUntil }));
    expect(refused).toMatchObject({ status: 429, type: 'tokens' });
    expect(refused.headers['x-ratelimit-remaining-requests']).toBe('99');
  });

  it('caps requests in flight, frees a slot on release, and keeps no slot for a refused request', async () => {
    const l = limiter();
    const key = keyWith({ limits: { concurrency: 2 } });
    const d = deferred();
    const a = await l.admit({ key, tokens: 1, waitUntil: d.waitUntil });
    const b = await l.admit({ key, tokens: 1, waitUntil: d.waitUntil });
    const refused = await errorOf(l.admit({ key, tokens: 1, waitUntil: d.waitUntil }));
    expect(refused).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect(refused.message).toMatch(/concurrent requests on API key .*: limit 2/);
    expect(refused.headers['retry-after']).toBe('1');
    await a.release();
    await a.release(); // idempotent: must not free b's slot
    const c = await l.admit({ key, tokens: 1, waitUntil: d.waitUntil });
    await expect(l.admit({ key, tokens: 1, waitUntil: d.waitUntil })).rejects.toMatchObject({ status: 429 });
    await Promise.all([b.release(), c.release()]);
    await d.settled();
    await expect(l.admit({ key, tokens: 1, waitUntil: d.waitUntil })).resolves.toBeDefined();
  });

  it('releases the slot a request took when another limit refuses it', async () => {
    const l = limiter();
    const key = keyWith({ limits: { concurrency: 1, rpm: 1 } });
    const d = deferred();
    const first = await l.admit({ key, tokens: 1, waitUntil: d.waitUntil });
    await first.release();
    await expect(l.admit({ key, tokens: 1, waitUntil: d.waitUntil })).rejects.toMatchObject({ type: 'requests' });
    await d.settled();
    // The slot is free: only rpm refuses (a key with the same concurrency and room in rpm is admitted).
    const other = keyWith({ limits: { concurrency: 1 } });
    await expect(l.admit({ key: other, tokens: 1, waitUntil: d.waitUntil })).resolves.toBeDefined();
  });

  it("shares a tenant's limits across its keys, and reports the tighter of key and tenant", async () => {
    const l = limiter(tenantsOf({ acme: { limits: { rpm: 4 } } }));
    const one = keyWith({ limits: { rpm: 10 } });
    const two = keyWith();
    const d = deferred();
    const seen = [];
    for (const key of [one, two, one, two]) {
      const admission = await l.admit({ key, tokens: 1, waitUntil: d.waitUntil });
      await d.settled();
      seen.push(admission.headers['x-ratelimit-remaining-requests']);
    }
    expect(seen).toEqual(['3', '2', '1', '0']);
    const refused = await errorOf(l.admit({ key: one, tokens: 1, waitUntil: d.waitUntil }));
    expect(refused.message).toContain('on tenant acme');
    // Another tenant's key is not affected.
    await expect(l.admit({ key: keyWith({ tenant: 'globex', limits: { rpm: 1 } }), tokens: 1, waitUntil: d.waitUntil })).resolves.toBeDefined();
  });

  it('refuses with insufficient_quota once a daily token budget is spent, until midnight UTC', async () => {
    const l = limiter();
    const key = keyWith({ budgets: { daily: { tokens: 1000 } } });
    const d = deferred();
    const first = await l.admit({ key, tokens: 10, waitUntil: d.waitUntil });
    expect(first.headers).toEqual({});
    await first.settle({ tokens: 999, costUsd: 0 });
    const second = await l.admit({ key, tokens: 10, waitUntil: d.waitUntil });
    await second.settle({ tokens: 1, costUsd: 0 });
    const refused = await errorOf(l.admit({ key, tokens: 10, waitUntil: d.waitUntil }));
    expect(refused).toMatchObject({ status: 429, code: 'insufficient_quota', type: 'insufficient_quota' });
    expect(refused.message).toContain(`daily token (1000) budget of API key ${key.id}`);
    const untilMidnight = Math.ceil((Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1) - Date.now()) / 1000);
    expect(Math.abs(Number(refused.headers['retry-after']) - untilMidnight)).toBeLessThanOrEqual(2);
  });

  it("refuses once a tenant's monthly dollar budget is spent, for every key of the tenant", async () => {
    const l = limiter(tenantsOf({ acme: { budgets: { monthly: { usd: 0.5 } } } }));
    const d = deferred();
    const first = await l.admit({ key: keyWith(), tokens: 10, waitUntil: d.waitUntil });
    await first.settle({ tokens: 100, costUsd: 0.3 });
    const second = await l.admit({ key: keyWith(), tokens: 10, waitUntil: d.waitUntil });
    await second.settle({ tokens: 100, costUsd: 0.2 });
    const refused = await errorOf(l.admit({ key: keyWith(), tokens: 10, waitUntil: d.waitUntil }));
    expect(refused).toMatchObject({ code: 'insufficient_quota' });
    expect(refused.message).toContain('monthly dollar ($0.5) budget of tenant acme');
    await expect(l.admit({ key: keyWith({ tenant: 'globex' }), tokens: 10, waitUntil: d.waitUntil })).resolves.toBeDefined();
  });

  it('applies a changed limit at once, keeping what the window already counted', async () => {
    const l = limiter();
    const key = keyWith({ limits: { rpm: 2 } });
    const d = deferred();
    await l.admit({ key, tokens: 1, waitUntil: d.waitUntil });
    await l.admit({ key, tokens: 1, waitUntil: d.waitUntil });
    await d.settled();
    await expect(l.admit({ key, tokens: 1, waitUntil: d.waitUntil })).rejects.toMatchObject({ status: 429 });
    await d.settled();
    const raised = { ...key, limits: { rpm: 5 } };
    await version.bump(); // what the admin API does after writing the record
    // The refused request counted too (as OpenAI counts them): 3 of 5 used. `deferred` counts
    // a refusal only in the instance that refused (the library syncs admitted takes only).
    const admission = await l.admit({ key: raised, tokens: 1, waitUntil: d.waitUntil });
    expect(admission.headers['x-ratelimit-remaining-requests']).toBe(name === 'Redis (deferred)' ? '2' : '1');
    const lowered = { ...key, limits: { rpm: 1 } };
    await version.bump();
    await expect(l.admit({ key: lowered, tokens: 1, waitUntil: d.waitUntil })).rejects.toMatchObject({ status: 429 });
  });
});

describe('the limiter in memory, with a clock', () => {
  it('opens a new window every minute', async () => {
    let now = Date.parse('2026-12-04T10:00:10Z');
    const l = new GatewayLimiter({ counters: new MemoryCounters({ now: () => now }), tenants: tenantsOf(), leaseMs: 60_000, now: () => now });
    const key = keyWith({ limits: { rpm: 1 } });
    const d = deferred();
    const first = await l.admit({ key, tokens: 1, waitUntil: d.waitUntil });
    expect(first.headers['x-ratelimit-reset-requests']).toBe('50s');
    const refused = await errorOf(l.admit({ key, tokens: 1, waitUntil: d.waitUntil }));
    expect(refused.headers['retry-after']).toBe('50');
    now += 50_000;
    await expect(l.admit({ key, tokens: 1, waitUntil: d.waitUntil })).resolves.toBeDefined();
  });

  it('reclaims a concurrency slot whose holder never released it once its lease ends', async () => {
    let now = 0;
    const l = new GatewayLimiter({ counters: new MemoryCounters({ now: () => now }), tenants: tenantsOf(), leaseMs: 10_000, now: () => now });
    const key = keyWith({ limits: { concurrency: 1 } });
    const d = deferred();
    await l.admit({ key, tokens: 1, waitUntil: d.waitUntil }); // never released
    await expect(l.admit({ key, tokens: 1, waitUntil: d.waitUntil })).rejects.toMatchObject({ status: 429 });
    now = 10_000;
    await expect(l.admit({ key, tokens: 1, waitUntil: d.waitUntil })).resolves.toBeDefined();
  });

  it('renews a daily budget at midnight UTC and a monthly one on the 1st', async () => {
    let now = Date.parse('2026-12-31T23:59:00Z');
    const l = new GatewayLimiter({ counters: new MemoryCounters({ now: () => now }), tenants: tenantsOf(), leaseMs: 1, now: () => now });
    const daily = keyWith({ budgets: { daily: { tokens: 10 } } });
    const monthly = keyWith({ budgets: { monthly: { tokens: 10 } } });
    const d = deferred();
    for (const key of [daily, monthly]) await (await l.admit({ key, tokens: 1, waitUntil: d.waitUntil })).settle({ tokens: 10, costUsd: 0 });
    const refused = await errorOf(l.admit({ key: daily, tokens: 1, waitUntil: d.waitUntil }));
    expect(refused.headers['retry-after']).toBe('60');
    now = Date.parse('2027-01-01T00:00:00Z');
    await expect(l.admit({ key: daily, tokens: 1, waitUntil: d.waitUntil })).resolves.toBeDefined();
    await expect(l.admit({ key: monthly, tokens: 1, waitUntil: d.waitUntil })).resolves.toBeDefined();
  });
});

describe('the limiter across two instances sharing Redis', () => {
  beforeEach(async () => {
    await redis.command(['FLUSHDB']);
    await awayFromWindowEdge();
  });

  it('strict: admits exactly the limit, however requests alternate between instances', async () => {
    const key = keyWith({ limits: { rpm: 10 } });
    const instances = [0, 1].map(() => new GatewayLimiter({ counters: new UpstashCounters({ redis: redisClient(), sync: 'strict' }), tenants: tenantsOf(), leaseMs: 1 }));
    const d = deferred();
    let admitted = 0;
    for (let i = 0; i < 20; i += 1) {
      try {
        await instances[i % 2]?.admit({ key, tokens: 1, waitUntil: d.waitUntil });
        admitted += 1;
      } catch {
        // refused
      }
    }
    expect(admitted).toBe(10);
  });

  it('deferred: an instance learns what the others counted from its next sync, so the overshoot stays within one sync', async () => {
    const key = keyWith({ limits: { rpm: 10 } });
    const [a, b] = [0, 1].map(() => new GatewayLimiter({ counters: new UpstashCounters({ redis: redisClient(), sync: 'deferred' }), tenants: tenantsOf(), leaseMs: 1 }));
    if (!a || !b) throw new Error('two instances');
    const d = deferred();
    const attempt = async (instance: GatewayLimiter) => {
      try {
        await instance.admit({ key, tokens: 1, waitUntil: d.waitUntil });
        await d.settled(); // the deferred sync has landed (waitUntil after the response)
        return 1;
      } catch {
        return 0;
      }
    };
    let admitted = 0;
    for (let i = 0; i < 6; i += 1) admitted += await attempt(a);
    for (let i = 0; i < 6; i += 1) admitted += await attempt(b); // b's first check reads the global count (6)
    // a's view is 6 until its next sync answers with the global count: one take of overshoot at most.
    for (let i = 0; i < 6; i += 1) admitted += await attempt(a);
    expect(admitted).toBeGreaterThanOrEqual(10);
    expect(admitted).toBeLessThanOrEqual(11);
    expect(await attempt(a)).toBe(0);
    expect(await attempt(b)).toBe(0);
    const window = Math.floor(Date.now() / 60_000);
    expect(Number(await redis.command(['GET', `switchyard:rl:rpm:key:${key.id}:${window}`]))).toBe(admitted);
  });

  it('keeps its counts under the keys @upstash/ratelimit uses, which give-backs rely on', async () => {
    const counters = new UpstashCounters({ redis: redisClient(), sync: 'strict' });
    const d = deferred();
    const take = await counters.take('tpm:key:key_pinned', 1000, 700, d.waitUntil);
    const window = take.resetAt / 60_000 - 1;
    expect(await redis.command(['GET', `switchyard:rl:tpm:key:key_pinned:${window}`])).toBe('700');
    await counters.adjust('tpm:key:key_pinned', -500, take.resetAt);
    expect(await redis.command(['GET', `switchyard:rl:tpm:key:key_pinned:${window}`])).toBe('200');
    expect(Number(await redis.command(['PTTL', `switchyard:rl:tpm:key:key_pinned:${window}`]))).toBeGreaterThan(0);
  });
});

describe('the limiter when Redis does not answer', () => {
  it('lets requests through (limits fail open) and reports the error', async () => {
    const errors: unknown[] = [];
    const counters = new UpstashCounters({
      redis: new Redis({ url: 'http://127.0.0.1:9', token: 't', enableTelemetry: false, retry: false }),
      onError: (error) => errors.push(error),
    });
    const l = new GatewayLimiter({ counters, tenants: tenantsOf(), leaseMs: 1 });
    const key = keyWith({ limits: { rpm: 1, tpm: 10, concurrency: 1 }, budgets: { daily: { tokens: 1000 } } });
    const d = deferred();
    for (let i = 0; i < 3; i += 1) {
      const admission = await l.admit({ key, tokens: 5, waitUntil: d.waitUntil });
      await admission.settle({ tokens: 5, costUsd: 0 });
      await admission.release();
    }
    await d.settled();
    expect(errors.length).toBeGreaterThan(0);
  });
});

describe('deferred counters over Redis', () => {
  /** Counts the HTTP requests the Upstash client sends while `work` runs. */
  async function countingRequests(work: () => Promise<void>): Promise<number> {
    const original = globalThis.fetch;
    let requests = 0;
    globalThis.fetch = ((...args: Parameters<typeof fetch>) => {
      requests += 1;
      return original(...args);
    }) as typeof fetch;
    try {
      await work();
    } finally {
      globalThis.fetch = original;
    }
    return requests;
  }

  it("sends many requests' increments and corrections as one pipelined sync, which another instance then sees", async () => {
    await awayFromWindowEdge();
    const id = `coalesced-${Math.random().toString(36).slice(2)}`;
    const mine = new UpstashCounters({ redis: redisClient(), sync: 'deferred' });
    const d = deferred();
    const first = await mine.take(id, 1_000, 1, d.waitUntil); // the window's first check waits for Redis
    await d.settled();
    const requests = await countingRequests(async () => {
      for (let i = 0; i < 50; i++) await mine.take(id, 1_000, 2, d.waitUntil);
      d.waitUntil(mine.adjust(id, -10, first.resetAt));
      await d.settled();
    });
    expect(requests).toBe(1);
    const other = new UpstashCounters({ redis: redisClient(), sync: 'deferred' });
    const seen = await other.take(id, 1_000, 1, d.waitUntil);
    expect(seen.remaining).toBe(1_000 - (1 + 100 - 10 + 1));
  });

  it('sends nothing for a refused take (it counts only where it was refused), as @upstash/ratelimit does', async () => {
    await awayFromWindowEdge();
    const id = `refused-${Math.random().toString(36).slice(2)}`;
    const mine = new UpstashCounters({ redis: redisClient(), sync: 'deferred' });
    const d = deferred();
    await mine.take(id, 2, 2, d.waitUntil);
    const requests = await countingRequests(async () => {
      expect((await mine.take(id, 2, 1, d.waitUntil)).allowed).toBe(false);
      await d.settled();
    });
    expect(requests).toBe(0);
  });
});
