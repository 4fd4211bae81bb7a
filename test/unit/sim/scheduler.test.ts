import { describe, expect, it } from 'vitest';
import { KvCache } from '../../../infra/local/sim/kv-cache.ts';
import { PROFILES, type SimProfile } from '../../../infra/local/sim/latency-model.ts';
import { type Admission, type Job, Scheduler } from '../../../infra/local/sim/scheduler.ts';

const profile: SimProfile = { ...PROFILES.fast, name: 'tiny', maxNumSeqs: 2, maxWaitingQueueLength: 1, kvCacheBlocks: 10 };

function setup(p: SimProfile = profile) {
  const kv = new KvCache({ numBlocks: p.kvCacheBlocks, blockSize: p.blockSize });
  const started: Array<[number, Admission]> = [];
  const job = (id: number, tokens = 16, total = tokens): Job => ({
    id,
    promptTokens: Array.from({ length: tokens }, (_, i) => id * 1000 + i),
    totalTokens: total,
    salt: '',
    start: (a) => started.push([id, a]),
  });
  return { kv, scheduler: new Scheduler(p, kv), started, job };
}

describe('Scheduler (continuous batching admission)', () => {
  it('runs up to max_num_seqs, queues the next, refuses when the waiting queue is full', () => {
    const { scheduler, started, job } = setup();
    expect(scheduler.submit(job(1))).toBe('admitted');
    expect(scheduler.submit(job(2))).toBe('admitted');
    expect(scheduler.submit(job(3))).toBe('queued');
    expect(scheduler.submit(job(4))).toBe('queue-full');
    expect(started.map(([id]) => id)).toEqual([1, 2]);
    expect([scheduler.running, scheduler.waiting]).toEqual([2, 1]);
  });

  it('starts waiting jobs in FIFO order as running ones end', () => {
    const p = { ...profile, maxWaitingQueueLength: 5 };
    const { scheduler, started, job } = setup(p);
    for (const id of [1, 2, 3, 4, 5]) scheduler.submit(job(id));
    expect(scheduler.remove(2)).toBe('running');
    expect(scheduler.remove(4)).toBe('waiting');
    expect(scheduler.remove(1)).toBe('running');
    expect(started.map(([id]) => id)).toEqual([1, 2, 3, 5]);
    expect(scheduler.remove(42)).toBe('absent');
    expect([scheduler.running, scheduler.waiting]).toEqual([2, 0]);
  });

  it('keeps a job waiting while the KV cache has no room, even with a free slot, and blocks those behind it', () => {
    const { scheduler, started, job } = setup({ ...profile, maxWaitingQueueLength: 5 });
    expect(scheduler.submit(job(1, 16, 16 * 8))).toBe('admitted'); // 8 of 10 blocks
    expect(scheduler.submit(job(2, 16, 16 * 3))).toBe('queued'); // needs 3, 2 left
    expect(scheduler.submit(job(3, 16, 16))).toBe('queued'); // would fit, but FIFO
    scheduler.remove(1);
    expect(started.map(([id]) => id)).toEqual([1, 2, 3]);
  });

  it('reports the prefix-cache hit at admission and refuses a job larger than the whole cache', () => {
    const { scheduler, started, job } = setup();
    scheduler.submit(job(1, 40));
    scheduler.remove(1);
    scheduler.submit({ ...job(2, 40), promptTokens: job(1, 40).promptTokens });
    expect(started[1]).toEqual([2, { cachedTokens: 32, blocks: 3 }]);
    expect(scheduler.submit(job(3, 16, 16 * 11))).toBe('too-large');
  });

  it('survives a job that ends synchronously inside start (the zero-latency path)', () => {
    const kv = new KvCache({ numBlocks: 10, blockSize: 16 });
    const scheduler = new Scheduler(profile, kv);
    const order: number[] = [];
    const instant = (id: number): Job => ({
      id,
      promptTokens: [id],
      totalTokens: 1,
      salt: '',
      start: () => {
        order.push(id);
        scheduler.remove(id);
      },
    });
    for (const id of [1, 2, 3, 4]) expect(scheduler.submit(instant(id))).toBe('admitted');
    expect(order).toEqual([1, 2, 3, 4]);
    expect([scheduler.running, scheduler.waiting, kv.usage()]).toEqual([0, 0, 0]);
  });
});
