// Small non-cryptographic hashes shared by the tokenizer, the KV cache, the text generator
// and the fault sequence. Deterministic across runs and platforms; never used for security.

/** 32-bit FNV-1a over the UTF-16 code units of `s[start, end)`. */
export function fnv1a32(s: string, start = 0, end = s.length, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = start; i < end; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * 53-bit hash (a safe JS integer) of `values[start, end)` chained onto `prev`: two 32-bit
 * lanes, so tens of thousands of cached blocks stay far from birthday collisions.
 */
export function chainHash53(prev: number, values: readonly number[], start: number, end: number): number {
  let h1 = 0xdeadbeef ^ (prev >>> 0);
  let h2 = 0x41c6ce57 ^ Math.floor(prev / 4294967296);
  for (let i = start; i < end; i++) {
    const v = values[i]!;
    h1 = Math.imul(h1 ^ v, 2654435761);
    h2 = Math.imul(h2 ^ v, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (0x1fffff & h2) + (h1 >>> 0);
}

/** 53-bit hash of a string, used to seed chains from a salt or a model name. */
export function stringHash53(s: string): number {
  const codes: number[] = [];
  for (let i = 0; i < s.length; i++) codes.push(s.charCodeAt(i));
  return chainHash53(0, codes, 0, codes.length);
}

/** Uniform [0, 1) from a seed and a position, without state: the n-th draw of a sequence. */
export function uniformAt(seed: number, n: number): number {
  return chainHash53(seed, [n], 0, 1) / 9007199254740992;
}

/** mulberry32: a fast seeded PRNG yielding uniform [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
