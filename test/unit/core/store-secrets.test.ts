// The Upstash token never reaches a client or a log line, even from a REST endpoint that quotes it
// back in its errors (a proxy in front of Upstash, a misconfigured bridge): key lookups and the L3
// cache and the limiter's counters go through it here, every console line and answer is read.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../../src/app.ts';
import { ApiKeys } from '../../../src/auth/api-keys.ts';
import type { Transport } from '../../../src/backends/transport.ts';
import { cacheStoreFromEnv } from '../../../src/cache/l3-store.ts';
import type { RequestLog } from '../../../src/observe/request-log.ts';
import { limitCountersFromEnv } from '../../../src/limits/counters-from-env.ts';
import { storeFromEnv } from '../../../src/store/select-store.ts';
import { upstreamResponse } from '../../support/upstream.ts';
import { localFleet } from './fixtures.ts';

const TOKEN = 'AX3kUpstashToken-7c1f9e2b4d6a8f0e1c3b5d7f9a1c3e5b';
let server: http.Server;
let url = '';
beforeAll(async () => {
  // Answers every command with an error that quotes the token it was sent and its own address.
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `ERR upstream refused ${req.headers.authorization ?? ''} (token ${TOKEN}) at ${url}${req.url ?? ''}` }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const OK = '{"id":"c","object":"chat.completion","created":1,"model":"llama-3.1-8b","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';

describe('a store endpoint that quotes the Upstash token in its errors', () => {
  it('key lookups fail with 503 and the cache misses; no answer, header or console line carries the token', async () => {
    const printed: string[] = [];
    const spies = (['error', 'warn', 'log', 'info'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        printed.push(args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack ?? ''}\n${String((a as { cause?: unknown }).cause ?? '')}` : typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
      }),
    );
    try {
      const env = { UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: TOKEN };
      const logs: RequestLog[] = [];
      const transport: Transport = async () => upstreamResponse(200, OK, { 'content-type': 'application/json' });
      // Keys through the store (its lookups fail) for one app; the other app's key is known from a
      // working store, and its L3 cache is the failing endpoint.
      const failingKeys = new ApiKeys(storeFromEnv(env), { memoTtlMs: 0, lookupTimeoutMs: 2_000 });
      const app = createApp({ fleet: localFleet(), keys: failingKeys, transport, secret: () => 'region-secret', log: (l) => logs.push(l), metrics: false });
      const refused = await app.request('/v1/chat/completions', {
        method: 'POST',
        headers: { authorization: `Bearer sy-${'a'.repeat(40)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'Hi' }] }),
      });
      const refusedText = await refused.text();
      expect(refused.status).toBe(503);

      const { MemoryStore } = await import('../../../src/store/memory-store.ts');
      const workingKeys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
      const { key } = await workingKeys.create({ tenant: 'acme' });
      const l3 = cacheStoreFromEnv(env);
      const cached = createApp({ fleet: localFleet(), keys: workingKeys, transport, secret: () => 'region-secret', log: (l) => logs.push(l), metrics: false, cache: l3 ? { store: l3 } : {} });
      const served = await cached.request('/v1/chat/completions', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'Hi' }], temperature: 0 }),
      });
      const servedText = await served.text();
      expect(served.status).toBe(200);
      expect(served.headers.get('x-switchyard-cache')).toBe('miss');
      await new Promise((r) => setTimeout(r, 200)); // the deferred fill fails against the store, and is logged
      // The limiter's counters in Redis: a failed take fails open, and is logged.
      const take = await limitCountersFromEnv(env).take('key_abc', 10, 1, () => {});
      expect(take.allowed).toBe(true);

      const everything = [refusedText, servedText, [...refused.headers].join('\n'), [...served.headers].join('\n'), JSON.stringify(logs), ...printed].join('\n');
      expect(printed.length).toBeGreaterThan(0); // the store's failures were reported
      expect(everything).not.toContain(TOKEN);
      expect(refusedText).not.toContain(url);
      // Nor what the command carried (a cached answer is a tenant's data, not a log line's).
      expect(printed.join('\n')).not.toContain('chat.completion');
      expect(printed.join('\n')).toMatch(/limits_store_error/);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});
