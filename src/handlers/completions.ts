import type { Context } from 'hono';
import type { z } from 'zod';
import { errors, GatewayError } from '../api/errors.ts';
import { readJsonBody } from '../api/read-body.ts';
import { rewriteModel } from '../api/rewrite-model.ts';
import { REQUEST_SCHEMAS, type Endpoint } from '../api/schemas.ts';
import { relaySse, type StreamOutcome } from '../api/sse-relay.ts';
import { CancelScope } from '../backends/cancellation.ts';
import { forward, type Forwarded } from '../forward/forward.ts';
import type { Gateway } from '../gateway.ts';
import { assertModelAllowed } from '../auth/model-access.ts';
import { KEY_SCOPE } from '../route/filters/key-scope.ts';
import { planRoute } from '../route/pipeline.ts';
import { requestPrefix } from '../route/prefix/request-prefix.ts';
import type { AppEnv } from '../app-env.ts';
import type { ClassifyRequest } from '../classify/request.ts';
import { collecting } from '../cache/collect.ts';
import type { CacheKey } from '../cache/entry.ts';
import { servedInScope } from '../cache/scope.ts';
import { callerGeo } from './caller-geo.ts';
import { cacheHitResponse } from './cache-hit.ts';
import { defer } from './defer.ts';
import { readHints, resolveModel } from './resolve-model.ts';

const ROUTE = { chat: 'chat/completions', completions: 'completions' } as const;
const MAX_ATTEMPTS = 3;

const invalid = (error: z.ZodError): GatewayError => {
  const issue = error.issues[0];
  const param = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : null;
  return errors.invalidRequest(issue ? `${param ?? 'body'}: ${issue.message}` : 'invalid request body', param);
};

/**
 * POST /v1/chat/completions and /v1/completions: validate → resolve the model (classify for
 * `auto`) → cache lookup → plan the route → forward (failing over before the first byte) →
 * relay → record (deferred: cache fill, log). The client's own bytes are forwarded, with the
 * model id spliced in when it changes, so no field is ever dropped.
 */
