import { hexOf } from '../hex.ts';

// Random ids cut from a pool of random hex refilled 4 KiB (of bytes) at a time: one
// getRandomValues call and one hex conversion per ~100 requests instead of a CSPRNG call per id
// (each crosses into the runtime). An id is a slice of the pool's string.
const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let poolHex = '';
let poolAt = POOL_BYTES;

/** `bytes` random bytes (from the runtime's CSPRNG) as lower-case hex. */
export function randomHex(bytes: number): string {
  if (poolAt + bytes > POOL_BYTES) {
    crypto.getRandomValues(pool);
    poolHex = hexOf(pool);
    poolAt = 0;
  }
  const hex = poolHex.slice(poolAt * 2, (poolAt + bytes) * 2);
  poolAt += bytes;
  return hex;
}

const VARIANT = '89ab';

/** A random (version 4) UUID, as crypto.randomUUID() makes, from the pool. */
export function randomUuid(): string {
  const h = randomHex(16);
  // Version nibble 4; variant bits 10xx.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${VARIANT[Number.parseInt(h[16] ?? '0', 16) & 3]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
