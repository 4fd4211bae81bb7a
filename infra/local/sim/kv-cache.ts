// A block KV cache with prefix caching, the way vLLM's KVCacheManager accounts for it: full
// blocks are named by a hash chained over all tokens before them, shared while referenced, and
// kept after release until allocation needs their room (least recently released first).
// Pure bookkeeping: no timers, no I/O, so a discrete-event simulation can reuse it.
import { chainHash53, stringHash53 } from './hash.ts';

/**
 * Hashes of the full blocks of `tokens`: each covers its own token ids and the previous
 * block's hash, so equal hashes mean equal prefixes. The salt (vLLM's `cache_salt`) seeds the
 * chain, so differently salted prompts never share blocks. A trailing partial block has none.
 */
export function blockHashes(tokens: readonly number[], blockSize: number, salt = ''): number[] {
  const full = Math.floor(tokens.length / blockSize);
  const hashes = new Array<number>(full);
  let prev = salt === '' ? 0 : stringHash53(salt);
  for (let b = 0; b < full; b++) {
    prev = chainHash53(prev, tokens, b * blockSize, (b + 1) * blockSize);
    hashes[b] = prev;
  }
  return hashes;
}

export interface KvAllocation {
  /** Leading prompt tokens whose KV was already cached (a multiple of the block size). */
  readonly cachedTokens: number;
  /** Blocks this request holds. */
  readonly blocks: number;
}

interface Held {
  readonly hashes: readonly number[];
  readonly privateBlocks: number;
}

export class KvCache {
  readonly numBlocks: number;
  readonly blockSize: number;
  /** Resident full blocks by hash → reference count (0 = cached but evictable). */
  readonly #refs = new Map<number, number>();
  /** Resident blocks with no reference, oldest release first: a Map keeps insertion order. */
  readonly #evictable = new Map<number, true>();
  /** Blocks holding a partial prompt block or reserved output: never shareable. */
  #privateBlocks = 0;
  #referencedShared = 0;
  readonly #held = new Map<number, Held>();
  #queries = 0;
  #hits = 0;

  constructor(options: { numBlocks: number; blockSize: number }) {
    if (!Number.isInteger(options.numBlocks) || options.numBlocks < 1) throw new Error('numBlocks must be an integer >= 1');
    if (!Number.isInteger(options.blockSize) || options.blockSize < 1) throw new Error('blockSize must be an integer >= 1');
    this.numBlocks = options.numBlocks;
    this.blockSize = options.blockSize;
  }

  blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.blockSize);
  }

  /**
   * Cached leading tokens for this prompt right now, without touching any state. Like vLLM, at
   * least the last prompt token is always recomputed, so a prompt that is an exact multiple of
   * the block size can hit at most all blocks but one.
   */
  lookup(tokens: readonly number[], salt = ''): number {
    return this.#leadingHits(blockHashes(tokens, this.blockSize, salt), tokens.length) * this.blockSize;
  }

  /**
   * Holds blocks for request `id`: its prompt `tokens` plus room for `totalTokens` in all
   * (prompt and output, reserved up front). Returns null, changing nothing, when the blocks
   * cannot be found even after evicting every unreferenced block; the caller waits and retries.
   */
  allocate(id: number, tokens: readonly number[], totalTokens: number, salt = ''): KvAllocation | null {
    if (this.#held.has(id)) throw new Error(`request ${id} already holds KV blocks`);
    const hashes = blockHashes(tokens, this.blockSize, salt);
    const blocks = Math.max(this.blocksFor(Math.max(totalTokens, tokens.length)), hashes.length);
    const privateBlocks = blocks - hashes.length;

    // Count what must be written anew and what comes back from the evictable list. A hash
    // repeated within one prompt (only by collision) is counted once and referenced twice.
    const resident = hashes.map((h) => this.#refs.has(h));
    let fresh = privateBlocks;
    let revived = 0;
    const seen = new Set<number>();
    hashes.forEach((h, i) => {
      if (seen.has(h)) return;
      seen.add(h);
      if (!resident[i]) fresh += 1;
      else if (this.#refs.get(h) === 0) revived += 1;
    });
    const unwritten = this.numBlocks - this.#refs.size - this.#privateBlocks;
    if (fresh > unwritten + this.#evictable.size - revived) return null;

    const hitBlocks = this.#leadingHits(hashes, tokens.length);
    // Reference resident blocks first, so the eviction below cannot pick them.
    hashes.forEach((h, i) => {
      if (resident[i]) this.#reference(h);
    });
    let toEvict = fresh - unwritten;
    for (const h of this.#evictable.keys()) {
      if (toEvict <= 0) break;
      this.#evictable.delete(h);
      this.#refs.delete(h);
      toEvict -= 1;
    }
    hashes.forEach((h, i) => {
      if (!resident[i]) this.#reference(h);
    });
    this.#privateBlocks += privateBlocks;
    this.#held.set(id, { hashes, privateBlocks });

    const cachedTokens = hitBlocks * this.blockSize;
    this.#queries += tokens.length;
    this.#hits += cachedTokens;
    return { cachedTokens, blocks };
  }

  /** Drops request `id`'s references. Its full blocks stay cached until evicted. */
  release(id: number): void {
    const held = this.#held.get(id);
    if (held === undefined) return;
    this.#held.delete(id);
    this.#privateBlocks -= held.privateBlocks;
    // Last block first, like vLLM's free queue: a prompt's tail is evicted before its head,
    // which more prompts are likely to share.
    for (let i = held.hashes.length - 1; i >= 0; i--) {
      const h = held.hashes[i]!;
      const refs = this.#refs.get(h)! - 1;
      this.#refs.set(h, refs);
      if (refs === 0) {
        this.#referencedShared -= 1;
        this.#evictable.set(h, true);
      }
    }
  }

  /** Fraction of blocks referenced by running requests (vLLM's `kv_cache_usage_perc`, 0..1). */
  usage(): number {
    return (this.#referencedShared + this.#privateBlocks) / this.numBlocks;
  }

  /** Prompt tokens looked up in the prefix cache, summed over allocations. */
  get queries(): number {
    return this.#queries;
  }

  /** Prompt tokens found in the prefix cache, summed over allocations. */
  get hits(): number {
    return this.#hits;
  }

  /** Full blocks resident (referenced or evictable). */
  get residentBlocks(): number {
    return this.#refs.size;
  }

  #reference(h: number): void {
    const refs = this.#refs.get(h) ?? 0;
    if (refs === 0) {
      this.#evictable.delete(h);
      this.#referencedShared += 1;
    }
    this.#refs.set(h, refs + 1);
  }

  #leadingHits(hashes: readonly number[], promptLength: number): number {
    const limit = Math.min(hashes.length, Math.floor(Math.max(promptLength - 1, 0) / this.blockSize));
    let hit = 0;
    while (hit < limit && this.#refs.has(hashes[hit]!)) hit += 1;
    return hit;
  }
}
