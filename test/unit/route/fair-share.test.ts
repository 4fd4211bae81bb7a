// The fair-share filter: below the endpoint's concurrency anyone gets in; at it, each tenant
// with requests there keeps endpointConcurrency × its weight ÷ the weights of them all.
import { describe, expect, it } from 'vitest';
import { fairShare } from '../../../src/route/filters/fair-share.ts';
import { LiveState } from '../../../src/route/live-state.ts';
import { candidatesOf, localFleet, routeRequest } from '../core/fixtures.ts';

const fleet = localFleet();
const candidates = candidatesOf(fleet, 'llama-3.1-8b');
const first = candidates[0];
if (!first) throw new Error('the local fleet serves llama-3.1-8b');
const target = first;
const only = [target];

/** A live state with these requests in flight on the target endpoint, by tenant. */
function loaded(inflight: Record<string, number>): LiveState {
  const live = new LiveState(fleet.endpoints.map((e) => e.id));
  for (const [tenant, n] of Object.entries(inflight)) for (let i = 0; i < n; i++) live.begin(target.endpoint.id, tenant);
  return live;
}

const admits = (filter: ReturnType<typeof fairShare>, tenant: string | undefined, live: LiveState) =>
  filter.filter(routeRequest(fleet, 'llama-3.1-8b', { tenant }), only, live.view(0)).length === 1;

describe('fair share of a saturated endpoint', () => {
  const equal = fairShare({ endpointConcurrency: 6, weights: {}, defaultWeight: 1 });

  it('lets anyone in below the endpoint concurrency, the loudest tenant included', () => {
    expect(admits(equal, 'loud', loaded({ loud: 5 }))).toBe(true);
  });

  it('at capacity, refuses the tenant that holds it all and admits a newcomer', () => {
    const live = loaded({ loud: 6 });
    expect(admits(equal, 'loud', live)).toBe(false);
    expect(admits(equal, 'quiet', live)).toBe(true);
  });

  it('splits by weight: a tenant weighted 2 keeps two thirds against one weighted 1', () => {
    const weighted = fairShare({ endpointConcurrency: 6, weights: { gold: 2 }, defaultWeight: 1 });
    expect(admits(weighted, 'gold', loaded({ gold: 3, bronze: 3 }))).toBe(true); // 3 < 4
    expect(admits(weighted, 'gold', loaded({ gold: 4, bronze: 2 }))).toBe(false); // 4 = its share
    expect(admits(weighted, 'bronze', loaded({ gold: 4, bronze: 1 }))).toBe(true); // 1 < 2
    expect(admits(weighted, 'bronze', loaded({ gold: 4, bronze: 2 }))).toBe(false);
  });

  it('counts only tenants with requests in flight: a finished tenant gives its share back', () => {
    const live = new LiveState(fleet.endpoints.map((e) => e.id));
    const ends = Array.from({ length: 3 }, () => live.begin(target.endpoint.id, 'gone'));
    for (let i = 0; i < 3; i++) live.begin(target.endpoint.id, 'loud');
    expect(admits(equal, 'loud', live)).toBe(false); // 3 = 6 × 1/2
    for (const end of ends) end();
    for (let i = 0; i < 3; i++) live.begin(target.endpoint.id, 'other');
    expect(live.view(0).endpoint(target.endpoint.id).tenants.has('gone')).toBe(false);
    expect(admits(equal, 'loud', live)).toBe(false);
  });

  it('leaves requests without a tenant alone', () => {
    expect(admits(equal, undefined, loaded({ loud: 10 }))).toBe(true);
  });
});