export const completions = (gw: Gateway, kind: Endpoint) =>
  async function completions(c: Context<AppEnv>): Promise<Response> {
    const started = gw.now();
    const { routing } = gw.fleet;
    const { text, json } = await readJsonBody(c.req.raw, routing.limits.maxBodyBytes);
    const parsed = REQUEST_SCHEMAS[kind].safeParse(json);
    if (!parsed.success) throw invalid(parsed.error);
    const request = parsed.data;

    const { model, tier, tierReason } = resolveModel(gw, request.model, request as ClassifyRequest, readHints((name) => c.req.header(name)));

    const key = c.get('key');
    assertModelAllowed(key, model, request.model);
    const stream = request.stream === true;
    const requestId = c.get('requestId');

    // 4 cache lookup. Deciding is a few property reads; only a cacheable request is hashed and
    // looked up, and only a completed answer is stored (deferred, below).
    const cache = gw.cache;
    const decision = cache?.decide(request, () => c.req.header('cache-control'));
    let cacheKey: CacheKey | undefined;
    if (cache && decision?.use) {
      cacheKey = await cache.key({ tenant: key.tenant, kind, model: model.id, request }, c.req.url);
      const includeUsage = request.stream_options?.include_usage === true || request.stream_options?.['continuous_usage_stats'] === true;
      const hit = decision.lookup
        ? await cache.lookup(cacheKey, { usage: !stream || includeUsage, region: servedInScope(key, gw.regions) }, (work) => defer(c, work))
        : undefined;
      if (hit) return cacheHitResponse(c, gw, hit, { kind, model: model.id, tier, tierReason, stream, includeUsage, started });
    }
    const cacheStatus = cacheKey ? 'miss' : 'bypass';

    const sessionKey = c.req.header('x-session-id') ?? (typeof request.user === 'string' && request.user !== '' ? request.user : undefined);
    // Prefix block hashes for prefix-affinity routing (computed only when the policy weights it).
    const prefix = requestPrefix(gw.fleet, model.id, request);
    const plan = planRoute(gw.pipeline, { model, key, caller: callerGeo(c.req.raw), sessionKey, prefix }, gw.candidates.get(model.id) ?? [], gw.live.view(started, gw.health?.current((work) => defer(c, () => work))));
    if (!plan.ok) {
      throw plan.droppedBy.type === KEY_SCOPE
        ? new GatewayError(503, `Model \`${model.id}\` is not served in any region your API key allows.`, { code: 'no_endpoint_in_scope' })
        : errors.noRoute(`No endpoint is available for model \`${model.id}\`: ${plan.reason}.`);
    }

    const body = request.model === model.id ? text : rewriteModel(text, json as Record<string, unknown>, request.model, model.id);

    // One scope ends the upstream exchange, and remembers why: the client left or the total
    // deadline passed (a client that leaves is not reported as a timeout).
    const cancel = new CancelScope();
    const deadlineTimer = setTimeout(() => cancel.cancel('deadline'), routing.timeouts.totalMs);
    const clientSignal = c.req.raw.signal;
    const onClientGone = () => cancel.cancel('client');
    clientSignal.addEventListener('abort', onClientGone, { once: true });
    const release = () => {
      clearTimeout(deadlineTimer);
      clientSignal.removeEventListener('abort', onClientGone);
    };

    const log = (status: number, extra: { forwarded?: Forwarded; streamOutcome?: StreamOutcome; error?: string }) =>
      gw.log?.({
        requestId,
        method: 'POST',
        path: c.req.path,
        status,
        ms: gw.now() - started,
        tenant: key.tenant,
        model: model.id,
        ...(tier ? { tier } : {}),
        stream,
        ...(extra.forwarded
          ? { region: extra.forwarded.candidate.region.id, endpoint: extra.forwarded.candidate.endpoint.id, attempts: extra.forwarded.attempts }
          : {}),
        ...(extra.streamOutcome ? { streamOutcome: extra.streamOutcome.completed ? 'completed' : (extra.streamOutcome.error ?? 'incomplete') } : {}),
        ...(extra.error ? { error: extra.error } : {}),
        cache: cacheStatus,
      });

    let forwarded: Forwarded;
    try {
      forwarded = await forward(
        // A non-streaming body is read inside the attempt: an upstream dying after its headers
        // is then failed over like any other failure, before the client sees a byte.
        { ranked: plan.ranked, route: ROUTE[kind], body, requestId, timeouts: routing.timeouts, cancel, maxAttempts: MAX_ATTEMPTS, readBody: !stream },
        gw,
      );
    } catch (error) {
      release();
      if (gw.log) defer(c, async () => log(error instanceof GatewayError ? error.status : 500, { error: String(error) }));
      throw error;
    }

    const { response, candidate } = forwarded;
    c.header('x-switchyard-model', model.id);
    c.header('x-switchyard-region', candidate.region.id);
    if (tier) c.header('x-switchyard-tier', tier);
    // Endpoints actually tried (an open breaker skips without sending).
    const sent = forwarded.attempts.reduce((n, a) => (a.outcome === 'circuit-open' ? n : n + 1), 0);
    const failedOver = sent > 1 ? ` attempts=${sent}` : '';
    c.header('x-switchyard-route', `${tierReason ? `${tierReason} ` : ''}${plan.reason}${failedOver}`);
    c.header('x-switchyard-cache', cacheStatus);

    if (stream) {
      let settle: (outcome: StreamOutcome) => void = () => {};
      const ended = new Promise<StreamOutcome>((resolve) => (settle = resolve));
      // A cacheable stream is copied chunk by chunk as it passes (no parsing, no delay) and
      // stored once the relay has seen it complete; a cut or failed stream is never stored.
      const collector = cacheKey ? cache?.collector() : undefined;
      const relayed = relaySse(collector ? collecting(response.reader(), collector) : response.reader(), {
        idleMs: routing.timeouts.streamIdleMs,
        cancel,
        onEnd: (outcome) => {
          release();
          forwarded.done();
          settle(outcome);
        },
      });
      if (gw.log) defer(c, async () => log(200, { forwarded, streamOutcome: await ended }));
      if (cache && cacheKey && collector) {
        const filled = cacheKey;
        defer(c, async () => (await ended).completed && cache.fillFromStream(filled, collector, kind, candidate.region.id));
      }
      c.header('content-type', 'text/event-stream; charset=utf-8');
      c.header('cache-control', 'no-cache');
      return c.body(relayed, 200);
    }

    release();
    forwarded.done();
    const bytes = forwarded.body ?? new Uint8Array(0);
    if (gw.log) defer(c, async () => log(200, { forwarded }));
    if (cache && cacheKey) {
      const filled = cacheKey;
      defer(c, () => cache.fillFromJson(filled, bytes, candidate.region.id));
    }
    c.header('content-type', response.header('content-type') ?? 'application/json');
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200);
  };
