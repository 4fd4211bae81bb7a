// Continuous batching admission, as vLLM's FCFS scheduler does it: up to max_num_seqs requests
// run at once and hold KV blocks; later ones wait in FIFO order; once the waiting queue is
// full, new requests are refused (the server answers 429). Pure bookkeeping: the caller paces
// tokens and tells the scheduler when a request ends, so a discrete-event simulation can
// drive the same class with a virtual clock.
import type { KvCache } from './kv-cache.ts';
import type { SimProfile } from './latency-model.ts';

export interface Admission {
  /** Leading prompt tokens served from the prefix cache. */
  readonly cachedTokens: number;
}

export interface Job {
  readonly id: number;
  readonly promptTokens: readonly number[];
  /** Prompt plus planned output: the KV room reserved at admission. */
  readonly totalTokens: number;
  /** vLLM `cache_salt` (empty for none). */
  readonly salt: string;
  /** Called when the job starts running, possibly synchronously inside `submit`. */
  start(admission: Admission): void;
}

/**
 * `admitted`: running (its `start` has been called); `queued`: waiting for a slot or KV room;
 * `queue-full`: refused; `too-large`: could not fit even in an empty KV cache.
 */
export type SubmitResult = 'admitted' | 'queued' | 'queue-full' | 'too-large';

export class Scheduler {
  readonly #profile: SimProfile;
  readonly #kv: KvCache;
  readonly #running = new Set<number>();
  readonly #waiting: Job[] = [];

  constructor(profile: SimProfile, kv: KvCache) {
    this.#profile = profile;
    this.#kv = kv;
  }

  get running(): number {
    return this.#running.size;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  submit(job: Job): SubmitResult {
    if (this.#kv.blocksFor(Math.max(job.totalTokens, job.promptTokens.length)) > this.#kv.numBlocks) return 'too-large';
    // FIFO: nobody overtakes a waiting request.
    if (this.#waiting.length === 0 && this.#tryStart(job)) return 'admitted';
    if (this.#waiting.length >= this.#profile.maxWaitingQueueLength) return 'queue-full';
    this.#waiting.push(job);
    return 'queued';
  }

  /**
   * Ends job `id` wherever it is (finished, aborted or cancelled while waiting), frees its KV
   * blocks and starts waiting jobs that now fit. Returns where the job was.
   */
  remove(id: number): 'running' | 'waiting' | 'absent' {
    if (this.#running.delete(id)) {
      this.#kv.release(id);
      this.#admitWaiting();
      return 'running';
    }
    const at = this.#waiting.findIndex((j) => j.id === id);
    if (at < 0) return 'absent';
    this.#waiting.splice(at, 1);
    // The head may have changed: it may fit where the removed one did not.
    if (at === 0) this.#admitWaiting();
    return 'waiting';
  }

  #admitWaiting(): void {
    for (;;) {
      const head = this.#waiting[0];
      if (head === undefined || !this.#canRun()) return;
      const allocation = this.#kv.allocate(head.id, head.promptTokens, head.totalTokens, head.salt);
      if (allocation === null) return;
      this.#waiting.shift();
      this.#running.add(head.id);
      head.start(allocation);
    }
  }

  #tryStart(job: Job): boolean {
    if (!this.#canRun()) return false;
    const allocation = this.#kv.allocate(job.id, job.promptTokens, job.totalTokens, job.salt);
    if (allocation === null) return false;
    this.#running.add(job.id);
    job.start(allocation);
    return true;
  }

  #canRun(): boolean {
    return this.#running.size < this.#profile.maxNumSeqs;
  }
}
