import * as z from '../zod-mini.ts';
import type { HealthSample } from '../route/endpoint-view.ts';
import type { Store } from '../store/store.ts';

/** What one probe round saw, by endpoint id. Written by the prober, read by every isolate. */
export interface HealthSnapshot {
  /** Epoch ms when the round started (its samples are at least this recent). */
  takenAt: number;
  endpoints: Record<string, HealthSample>;
}

export const HEALTH_KEY = 'switchyard:health';
/** Outlives a few missed probe rounds (cron runs once a minute), then the key disappears. */
export const HEALTH_TTL_SECONDS = 180;

const count = z.number().check(z.nonnegative());

const HealthSampleSchema = z.object({
  healthy: z.boolean(),
  waiting: z.optional(count),
  running: z.optional(count),
  kvCacheUsage: z.optional(count),
  gpuUtilization: z.optional(count),
  gpuMemoryUsage: z.optional(count),
  served: z.optional(z.array(z.string())),
  checkedAt: z.number(),
  error: z.optional(z.string()),
});

// Unknown fields are stripped, so a newer writer does not break an older reader.
export const HealthSnapshotSchema = z.object({
  takenAt: z.number(),
  endpoints: z.record(z.string(), HealthSampleSchema),
});

export interface WriteOptions {
  key?: string;
  ttlSeconds?: number;
}

/** Stores the snapshot as JSON; throws if it would not read back (a caller bug), or the store fails. */
export async function writeHealthSnapshot(store: Store, snapshot: HealthSnapshot, options: WriteOptions = {}): Promise<void> {
  await store.set(options.key ?? HEALTH_KEY, JSON.stringify(readsBack(snapshot)), { ttlSeconds: options.ttlSeconds ?? HEALTH_TTL_SECONDS });
}

/**
 * The snapshot as a reader will decode it (HealthSnapshotSchema's output), checking each
 * distinct sample once: endpoints that share a server share its sample, and a large fleet on
 * few servers would otherwise pay a schema check per endpoint every probe round.
 */
function readsBack(snapshot: HealthSnapshot): HealthSnapshot {
  const checked = new Map<unknown, HealthSample>();
  const endpoints: Record<string, HealthSample> = {};
  try {
    const takenAt = HealthSnapshotSchema.shape.takenAt.parse(snapshot.takenAt);
    for (const [id, sample] of Object.entries(snapshot.endpoints)) {
      let valid = checked.get(sample);
      if (valid === undefined) checked.set(sample, (valid = HealthSampleSchema.parse(sample)));
      endpoints[id] = valid;
    }
    return { takenAt, endpoints };
  } catch {
    return HealthSnapshotSchema.parse(snapshot); // throws, naming the endpoint and field
  }
}

export type Decoded = { ok: true; snapshot: HealthSnapshot } | { ok: false; error: string };

/** Checks a stored value; anything that is not a valid snapshot is refused, never thrown. */
export function decodeHealthSnapshot(text: string): Decoded {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `health snapshot is not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const parsed = HealthSnapshotSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: `invalid health snapshot: ${z.prettifyError(parsed.error)}` };
  return { ok: true, snapshot: parsed.data };
}

/**
 * The stored snapshot, or undefined when there is none or it is invalid (no data, which
 * routing treats as "unknown", not as unhealthy). A store failure throws.
 */
export async function readHealthSnapshot(store: Store, key: string = HEALTH_KEY): Promise<HealthSnapshot | undefined> {
  const text = await store.get(key);
  if (text === null) return undefined;
  const decoded = decodeHealthSnapshot(text);
  return decoded.ok ? decoded.snapshot : undefined;
}

/** An endpoint's sample; own properties only, so an id can never reach Object.prototype. */
export function sampleOf(snapshot: HealthSnapshot | undefined, endpointId: string): HealthSample | undefined {
  return snapshot !== undefined && Object.hasOwn(snapshot.endpoints, endpointId) ? snapshot.endpoints[endpointId] : undefined;
}
