const DIGITS = new TextEncoder().encode('0123456789abcdef');
const ascii = new TextDecoder();

/**
 * Bytes as lower-case hex, one flat string: the digits written into bytes and decoded once
 * (3–4× faster than joining a string per byte, and no rope of a piece per byte: memos and
 * caches keep these strings as keys by the thousand).
 */
export function hexOf(bytes: Uint8Array): string {
  const out = new Uint8Array(bytes.length * 2);
  for (let i = 0, j = 0; i < bytes.length; i++, j += 2) {
    const byte = bytes[i] as number;
    out[j] = DIGITS[byte >> 4] as number;
    out[j + 1] = DIGITS[byte & 15] as number;
  }
  return ascii.decode(out);
}

/** SHA-256 of the text's UTF-8, lower-case hex, with Web Crypto (both runtimes have it). */
export async function sha256Hex(text: string): Promise<string> {
  return hexOf(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))));
}
