// The forwarder walks a ranking only as far as it needs: a fallback region's pool is ordered
// (src/route/region-pool-picker.ts) only when an attempt reaches it.
import { describe, expect, it } from 'vitest';
import { OPENAI_ENDPOINTS } from '../../../src/api/openai-endpoints.ts';
import type { Backend } from '../../../src/backends/backend.ts';
import { CancelScope } from '../../../src/backends/cancellation.ts';
import { TransportError } from '../../../src/backends/transport.ts';
import { forward } from '../../../src/forward/forward.ts';
import { LiveState } from '../../../src/route/live-state.ts';
import type { Scored } from '../../../src/route/types.ts';
import { upstreamResponse } from '../../support/upstream.ts';
import { candidatesOf, localFleet } from './fixtures.ts';

const fleet = localFleet();
// us-east pod-a, us-east pod-b, eu-west, apac
const scored: Scored[] = candidatesOf(fleet, 'llama-3.1-8b').map((candidate) => ({ candidate, total: 1, parts: {} }));
const TIMEOUTS = { connectMs: 2000, firstByteMs: 30000, totalMs: 300000, streamIdleMs: 30000 };

/** The ranking as an iterable that counts how many entries were read. */
function counted(list: readonly Scored[]) {
  const read = { count: 0 };
  const ranking: Iterable<Scored> = {
    *[Symbol.iterator]() {
      for (const s of list) {
        read.count++;
        yield s;
      }
    },
  };
  return { ranking, read };
}

function walk(ranking: Iterable<Scored>, answer: (endpoint: string) => 'ok' | 'refused') {
  const contacted: string[] = [];
  const backend: Backend = {
    kind: 'vllm',
    send: async (call) => {
      contacted.push(call.endpoint.id);
      if (answer(call.endpoint.id) === 'refused') throw new TransportError('network', 'ECONNREFUSED');
      return upstreamResponse(200, '{}');
    },
  };
  let t = 1_000;
  const done = forward(
    { ranked: ranking, route: OPENAI_ENDPOINTS.chat.upstream, body: '{}', attempts: [], requestId: 'r', timeouts: TIMEOUTS, cancel: new CancelScope(), maxAttempts: 3 },
    { backends: { vllm: backend, sagemaker: backend }, credential: () => undefined, credentialMissing: () => false, now: () => (t += 5), live: new LiveState(fleet.endpoints.map((e) => e.id)) },
  );
  return { done, contacted };
}

describe('forward over a lazy ranking', () => {
  it('reads only the pick when it answers', async () => {
    const { ranking, read } = counted(scored);
    const { done, contacted } = walk(ranking, () => 'ok');
    expect((await done).candidate.endpoint.id).toBe('us-east/llama-3.1-8b/pod-a');
    expect(contacted).toEqual(['us-east/llama-3.1-8b/pod-a']);
    expect(read.count).toBe(1);
  });

  it('reads past a region that refused, deferring its other endpoints, as over a list', async () => {
    const { ranking, read } = counted(scored);
    const { done, contacted } = walk(ranking, (id) => (id.startsWith('us-east') ? 'refused' : 'ok'));
    expect((await done).candidate.region.id).toBe('eu-west');
    expect(contacted).toEqual(['us-east/llama-3.1-8b/pod-a', 'eu-west/llama-3.1-8b/0']);
    expect(read.count).toBe(3); // pod-b was read (and deferred) on the way to eu-west; apac never
  });
});
