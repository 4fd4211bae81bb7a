import { TtlMemo } from '../store/ttl-memo.ts';
import type { KeyRecord } from './key-record.ts';

/**
 * Key records by hash, so the hot path does not ask the store on every request. Only records
 * the store returned are kept here: misses go to a separate, bounded negative cache (ApiKeys),
 * so random guesses never evict real keys. An entry lives the TTL, or less when a grace period
 * ends sooner; both are dropped when the policy version moves (a key created elsewhere bumps it).
 * Past the TTL an entry is kept a while longer (`staleMs`), to be used only while the store cannot
 * be read: a key that worked a minute ago keeps working through a store restart.
 */
export class KeyMemo extends TtlMemo<KeyRecord> {}
