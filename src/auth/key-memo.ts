import { TtlMemo } from '../store/ttl-memo.ts';
import type { KeyRecord } from './key-record.ts';

/**
 * Key records by hash, so the hot path does not ask the store on every request. Only records
 * the store returned are kept (never misses: a key created a moment ago elsewhere must work at
 * once, and random guesses must not evict real keys). An entry lives the TTL, or less when a
 * grace period ends sooner; the whole memo is dropped when the policy version moves.
 */
export class KeyMemo extends TtlMemo<KeyRecord> {}
