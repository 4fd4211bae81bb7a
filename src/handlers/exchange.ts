import type { Context } from 'hono';
import { answer, setAnswerHeader, setAnswerHeaders, SSE_HEADERS } from '../api/answer-headers.ts';
import { errors } from '../api/errors.ts';
import type { Capability } from '../api/openai-endpoints.ts';
import type { AppEnv } from '../app-env.ts';
import { CancelScope } from '../backends/cancellation.ts';
import type { CompiledModel } from '../fleet/compiled.ts';
import type { Gateway } from '../gateway.ts';
import { KEY_SCOPE } from '../route/filters/key-scope.ts';
import { NOT_SATURATED } from '../route/filters/not-saturated.ts';
import { FAIR_SHARE } from '../route/filters/fair-share.ts';
import { planRoute } from '../route/pipeline.ts';
import type { PrefixInfo } from '../route/prefix/prefix-info.ts';
import type { Ranking, Scored } from '../route/types.ts';
import type { UpstreamPath } from '../api/openai-endpoints.ts';
import type { OneShotBody } from '../api/one-shot-body.ts';
import { relaySse, type RelayOptions, type StreamOutcome } from '../api/sse-relay.ts';
import type { BodyReader } from '../backends/transport.ts';
import { forward, type ForwardInput, type Forwarded } from '../forward/forward.ts';
import { continuingStream, type StreamContinuation } from '../forward/stream-continuation.ts';
import type { Cancellation } from '../backends/cancellation.ts';
import { traceHeaders, type TraceContext } from '../observe/trace-context.ts';
import { meteredStream } from '../meter/stream-usage.ts';
import { callerGeo } from './caller-geo.ts';
import { defer } from './defer.ts';

/**
 * The steps every forwarding handler shares: plan the route (or refuse with the status and
 * Retry-After that say what the client can do), and the cancellation scope of the upstream
 * exchange (the client leaving, the total deadline).
 */

export interface RoutePick {
  /** The pick and the fallbacks, ordered as the forwarder walks them (a fallback region's pool only if it gets there). */
  ranking: Ranking;
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
  const key = c.get('key');
  const plan = planRoute(gw.pipeline, { model, key, tenant: key.tenant, caller: callerGeo(c.req.raw), capability, sessionKey: extra.sessionKey, prefix: extra.prefix }, gw.candidates.get(model.id) ?? [], state);
  if (plan.ok) return plan;
  if (plan.droppedBy.type === KEY_SCOPE) throw errors.outOfScope(model.id);
  const wait = plan.retryAfterMs ?? state.probeIntervalMs;
  if (plan.droppedBy.type === NOT_SATURATED) throw errors.saturated(model.id, wait);
  if (plan.droppedBy.type === FAIR_SHARE) throw errors.overShare(model.id, key.tenant, wait);
  throw errors.noRoute(`No endpoint is available for model \`${model.id}\`: ${plan.reason}.`, wait);
}

/**
 * Tokens per minute and the budgets, once the cache did not answer: the call's estimated tokens
 * now (a 429 when over), its metered usage and cost later (record-requests settles it). The
 * `x-ratelimit-*-tokens` headers go on the answer.
 */
export async function admitTokens(c: Context<AppEnv>, gw: Gateway, estimate: number): Promise<void> {
  if (!gw.limiter) return;
  const admission = await gw.limiter.admit({ key: c.get('key'), tokens: estimate, scope: 'tokens', waitUntil: (work) => defer(c, () => work) });
  setAnswerHeaders(c, admission.headers);
  c.get('record').settle = admission.settle;
}

export interface ExchangeScope {
  cancel: CancelScope;
  /** Stops the deadline and the client watch; call once the exchange is over. */
  release(): void;
}

/**
 * One scope ends the upstream exchange and remembers why: the client left, or the total deadline
 * passed. The deadline counts from the request's arrival, so the time auth and the key store
 * took (bounded, src/store/guarded-read.ts) is inside it, not added to it.
 */
