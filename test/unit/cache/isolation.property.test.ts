// Tenant and residency isolation of the response cache under attack, as properties over random
// sequences of (API key, request) pairs through the real request path (createApp: L1, a colo
// cache as L2, a shared store as L3; and L3 on a real redis-server behind the Upstash REST bridge).
//
// The design (src/cache/README.md, key.ts) decides what may share an entry: the same tenant, the
// same endpoint kind, the same resolved model, and the same request once parsed, whatever its
// whitespace and key order, minus the fields that cannot change the answer. And a cached answer
// is served to a key only when the region that made it is inside the key's scope. So:
// - every hit must have been filled by a request of the requester's own tenant, kind and
//   resolved model, equal as parsed JSON (the oracle here compares parsed values, not the key
//   code's canonical text), made in a region the requester's scope allows;
// - a request repeated by the same key with other whitespace, another key order, other
//   bookkeeping fields (user, stream: false) or other headers that do not change the answer
//   (x-session-id, traceparent, the caller's location) is a hit on the same answer;
// - a header that changes the answer (x-min-quality / x-max-latency-ms under `auto` pick another
//   model) gets that model's own entry, never the other's.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.ts';
import { ApiKeys } from '../../../src/auth/api-keys.ts';
import type { KeyRecord } from '../../../src/auth/key-record.ts';
import type { Transport } from '../../../src/backends/transport.ts';
import type { Store } from '../../../src/store/store.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { cacheStoreFromEnv } from '../../../src/cache/l3-store.ts';
import { upstreamResponse } from '../../support/upstream.ts';
import { localFleet } from '../core/fixtures.ts';
import { startRealRedis, type RealRedis } from '../store/real-redis.ts';
import { fakeColoCache } from './fakes.ts';

const FLEET = localFleet();
const RESIDENCY = new Map(FLEET.regions.map((r) => [r.id, r.residency]));
const SECRETS: Readonly<Record<string, string>> = { UPSTREAM_KEY_US_EAST: 'us', UPSTREAM_KEY_EU_WEST: 'eu', UPSTREAM_KEY_APAC: 'apac' };

/** Fields the README says cannot change the answer; the oracle drops them (and top-level nulls) before comparing. */
const BOOKKEEPING = ['model', 'stream', 'stream_options', 'user', 'metadata', 'store', 'priority', 'request_id'];

const TENANTS = ['acme', 'globex'] as const;
const SCOPES: readonly Pick<KeyRecord, 'regions' | 'residency'>[] = [{}, { residency: ['eu'] }, { residency: ['us'] }, { regions: ['apac'] }];
interface TestKey {
  key: string;
  tenant: string;
  scope: Pick<KeyRecord, 'regions' | 'residency'>;
}
const KEYS: TestKey[] = [];
const apiKeys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
beforeAll(async () => {
  for (const tenant of TENANTS) {
    for (const scope of SCOPES) KEYS.push({ key: (await apiKeys.create({ tenant, ...scope })).key, tenant, scope });
  }
});

const inScope = (scope: TestKey['scope'], region: string): boolean =>
  (!scope.regions?.length || scope.regions.includes(region)) && (!scope.residency?.length || scope.residency.includes(RESIDENCY.get(region) ?? ''));

const PLACES = {
  newYork: { latitude: '40.71', longitude: '-74.01', continent: 'NA', country: 'US' },
  frankfurt: { latitude: '50.11', longitude: '8.68', continent: 'EU', country: 'DE' },
  singapore: { latitude: '1.35', longitude: '103.82', continent: 'AS', country: 'SG' },
} as const;

interface Ask {
  keyIndex: number;
  kind: 'chat' | 'completions';
  prompt: string;
  model: string;
  params: Record<string, unknown>;
  /** Headers that change the answer under `auto` (another tier, so another model). */
  hint: Record<string, string>;
  place: keyof typeof PLACES;
  freshIsolate: boolean;
  cacheControl: string | undefined;
}

