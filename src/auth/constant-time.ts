/**
 * Compares two byte arrays in time that depends only on their lengths, never on where they
 * first differ (Web Crypto has no timingSafeEqual, and src/ cannot use node:crypto).
 * Lengths are not secret here: both sides are fixed-length digests.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i += 1) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}
