// Rules every Store implementation shares, so the embedded store and Redis fail alike.

/** Validates a TTL and converts it to whole milliseconds (Redis PX); sub-millisecond TTLs round up. */
export function ttlMilliseconds(ttlSeconds: number): number {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new RangeError(`ttlSeconds must be a positive finite number, got ${ttlSeconds}`);
  }
  return Math.ceil(ttlSeconds * 1000);
}

/** The error Redis raises when a string operation meets a hash or the other way round. */
export function wrongType(key: string): Error {
  return new Error(`WRONGTYPE Operation against a key holding the wrong kind of value (key ${JSON.stringify(key)})`);
}
