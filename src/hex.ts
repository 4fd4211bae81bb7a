const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/**
 * Bytes as lower-case hex, one flat string. Joined, not built with `+=`: that makes a rope of a
 * piece per byte (about 2 KiB of heap for a 64-character SHA-256), and memos and caches keep
 * these strings as keys by the thousand.
 */
export function hexOf(bytes: Uint8Array): string {
  const out = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = HEX[bytes[i] ?? 0] ?? '00';
  return out.join('');
}

/** SHA-256 of the text's UTF-8, lower-case hex, with Web Crypto (both runtimes have it). */
export async function sha256Hex(text: string): Promise<string> {
  return hexOf(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))));
}
