// One simulated vLLM server on the event clock: the simulator's own KV cache (prefix caching,
// LRU eviction) and FCFS scheduler (max_num_seqs, waiting queue), with output tokens paced by
// its latency model exactly as infra/local/sim/inference.ts paces them in real time: each
// token's wait is computed when the previous one is out, from the batch running at that moment.
import { KvCache } from '../../infra/local/sim/kv-cache.ts';
import { tokenDelayMs, type SimProfile } from '../../infra/local/sim/latency-model.ts';
import { Scheduler, type SubmitResult } from '../../infra/local/sim/scheduler.ts';
import type { EventQueue } from './events.ts';

export interface EngineRequest {
  readonly promptIds: readonly number[];
  readonly outputTokens: number;
  /** Admission: the request starts running with this many prompt tokens served from cache. */
  onStart(cachedTokens: number): void;
  onFirstToken(): void;
  /** Called for each output token as it is released. */
  onToken(): void;
  onDone(): void;
}

export class SimEngine {
  readonly id: string;
  readonly kv: KvCache;
  readonly scheduler: Scheduler;
  readonly #profile: SimProfile;
  readonly #clock: EventQueue;
  #nextId = 1;

  constructor(id: string, profile: SimProfile, clock: EventQueue) {
    this.id = id;
    this.#profile = profile;
    this.#clock = clock;
    this.kv = new KvCache({ numBlocks: profile.kvCacheBlocks, blockSize: profile.blockSize });
    this.scheduler = new Scheduler(profile, this.kv);
  }

  submit(r: EngineRequest): SubmitResult {
    const id = this.#nextId++;
    const promptTokens = r.promptIds.length;
    const count = Math.max(1, r.outputTokens);
    const clock = this.#clock;
    const profile = this.#profile;
    const scheduler = this.scheduler;
    return scheduler.submit({
      id,
      promptTokens: r.promptIds,
      totalTokens: promptTokens + count,
      salt: '',
      start: ({ cachedTokens }) => {
        r.onStart(cachedTokens);
        let index = 0;
        const emit = (): void => {
          if (index === 0) r.onFirstToken();
          r.onToken();
          index++;
          if (index === count) {
            // Ends the request: frees its blocks and admits waiting requests, at this moment.
            scheduler.remove(id);
            r.onDone();
            return;
          }
          clock.at(clock.now + tokenDelayMs(profile, { index, promptTokens, cachedTokens, running: scheduler.running }), emit);
        };
        clock.at(clock.now + tokenDelayMs(profile, { index: 0, promptTokens, cachedTokens, running: scheduler.running }), emit);
      },
    });
  }
}
