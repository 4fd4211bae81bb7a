/** FNV-1a's 32-bit offset basis: the state before any input. */
export const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * FNV-1a over the string's UTF-16 code units, continuing from `state`, so a composite key
 * hashes without building the concatenated string. Same result in every runtime.
 */
export function fnv1a(text: string, state: number = FNV_OFFSET): number {
  let h = state >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

/** murmur3's fmix32: FNV-1a alone mixes its last input poorly; this spreads every bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
