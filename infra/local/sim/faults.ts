// Injected failures, set at start and changeable on a live process (POST /sim/faults), so
// tests and failover benchmarks can break a backend on demand. They apply to the inference
// endpoints only; /health follows `unhealthy`; /v1/models leaves out the `unserved` models;
// /metrics and /sim/* never fail.
import { uniformAt } from './hash.ts';
import { type ErrorShape, ERROR_SHAPES, isErrorShape } from './error-shapes.ts';

export interface Faults {
  /** Share of inference requests answered with `errorStatus` (0..1), drawn from the seed. */
  readonly errorRate: number;
  readonly errorStatus: number;
  /** Body shape of every error from the inference endpoints, injected or not. */
  readonly errorShape: ErrorShape;
  /** Extra wait before anything else happens (so before the response headers). */
  readonly addedLatencyMs: number;
  /** End a stream's connection after this many data chunks, before `[DONE]`; null = never. */
  readonly cutAfterChunks: number | null;
  /** Accept inference requests and never answer them. */
  readonly hang: boolean;
  /** /health answers 503. */
  readonly unhealthy: boolean;
  /** Served names this server stops serving: left out of /v1/models, answered 404 as vLLM does for an unknown model. */
  readonly unserved: readonly string[];
  /** A Retry-After header (seconds) on injected errors, as a pool's front (or vLLM behind a rate limiter) sends with 429 / 503; null = none. */
  readonly retryAfterSeconds: number | null;
  /**
   * A request body nested deeper than this fails with HTTP 500 and a Python traceback, as vLLM
   * does when rendering it recurses past Python's limit: a failure that follows the request,
   * while the server stays fine for every other one. null = never.
   */
  readonly nestingLimit: number | null;
  /** Answer every inference request 307 with this Location (an ingress misconfigured, or taken over); null = never. */
  readonly redirectTo: string | null;
}

export const NO_FAULTS: Faults = {
  errorRate: 0,
  errorStatus: 500,
  errorShape: 'vllm',
  addedLatencyMs: 0,
  cutAfterChunks: null,
  hang: false,
  unhealthy: false,
  unserved: [],
  retryAfterSeconds: null,
  nestingLimit: null,
  redirectTo: null,
};

export type FaultPatch = { -readonly [K in keyof Faults]?: Faults[K] };

/** The names the server answers for now: its models minus the `unserved` fault. */
export const servedNow = (models: readonly string[], faults: Faults): readonly string[] =>
  faults.unserved.length === 0 ? models : models.filter((m) => !faults.unserved.includes(m));

type Checked = { ok: true; patch: FaultPatch } | { ok: false; error: string };

/** Checks a JSON fault patch field by field; unknown fields are refused so typos show. */
export function parseFaultPatch(input: unknown): Checked {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, error: 'faults must be a JSON object' };
  }
  const patch: FaultPatch = {};
  for (const [key, value] of Object.entries(input)) {
    switch (key) {
      case 'errorRate':
        if (typeof value !== 'number' || !(value >= 0 && value <= 1)) return bad('errorRate must be a number in 0..1');
        patch.errorRate = value;
        break;
      case 'errorStatus':
        if (!Number.isInteger(value) || (value as number) < 400 || (value as number) > 599) {
          return bad('errorStatus must be an integer HTTP status in 400..599');
        }
        patch.errorStatus = value as number;
        break;
      case 'errorShape':
        if (!isErrorShape(value)) return bad(`errorShape must be one of ${ERROR_SHAPES.join(', ')}`);
        patch.errorShape = value;
        break;
      case 'addedLatencyMs':
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return bad('addedLatencyMs must be a number >= 0');
        patch.addedLatencyMs = value;
        break;
      case 'cutAfterChunks':
        if (value !== null && (!Number.isInteger(value) || (value as number) < 0)) {
          return bad('cutAfterChunks must be an integer >= 0, or null for never');
        }
        patch.cutAfterChunks = value as number | null;
        break;
      case 'retryAfterSeconds':
        if (value !== null && (!Number.isInteger(value) || (value as number) < 0)) return bad('retryAfterSeconds must be an integer >= 0, or null for none');
        patch.retryAfterSeconds = value as number | null;
        break;
      case 'nestingLimit':
        if (value !== null && (!Number.isInteger(value) || (value as number) < 1)) return bad('nestingLimit must be an integer >= 1, or null for none');
        patch.nestingLimit = value as number | null;
        break;
      case 'redirectTo':
        if (value !== null && (typeof value !== 'string' || !URL.canParse(value))) return bad('redirectTo must be an absolute URL, or null for none');
        patch.redirectTo = value as string | null;
        break;
      case 'unserved':
        if (!Array.isArray(value) || !value.every((m) => typeof m === 'string')) return bad('unserved must be an array of model names');
        patch.unserved = value as string[];
        break;
      case 'hang':
      case 'unhealthy':
        if (typeof value !== 'boolean') return bad(`${key} must be true or false`);
        patch[key] = value;
        break;
      default:
        return bad(`unknown fault "${key}" (known: ${Object.keys(NO_FAULTS).join(', ')})`);
    }
  }
  return { ok: true, patch };
}

function bad(error: string): Checked {
  return { ok: false, error };
}

/**
 * Whether the n-th inference request (counted from the last fault change) fails: a fixed
 * sequence for a seed, so a run with a given error rate fails the same requests every time.
 */
export function drawsError(seed: number, n: number, rate: number): boolean {
  return rate > 0 && uniformAt(seed, n) < rate;
}

/** How deeply a JSON value nests (a scalar is 0, `[]` is 1), counted without recursion, stopping once past `limit`. */
export function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    const here = depth + 1;
    if (here > deepest) deepest = here;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, here]);
  }
  return deepest;
}
