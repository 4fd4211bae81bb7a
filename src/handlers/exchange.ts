import type { Context } from 'hono';
import { errors } from '../api/errors.ts';
import type { Capability } from '../api/openai-endpoints.ts';
import type { AppEnv } from '../app-env.ts';
import { CancelScope } from '../backends/cancellation.ts';
import type { CompiledModel } from '../fleet/compiled.ts';
import type { Gateway } from '../gateway.ts';
import { KEY_SCOPE } from '../route/filters/key-scope.ts';
import { NOT_SATURATED } from '../route/filters/not-saturated.ts';
import { planRoute } from '../route/pipeline.ts';
import type { PrefixInfo } from '../route/prefix/prefix-info.ts';
import type { Scored } from '../route/types.ts';
import { callerGeo } from './caller-geo.ts';
import { defer } from './defer.ts';

/**
 * The steps every forwarding handler shares: plan the route (or refuse with the status and
 * Retry-After that say what the client can do), and the cancellation scope of the upstream
 * exchange (the client leaving, the total deadline).
 */

export interface RoutePick {
  ranked: readonly Scored[];
  reason: string;
}

/**
 * Filters → scorers → picker over the live view. A refusal says why: 403 when the key's scope
 * excludes every region serving the model (retrying cannot help), 429 when every candidate is
 * saturated, 503 when they are all down or not serving it, each with when to retry.
 */
export function routeOrRefuse(
  c: Context<AppEnv>,
  gw: Gateway,
  model: CompiledModel,
  capability: Capability,
  extra: { sessionKey?: string | undefined; prefix?: PrefixInfo | undefined; now: number },
): RoutePick {
  const state = gw.live.view(extra.now, gw.health?.current((work) => defer(c, () => work)));
  const plan = planRoute(gw.pipeline, { model, key: c.get('key'), caller: callerGeo(c.req.raw), capability, sessionKey: extra.sessionKey, prefix: extra.prefix }, gw.candidates.get(model.id) ?? [], state);
  if (plan.ok) return plan;
  if (plan.droppedBy.type === KEY_SCOPE) throw errors.outOfScope(model.id);
  const wait = plan.retryAfterMs ?? state.probeIntervalMs;
  if (plan.droppedBy.type === NOT_SATURATED) throw errors.saturated(model.id, wait);
  throw errors.noRoute(`No endpoint is available for model \`${model.id}\`: ${plan.reason}.`, wait);
}

export interface ExchangeScope {
  cancel: CancelScope;
  /** Stops the deadline and the client watch; call once the exchange is over. */
  release(): void;
}

/** One scope ends the upstream exchange and remembers why: the client left, or the total deadline passed. */
export function exchangeScope(c: Context<AppEnv>, totalMs: number): ExchangeScope {
  const cancel = new CancelScope();
  const deadline = setTimeout(() => cancel.cancel('deadline'), totalMs);
  const signal = c.req.raw.signal;
  const onClientGone = () => cancel.cancel('client');
  signal.addEventListener('abort', onClientGone, { once: true });
  return {
    cancel,
    release: () => {
      clearTimeout(deadline);
      signal.removeEventListener('abort', onClientGone);
    },
  };
}

/** Media types an upstream may answer with (JSON, SSE, the text formats of transcription); anything else is sent as JSON. */
const SAFE_TYPES = /^(?:application\/json|text\/event-stream|text\/plain|text\/vtt|application\/x-subrip)\b/i;

export const safeContentType = (upstream: string | null, fallback = 'application/json'): string =>
  upstream !== null && SAFE_TYPES.test(upstream) ? upstream : fallback;
