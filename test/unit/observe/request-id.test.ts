import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../../src/app-env.ts';
import { randomHex, randomUuid } from '../../../src/observe/random-hex.ts';
import { requestId } from '../../../src/observe/request-id.ts';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function app(): Hono<AppEnv> {
  const a = new Hono<AppEnv>();
  a.use('*', requestId());
  a.get('/', (c) => c.text(c.get('requestId')));
  return a;
}

describe('random ids from the pool', () => {
  it('are version-4 UUIDs, all different, across many pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const id = randomUuid();
      expect(id).toMatch(UUID_V4);
      seen.add(id);
    }
    expect(seen.size).toBe(2_000);
  });

  it('cuts hex of the asked length, never the same twice', () => {
    const a = randomHex(16);
    const b = randomHex(16);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(randomHex(8)).toMatch(/^[0-9a-f]{16}$/);
    expect(a).not.toBe(b);
  });
});

describe('requestId middleware', () => {
  it('gives a request without an id a fresh UUID, in c.var and the answer header', async () => {
    const res = await app().request('/');
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(UUID_V4);
    expect(await res.text()).toBe(id);
  });

  it("keeps the client's id when it is short and plain", async () => {
    const res = await app().request('/', { headers: { 'x-request-id': 'client-req_42=' } });
    expect(res.headers.get('x-request-id')).toBe('client-req_42=');
    expect(await res.text()).toBe('client-req_42=');
  });

  it.each([
    ['characters outside [A-Za-z0-9_-=]', 'bad id/with spaces'],
    ['more than 128 characters', 'a'.repeat(129)],
    ['an empty value', ''],
  ])('replaces a client id with %s', async (_, given) => {
    const res = await app().request('/', { headers: { 'x-request-id': given } });
    expect(res.headers.get('x-request-id')).toMatch(UUID_V4);
  });
});