const askArb: fc.Arbitrary<Ask> = fc.record({
  keyIndex: fc.nat({ max: TENANTS.length * SCOPES.length - 1 }),
  kind: fc.constantFrom('chat' as const, 'completions' as const),
  // Few prompts and parameters: byte-identical bodies from both tenants are the common case.
  prompt: fc.constantFrom('Hi', 'What is 2+2?', 'Name a prime.'),
  model: fc.constantFrom('llama-3.1-8b', 'small', 'auto'),
  params: fc.constantFrom<Record<string, unknown>>({ temperature: 0 }, { seed: 7 }, { temperature: 0, max_tokens: 5 }, { temperature: 0, stop: ['\n'] }),
  hint: fc.constantFrom<Record<string, string>>({}, { 'x-min-quality': '0.95' }, { 'x-max-latency-ms': '50' }, { 'x-min-quality': '0.85' }),
  place: fc.constantFrom('newYork' as const, 'frankfurt' as const, 'singapore' as const),
  freshIsolate: fc.nat({ max: 9 }).map((n) => n < 3),
  cacheControl: fc.constantFrom(undefined, undefined, undefined, 'no-cache'),
});

/** How a request may be written without changing what it asks: whitespace, key order, bookkeeping fields, headers that do not change the answer. */
interface Spelling {
  indent: number | string;
  reverseKeys: boolean;
  padding: string;
  user: string | undefined;
  explicitStreamFalse: boolean;
  sessionId: string | undefined;
  traceparent: boolean;
}
const spellingArb: fc.Arbitrary<Spelling> = fc.record({
  indent: fc.constantFrom(0, 1, 2, '\t'),
  reverseKeys: fc.boolean(),
  padding: fc.constantFrom('', ' ', '\n', '\r\n\t '),
  user: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
  explicitStreamFalse: fc.boolean(),
  sessionId: fc.option(fc.stringMatching(/^[a-z0-9]{1,12}$/), { nil: undefined }),
  traceparent: fc.boolean(),
});

function bodyOf(ask: Ask): Record<string, unknown> {
  const asked = ask.kind === 'chat' ? { messages: [{ role: 'user', content: ask.prompt }] } : { prompt: ask.prompt };
  return { model: ask.model, ...asked, ...ask.params };
}

/** Reverses object key order at every depth (arrays keep their order: it is part of the request). */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversed(v)]));
}

function spelled(body: Record<string, unknown>, s: Spelling): string {
  const withBookkeeping = { ...body, ...(s.user === undefined ? {} : { user: s.user }), ...(s.explicitStreamFalse ? { stream: false } : {}) };
  return `${s.padding}${JSON.stringify(s.reverseKeys ? reversed(withBookkeeping) : withBookkeeping, null, s.indent)}${s.padding}`;
}

/** The oracle's view of a request: parsed, bookkeeping and top-level nulls dropped. */
function meaning(text: string): Record<string, unknown> {
  const parsed = JSON.parse(text) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(parsed).filter(([k, v]) => v !== null && !BOOKKEEPING.includes(k)));
}

interface Fill {
  tenant: string;
  kind: string;
  model: string;
  meaning: Record<string, unknown>;
  region: string;
}

/** Every answer an upstream produced, by its id (global: a Redis run sees entries of earlier runs). */
const fills = new Map<string, Fill>();
let answers = 0;

