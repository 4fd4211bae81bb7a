import { fmix32, fnv1a } from '../balancers/hash32.ts';

/** llm-d's cap on hashed blocks: 256 blocks of 16 tokens, about the first 4k prompt tokens. */
export const MAX_BLOCKS = 256;
/** A text block is `blockSize` tokens of about 4 bytes each: 64 bytes for vLLM's 16-token blocks. */
export const BYTES_PER_TOKEN = 4;

const TWO_TO_32 = 4294967296;
// Two independent 32-bit lanes: FNV-1a's prime, and murmur2's multiplier.
const P1 = 0x01000193;
const P2 = 0x5bd1e995;

/**
 * Chained block hashes of the first `blocks` blocks of `data` (`wordsPerBlock` 32-bit words
 * each), as llm-d's approximate prefix producer computes them over the prompt's bytes: each
 * block's hash covers its own words and the previous block's hash, so hash i equal in two
 * prompts means (up to collisions) the prompts are equal up to the end of block i, and one
 * changed byte changes its block's hash and every one after it. The seed (model, cache salt)
 * starts the chain, so another model's blocks never match. Hashes are 53-bit integers.
 * Per word: two multiply-xors; no allocation but the result.
 */
export function chainHashes(data: Uint32Array, blocks: number, wordsPerBlock: number, seed: string): number[] {
  const out = new Array<number>(blocks);
  let h1 = fmix32(fnv1a(seed));
  let h2 = fmix32(h1 ^ 0x9e3779b9);
  for (let b = 0, w = 0; b < blocks; b++) {
    const end = w + wordsPerBlock;
    for (; w < end; w++) {
      const k = data[w] as number;
      h1 = Math.imul(h1 ^ k, P1);
      h2 = Math.imul(h2 ^ k, P2);
    }
    // The lanes are mixed into each other (the per-word steps alone diffuse poorly), and the
    // mixed pair starts the next block: that is the chaining.
    const lo = fmix32((h1 + Math.imul(h2, 0x85ebca6b)) | 0);
    const hi = fmix32(h2 ^ Math.imul(lo, 0xc2b2ae35));
    out[b] = (hi & 0x1fffff) * TWO_TO_32 + lo;
    h1 = lo;
    h2 = hi;
  }
  return out;
}

const encoder = new TextEncoder();
// One scratch buffer per isolate, grown to the largest block size seen. Safe to share: a prompt
// is written and hashed synchronously, so no two requests ever interleave in it.
let scratch = new Uint8Array(MAX_BLOCKS * 16 * BYTES_PER_TOKEN);

/**
 * A prompt as the bytes its blocks are cut from, written piece by piece (role markers, contents)
 * without building the prompt string: text as UTF-8 (native encodeInto), token ids one per
 * 32-bit word. Only the first MAX_BLOCKS blocks are kept; `chars` counts all the text.
 */
export class PromptBytes {
  /** Bytes written (at most MAX_BLOCKS blocks). */
  bytes = 0;
  /** UTF-16 length of all text fed, including what went past the cap. */
  chars = 0;
  readonly #blockBytes: number;
  readonly #cap: number;
  readonly #buffer: Uint8Array;

  constructor(blockSize: number) {
    if (!Number.isInteger(blockSize) || blockSize < 1) throw new Error('blockSize must be an integer >= 1');
    this.#blockBytes = blockSize * BYTES_PER_TOKEN;
    this.#cap = MAX_BLOCKS * this.#blockBytes;
    if (scratch.length < this.#cap) scratch = new Uint8Array(this.#cap);
    this.#buffer = scratch;
  }

  text(s: string): void {
    this.chars += s.length;
    if (this.bytes < this.#cap) this.bytes += encoder.encodeInto(s, this.#buffer.subarray(this.bytes, this.#cap)).written;
  }

  /** Token ids, one 32-bit word each (a block is then exactly blockSize tokens). */
  tokens(ids: readonly number[]): void {
    const words = new Uint32Array(this.#buffer.buffer, 0, this.#cap / 4);
    let w = this.bytes >> 2;
    const end = Math.min(words.length, w + ids.length);
    for (let i = 0; w < end; i++, w++) words[w] = (ids[i] as number) >>> 0;
    this.bytes = w << 2;
  }

  /** Whole blocks within the first `bytes` bytes. */
  blocksIn(bytes: number): number {
    return Math.min(Math.floor(bytes / this.#blockBytes), MAX_BLOCKS);
  }

  /** The chained hashes of every whole block written (a trailing partial block has none, as in vLLM). */
  hashes(seed: string): number[] {
    // Words in the platform's byte order: little-endian on every x86 and ARM host Workers and Node run on.
    const words = new Uint32Array(this.#buffer.buffer, 0, this.#cap / 4);
    return chainHashes(words, this.blocksIn(this.bytes), this.#blockBytes / 4, seed);
  }
}
