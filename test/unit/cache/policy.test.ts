// The CachePolicy's edge section: accepted beside the reference example as written, defaults
// filled in, units parsed, mistakes named at their field.
import { describe, expect, it } from 'vitest';
import { DEFAULT_EDGE_CACHE } from '../../../src/cache/policy.ts';
import { parseBytes, parseDuration } from '../../../src/cache/units.ts';
import { compileFleet } from '../../../src/fleet/compile.ts';
import { FleetError, parseFleet } from '../../../src/fleet/load.ts';

const REGION = `apiVersion: switchyard.dev/v1alpha1
kind: Region
metadata: { name: us-east }
spec:
  location: { latitude: 38.9, longitude: -77.4, continent: NA }
  residency: us
  ingress: { domain: us-east.example }
`;

// The reference document's example, as written.
const REFERENCE_POLICY = `apiVersion: llm-d.ai/v1alpha1
kind: CachePolicy
metadata:
  name: multi-tier-cache
spec:
  tiers:
    - name: gpu
      size: 80Gi
      evictionPolicy: lru
    - name: memory
      size: 512Gi
      evictionPolicy: lru
      ttl: 1h
    - name: disk
      size: 2Ti
      evictionPolicy: lfu
      ttl: 24h
  prefixSharing:
    enabled: true
    minLength: 100
`;

const compile = (...docs: string[]) => compileFleet(parseFleet([REGION, ...docs].join('---\n'), 'policy.test.yaml'));
const problemsOf = (...docs: string[]) => {
  try {
    compile(...docs);
  } catch (error) {
    if (error instanceof FleetError) return error.problems.map((p) => `${p.field}: ${p.message}`);
    throw error;
  }
  return [];
};

describe('the edge cache policy', () => {
  it('is the documented default when the fleet has no CachePolicy', () => {
    expect(compile().cache).toEqual(DEFAULT_EDGE_CACHE);
    expect(DEFAULT_EDGE_CACHE).toMatchObject({
      enabled: true,
      cacheNonDeterministic: false,
      l1: { maxBytes: 16 * 1024 * 1024, eviction: 'lru', ttlSeconds: 300 },
      l2: { ttlSeconds: 3600 },
      l3: { ttlSeconds: 86_400, lookupTimeoutMs: 250 },
    });
  });

  it('is the default beside the reference example as written, whose tiers stay the backend KV tiers', () => {
    const fleet = parseFleet([REGION, REFERENCE_POLICY].join('---\n'), 'policy.test.yaml');
    expect(fleet.cachePolicies[0]?.spec.tiers).toHaveLength(3);
    expect(compileFleet(fleet).cache).toEqual(DEFAULT_EDGE_CACHE);
  });

  it('reads an edge section written beside the reference tiers, with units, and fills in the rest', () => {
    const cache = compile(
      `${REFERENCE_POLICY}  edge:
    cacheNonDeterministic: true
    maxEntryBytes: 256Ki
    l1: { maxBytes: 64Mi, eviction: lfu, ttl: 10m }
    l2: { ttl: 2h }
    l3: { ttl: 7d, lookupTimeout: 100ms }
`,
    ).cache;
    expect(cache).toEqual({
      enabled: true,
      source: 'multi-tier-cache',
      cacheNonDeterministic: true,
      maxEntryBytes: 256 * 1024,
      l1: { enabled: true, maxBytes: 64 * 1024 * 1024, eviction: 'lfu', ttlSeconds: 600 },
      l2: { enabled: true, ttlSeconds: 7200 },
      l3: { enabled: true, ttlSeconds: 7 * 86_400, lookupTimeoutMs: 100 },
    });
    expect(compile(`${REFERENCE_POLICY}  edge: { l1: { eviction: fifo }, l3: { enabled: false } }\n`).cache).toMatchObject({
      l1: { eviction: 'fifo', maxBytes: DEFAULT_EDGE_CACHE.l1.maxBytes },
      l3: { enabled: false, ttlSeconds: DEFAULT_EDGE_CACHE.l3.ttlSeconds },
    });
    expect(compile(`${REFERENCE_POLICY}  edge: { enabled: false }\n`).cache?.enabled).toBe(false);
  });

  it.each<[string, string, RegExp]>([
    ['an unknown eviction order', 'l1: { eviction: random }', /spec\.edge\.l1\.eviction: .*lru.*lfu.*fifo/],
    ['a malformed duration', 'l2: { ttl: soon }', /spec\.edge\.l2\.ttl: must be a duration/],
    ['a malformed size', 'l1: { maxBytes: lots }', /spec\.edge\.l1\.maxBytes: must be a size/],
    ['a size for the colo cache', 'l2: { ttl: 1h, maxBytes: 1Gi }', /spec\.edge\.l2: l2 takes enabled and ttl only: its size and eviction are the colo cache/],
    ['an eviction order for Redis', 'l3: { eviction: lru }', /spec\.edge\.l3: l3 takes enabled and ttl and lookupTimeout only: its size and eviction are the Redis database/],
    ['a misspelt field', 'cacheNondeterministic: true', /spec\.edge: /],
  ])('rejects %s, naming the field', (_what, edge, message) => {
    const problems = problemsOf(`${REFERENCE_POLICY}  edge: { ${edge} }\n`);
    expect(problems.join('\n')).toMatch(message);
  });

  it('allows one edge section in the fleet: the edge has one memory, one colo cache, one Redis', () => {
    const second = REFERENCE_POLICY.replace('name: multi-tier-cache', 'name: other');
    expect(problemsOf(`${REFERENCE_POLICY}  edge: {}\n`, `${second}  edge: {}\n`)).toEqual([
      'spec.edge: only one CachePolicy may have an edge section; "multi-tier-cache" already does',
    ]);
    expect(compile(`${REFERENCE_POLICY}  edge: { l2: { ttl: 5m } }\n`, second).cache?.l2.ttlSeconds).toBe(300);
  });
});

describe('units', () => {
  it.each<[string | number, number | undefined]>([
    ['500ms', 0.5],
    ['90s', 90],
    ['90', 90],
    [90, 90],
    ['30m', 1800],
    ['1h', 3600],
    ['1.5h', 5400],
    ['7d', 604_800],
    ['0s', undefined],
    ['-1h', undefined],
    ['1w', undefined],
    ['soon', undefined],
  ])('duration %j → %j seconds', (text, seconds) => expect(parseDuration(text)).toBe(seconds));

  it.each<[string | number, number | undefined]>([
    ['16Mi', 16 * 1024 ** 2],
    ['512Ki', 512 * 1024],
    ['1Gi', 1024 ** 3],
    ['64M', 64_000_000],
    ['64MB', 64_000_000],
    ['1000', 1000],
    [4096, 4096],
    ['0', undefined],
    ['1.5', 1],
    ['lots', undefined],
  ])('size %j → %j bytes', (text, bytes) => expect(parseBytes(text)).toBe(bytes));
});