const upstream: Transport = async (request) => {
  const sent = JSON.parse(typeof request.body === 'string' ? request.body : '{}') as { model?: string };
  const id = `answer-${++answers}`;
  const chat = request.url.endsWith('/chat/completions');
  const body = chat
    ? { id, object: 'chat.completion', created: 1, model: sent.model, choices: [{ index: 0, message: { role: 'assistant', content: id }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }
    : { id, object: 'text_completion', created: 1, model: sent.model, choices: [{ index: 0, text: id, finish_reason: 'stop', logprobs: null }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
  return upstreamResponse(200, JSON.stringify(body), { 'content-type': 'application/json' });
};

/** What the run saw, so the test can show it exercised what it claims to. */
const seen = { tiers: new Set<string>(), hits: 0, crossTenantIdenticalMisses: 0, outOfScopeMisses: 0, respelledHits: 0, hintedModels: new Set<string>() };

function gatewayOver(store: Store | undefined, colo: ReturnType<typeof fakeColoCache> | undefined) {
  const app = createApp({ fleet: FLEET, keys: apiKeys, transport: upstream, secret: (n) => SECRETS[n], metrics: false, cache: { ...(colo ? { colo } : {}), ...(store ? { store } : {}) } });
  return async (ask: Ask, text: string, spelling?: Spelling) => {
    const testKey = KEYS[ask.keyIndex] as TestKey;
    const headers: Record<string, string> = { authorization: `Bearer ${testKey.key}`, 'content-type': 'application/json', ...ask.hint };
    if (ask.cacheControl) headers['cache-control'] = ask.cacheControl;
    if (spelling?.sessionId) headers['x-session-id'] = spelling.sessionId;
    if (spelling?.traceparent) headers['traceparent'] = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const request = new Request(`http://gateway.test/v1/${ask.kind === 'chat' ? 'chat/completions' : 'completions'}`, { method: 'POST', headers, body: text });
    const response = await app.request(Object.assign(request, { cf: PLACES[ask.place] }));
    const body = await response.text();
    await new Promise((r) => setTimeout(r, 1)); // the deferred fills
    return { status: response.status, cache: response.headers.get('x-switchyard-cache'), model: response.headers.get('x-switchyard-model'), region: response.headers.get('x-switchyard-region'), body };
  };
}

type Answer = Awaited<ReturnType<ReturnType<typeof gatewayOver>>>;

/** Checks one answer against everything filled so far; records it when it is a fill. */
function check(ask: Ask, text: string, answer: Answer): void {
  const testKey = KEYS[ask.keyIndex] as TestKey;
  if (answer.status !== 200) return; // e.g. a scoped key asking for a model its zone does not serve: 403
  const parsed = JSON.parse(answer.body) as { id: string; model: string };
  const mine = { tenant: testKey.tenant, kind: ask.kind, model: answer.model ?? '', meaning: meaning(text) };
  expect(parsed.model).toBe(answer.model);
  if (Object.keys(ask.hint).length > 0 && ask.model === 'auto') seen.hintedModels.add(mine.model);
  if (answer.cache === 'miss' || answer.cache === 'bypass') {
    expect(fills.has(parsed.id)).toBe(false);
    const region = answer.region ?? '';
    expect(inScope(testKey.scope, region)).toBe(true);
    // Was the same request already filled for another tenant, or for this tenant out of this key's scope?
    for (const f of fills.values()) {
      if (f.kind !== mine.kind || f.model !== mine.model || !isDeepStrictEqual(f.meaning, mine.meaning)) continue;
      if (f.tenant !== mine.tenant) seen.crossTenantIdenticalMisses++;
      else if (!inScope(testKey.scope, f.region)) seen.outOfScopeMisses++;
    }
    fills.set(parsed.id, { ...mine, region });
    return;
  }
  expect(answer.cache).toMatch(/^hit-l[123]$/);
  seen.hits++;
  seen.tiers.add(answer.cache ?? '');
  const fill = fills.get(parsed.id);
  expect(fill, `a hit served ${parsed.id}, which no upstream produced`).toBeDefined();
  if (!fill) return;
  expect({ tenant: fill.tenant, kind: fill.kind, model: fill.model }).toEqual({ tenant: mine.tenant, kind: mine.kind, model: mine.model });
  expect(isDeepStrictEqual(fill.meaning, mine.meaning), `served an answer filled for ${JSON.stringify(fill.meaning)} to ${JSON.stringify(mine.meaning)}`).toBe(true);
  expect(inScope(testKey.scope, fill.region), `a key scoped to ${JSON.stringify(testKey.scope)} was served an answer made in ${fill.region}`).toBe(true);
  expect(answer.region).toBe(fill.region);
}

async function isolationRun(steps: readonly { ask: Ask; respelling: Spelling }[], store: () => Store | undefined, withColo = true): Promise<void> {
  const colo = withColo ? fakeColoCache(Date.now) : undefined;
  const shared = store();
  let send = gatewayOver(shared, colo);
  for (const { ask, respelling } of steps) {
    if (ask.freshIsolate) send = gatewayOver(shared, colo); // a new isolate: empty L1, the same L2 and L3
    const text = spelled(bodyOf(ask), { indent: 0, reverseKeys: false, padding: '', user: undefined, explicitStreamFalse: false, sessionId: undefined, traceparent: false });
    const first = await send(ask, text);
    check(ask, text, first);
    if (first.status !== 200) continue;
    // The same request by the same key, written another way: the same answer, from L1.
    const again = spelled(bodyOf(ask), respelling);
    const second = await send({ ...ask, cacheControl: undefined, place: ask.place === 'singapore' ? 'newYork' : 'singapore' }, again, respelling);
    check(ask, again, second);
    expect(second.cache).toBe('hit-l1');
    expect((JSON.parse(second.body) as { id: string }).id).toBe((JSON.parse(first.body) as { id: string }).id);
    seen.respelledHits++;
  }
}

const stepsArb = fc.array(fc.record({ ask: askArb, respelling: spellingArb }), { minLength: 4, maxLength: 24 });

describe('response cache isolation (L1, colo L2, shared L3)', () => {
  it('serves a cached answer only to its own tenant, kind, model and request, from a region in the key’s scope; respelled requests hit', async () => {
    await fc.assert(
      fc.asyncProperty(stepsArb, (steps) => isolationRun(steps, () => new MemoryStore())),
      { numRuns: 60 },
    );
    // The runs did meet what the property is about.
    expect(seen.crossTenantIdenticalMisses).toBeGreaterThan(0);
    expect(seen.outOfScopeMisses).toBeGreaterThan(0);
    expect(seen.respelledHits).toBeGreaterThan(0);
    expect(seen.hintedModels.size).toBeGreaterThan(1);
    expect([...seen.tiers].sort()).toEqual(['hit-l1', 'hit-l2']);
  });

  it('keeps two tenants apart on byte-identical bodies, and a residency zone apart within a tenant, in every tier', async () => {
    const colo = fakeColoCache(Date.now);
    const store = new MemoryStore();
    const [acme, , acmeUs] = KEYS.map((_, i) => i);
    const globex = SCOPES.length;
    const ask: Ask = { keyIndex: acme ?? 0, kind: 'chat', prompt: 'Hi', model: 'llama-3.1-8b', params: { temperature: 0 }, hint: {}, place: 'frankfurt', freshIsolate: false, cacheControl: undefined };
    const text = JSON.stringify(bodyOf(ask));
    const made = await gatewayOver(store, colo)(ask, text);
    check(ask, text, made);
    expect([made.cache, made.region]).toEqual(['miss', 'eu-west']);
    // A fresh isolate (L2 and L3 hold the entry): the other tenant misses, byte for byte the same body.
    const other = await gatewayOver(store, colo)({ ...ask, keyIndex: globex }, text);
    check({ ...ask, keyIndex: globex }, text, other);
    expect(other.cache).toBe('miss');
    // A US-only key of the same tenant: the entry was made in the EU, so it is a miss too (and served in the US).
    const us = await gatewayOver(store, colo)({ ...ask, keyIndex: acmeUs ?? 2 }, text);
    check({ ...ask, keyIndex: acmeUs ?? 2 }, text, us);
    expect([us.cache, us.region]).toEqual(['miss', 'us-east']);
    // And the unscoped key of the same tenant hits, from L2 in a fresh isolate.
    const again = await gatewayOver(store, colo)(ask, text);
    check(ask, text, again);
    expect(again.cache).toMatch(/^hit-l[23]$/);
  });
});

describe('response cache isolation with L3 on a real redis-server (the Upstash REST bridge)', () => {
  let redis: RealRedis;
  beforeAll(async () => {
    redis = await startRealRedis();
  }, 30_000);
  afterAll(async () => {
    await redis?.close();
  });

  it('holds the same properties when fresh isolates share Redis', async () => {
    // L3 as the Node gateway builds it (its own Upstash client, retries off); no L2, so fresh isolates read Redis.
    const store = () => cacheStoreFromEnv({ UPSTASH_REDIS_REST_URL: redis.bridge.url, UPSTASH_REDIS_REST_TOKEN: redis.bridge.token });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ ask: fc.tuple(askArb, fc.boolean()).map(([a, fresh]) => ({ ...a, freshIsolate: fresh })), respelling: spellingArb }), { minLength: 4, maxLength: 16 }),
        (steps) => isolationRun(steps, store, false),
      ),
      { numRuns: 15 },
    );
    expect(seen.tiers).toContain('hit-l3');
  }, 60_000);
});