export function exchangeScope(c: Context<AppEnv>, gw: Pick<Gateway, 'now'>, totalMs: number): ExchangeScope {
  const cancel = new CancelScope();
  const left = Math.max(0, totalMs - (gw.now() - c.get('record').startedAt));
  const deadline = setTimeout(() => cancel.cancel('deadline'), left);
  const signal = c.req.raw.signal;
  const onClientGone = () => cancel.cancel('client');
  // No `once`: release() removes it, and a second abort cannot happen (an options object costs a microsecond a request).
  signal.addEventListener('abort', onClientGone);
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

/** What a 2xx of each kind of route must carry (ForwardInput.accepts); a missing type is taken as the route's own. */
export const ANSWERS = {
  json: (type: string | null) => type === null || /^application\/(?:[\w.+-]+\+)?json\b/i.test(type),
  sse: (type: string | null) => type !== null && /^text\/event-stream\b/i.test(type),
  /** Transcriptions: JSON, SSE, or their text formats. */
  any: (type: string | null) => type === null || SAFE_TYPES.test(type),
} as const;

const MAX_ATTEMPTS = 3;

/** llm-d / Gateway API Inference Extension: the flow-control fairness id, and the InferenceObjective (priority) to apply. */
export const FAIRNESS_ID_HEADER = 'x-gateway-inference-fairness-id';
export const OBJECTIVE_HEADER = 'x-gateway-inference-objective';

/**
 * What every attempt carries upstream: the trace context, and the tenant as the cluster
 * scheduler's fairness id (with its InferenceObjective when the routing policy names one), so
 * llm-d's flow control keeps the tenants apart as the edge did.
 */
function upstreamHeaders(trace: TraceContext, tenant: string, fairness: Gateway['fleet']['routing']['fairness']): Record<string, string> {
  const headers = traceHeaders(trace);
  headers[FAIRNESS_ID_HEADER] = tenant;
  const objective = fairness?.objectives[tenant] ?? fairness?.objectives['default'];
  if (objective !== undefined) headers[OBJECTIVE_HEADER] = objective;
  return headers;
}

export interface Exchange {
  route: UpstreamPath;
  body: string | OneShotBody;
  contentType?: string;
  /** Read a whole (non-streamed) answer inside the attempt, so a body cut after the headers fails over too. */
  readBody: boolean;
  /** The Content-Types a 2xx may carry (ANSWERS). */
  accepts: (contentType: string | null) => boolean;
}

/** One walk of the forwarder for this request: its trace, tenant, attempts record and timeouts. */
function forwardInput(c: Context<AppEnv>, gw: Gateway, ranked: Iterable<Scored>, x: Exchange, cancel: Cancellation): ForwardInput {
  const record = c.get('record');
  const tenant = c.get('key').tenant;
  return {
    ranked,
    route: x.route,
    body: x.body,
    ...(x.contentType ? { contentType: x.contentType } : {}),
    headers: upstreamHeaders(record.trace, tenant, gw.fleet.routing.fairness),
    tenant,
    attempts: record.attempts,
    requestId: record.requestId,
    timeouts: gw.fleet.routing.timeouts,
    cancel,
    maxAttempts: MAX_ATTEMPTS,
    readBody: x.readBody,
    accepts: x.accepts,
  };
}

/**
 * Where a stream cut midway continues (src/forward/stream-continuation.ts): a fresh plan over
 * the live view (the cut endpoint has just counted as failed), without the endpoints this stream
 * failed on, the regions it failed in last. Its attempts join the request's record.
 */
export function continuationForwarder(c: Context<AppEnv>, gw: Gateway, model: CompiledModel, capability: Capability, route: UpstreamPath): StreamContinuation['forward'] {
  return (body, failed, cancel) => {
    const pick = routeOrRefuse(c, gw, model, capability, { now: gw.now() });
    return forward(forwardInput(c, gw, otherRegionsFirst(pick.ranking, failed), { route, body, readBody: false, accepts: ANSWERS.sse }, cancel), gw);
  };
}

function* otherRegionsFirst(ranking: Iterable<Scored>, failed: { endpoints: ReadonlySet<string>; regions: ReadonlySet<string> }): Generator<Scored> {
  const later: Scored[] = [];
  for (const scored of ranking) {
    if (failed.endpoints.has(scored.candidate.endpoint.id)) continue;
    if (failed.regions.has(scored.candidate.region.id)) later.push(scored);
    else yield scored;
  }
  yield* later;
}

/**
 * Forwards along the plan (failover before the first byte), with the request's trace and
 * attempts, then says where it went: routing headers and the record. The scope is released
 * here on failure; on success the caller releases it once the answer is relayed.
 */
export async function forwardPlanned(c: Context<AppEnv>, gw: Gateway, pick: RoutePick, routed: { model: string; tier?: string | undefined; tierReason?: string | undefined }, x: Exchange, scope: ExchangeScope): Promise<Forwarded> {
  const record = c.get('record');
  record.dispatchedAt = gw.now();
  let forwarded: Forwarded;
  try {
    forwarded = await forward(forwardInput(c, gw, pick.ranking, x, scope.cancel), gw);
  } catch (error) {
    scope.release();
    throw error;
  }
  const { candidate } = forwarded;
  record.region = candidate.region.id;
  record.endpoint = candidate.endpoint.id;
  // Its own request included; the GPU-time share of its cost divides by this.
  record.sharedWith = Math.max(1, gw.live.inflight(candidate.endpoint.id));
  setAnswerHeader(c, 'x-switchyard-model', routed.model);
  setAnswerHeader(c, 'x-switchyard-region', candidate.region.id);
  if (routed.tier) setAnswerHeader(c, 'x-switchyard-tier', routed.tier);
  // Endpoints actually tried (a skipped one was never sent anything).
  const sent = forwarded.attempts.reduce((n, a) => (a.outcome === 'circuit-open' || a.outcome === 'no-credentials' ? n : n + 1), 0);
  setAnswerHeader(c, 'x-switchyard-route', `${routed.tierReason ? `${routed.tierReason} ` : ''}${pick.reason}${sent > 1 ? ` attempts=${sent}` : ''}`);
  return forwarded;
}

/**
 * Relays an upstream SSE answer chunk for chunk, ending it as `end` says (a stream cut or stalled
 * midway counts against its endpoint's breaker); the request's record learns how it ended (its log line waits for that), its usage and its time to first bytes.
 * `tap` sees the upstream reader first (the cache's copy of a cacheable stream, which keeps the
 * usage chunk); `stripUsage` then removes the usage-only chunk the client did not ask for.
 */
export function streamBack(
  c: Context<AppEnv>,
  gw: Gateway,
  forwarded: Forwarded,
  scope: ExchangeScope,
  options: { end?: RelayOptions['end']; tap?: (reader: BodyReader) => BodyReader; stripUsage?: boolean; continuation?: StreamContinuation | undefined } = {},
): { response: Response; ended: Promise<StreamOutcome> } {
  const record = c.get('record');
  record.stream = true;
  let settle: (outcome: StreamOutcome) => void = () => {};
  const ended = new Promise<StreamOutcome>((resolve) => (settle = resolve));
  record.ended = ended.then((outcome) => {
    record.streamOutcome = outcome.completed ? 'completed' : (outcome.error ?? 'incomplete');
    if (outcome.detail !== undefined) record.streamDetail = outcome.detail;
    record.bytesOut = outcome.bytes;
  });
  // Mid-stream failover, when the policy opts in: a cut upstream is continued on another endpoint.
  const continuing = options.continuation ? continuingStream(forwarded, options.continuation, scope.cancel) : undefined;
  const reader = continuing ? continuing.reader : forwarded.response.reader();
  const metered = meteredStream(options.tap ? options.tap(reader) : reader, {
    strip: options.stripUsage === true,
    onUsage: (usage) => (record.usage = usage),
    onFirstBytes: () => (record.firstBytesAt = gw.now()),
  });
  const relayed = relaySse(metered, {
    idleMs: gw.fleet.routing.timeouts.streamIdleMs,
    cancel: scope.cancel,
    ...(options.end ? { end: options.end } : {}),
    onEnd: (outcome) => {
      scope.release();
      // Cut or stalled after its first bytes: the endpoint failed, as if before them (its breaker
      // counts it). The client leaving, or the request outliving its total time, is no fault of it.
      const ok = outcome.error !== 'stream_truncated' && outcome.error !== 'stream_idle_timeout';
      if (continuing) {
        continuing.end(ok);
        const report = continuing.report(outcome);
        if (report) {
          record.continuation = report.outcome;
          record.continuations = report.continuations;
          if (report.detail !== undefined) record.continuationDetail = report.detail;
        }
      } else {
        forwarded.done();
        forwarded.bodyEnded(ok);
      }
      settle(outcome);
    },
  });
  return { response: answer(c, relayed, 200, SSE_HEADERS), ended };
}
