import type { Context } from 'hono';
import type * as z from '../zod-mini.ts';
import { answer, setAnswerHeader } from '../api/answer-headers.ts';
import { errors, type GatewayError } from '../api/errors.ts';
import { OPENAI_ENDPOINTS } from '../api/openai-endpoints.ts';
import { checkKvTransfer } from '../api/kv-transfer.ts';
import { readJsonBody } from '../api/read-body.ts';
import { rewriteModel } from '../api/rewrite-model.ts';
import { checkRequest } from '../api/check-request.ts';
import { type ChatCompletionRequest, type CompletionRequest, type Endpoint } from '../api/schemas.ts';
import type { Gateway } from '../gateway.ts';
import { assertModelAllowed } from '../auth/model-access.ts';
import type { BodyReader } from '../backends/transport.ts';
import { withIncludeUsage } from '../meter/include-usage.ts';
import { requestPrefix } from '../route/prefix/request-prefix.ts';
import type { AppEnv } from '../app-env.ts';
import type { ClassifyRequest } from '../classify/request.ts';
import { collecting } from '../cache/collect.ts';
import type { CacheKey } from '../cache/entry.ts';
import { servedInScope } from '../cache/scope.ts';
import { cacheHitResponse } from './cache-hit.ts';
import { defer } from './defer.ts';
import { admitTokens, ANSWERS, continuationForwarder, exchangeScope, forwardPlanned, routeOrRefuse, safeContentType, streamBack } from './exchange.ts';
import { choiceCount, continuationBlocker, continuationBody } from '../api/continuation-body.ts';
import type { StreamContinuation } from '../forward/stream-continuation.ts';
import { estimateTokens } from '../limits/estimate.ts';
import { readHints, resolveModel } from './resolve-model.ts';

const ENDPOINT = { chat: OPENAI_ENDPOINTS.chat, completions: OPENAI_ENDPOINTS.completions } as const;

export const invalid = (error: z.core.$ZodError): GatewayError => {
  const issue = error.issues[0];
  const param = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : null;
  return errors.invalidRequest(issue ? `${param ?? 'body'}: ${issue.message}` : 'invalid request body', param);
};

/**
 * What the classifier reads of a validated body: only fields the schema checked. A chat body is
 * one as it is; of a text completion, its prompt and token limit (whatever else it carries, typed
 * or not, is vLLM's).
 */
function classifyView(kind: Endpoint, request: ChatCompletionRequest | CompletionRequest): ClassifyRequest {
  if (kind === 'chat') return request as ChatCompletionRequest;
  const { prompt, max_tokens } = request as CompletionRequest;
  return { prompt, ...(max_tokens === undefined ? {} : { max_tokens }) };
}

/**
 * POST /v1/chat/completions and /v1/completions: validate → resolve the model (classify for
 * `auto`) → cache lookup → plan the route → forward (failing over before the first byte) →
 * relay → record (deferred: cache fill; the log line is the record's). The client's own bytes
 * are forwarded, with the model id spliced in when it changes, so no field is ever dropped.
 */
export const completions = (gw: Gateway, kind: Endpoint) =>
  async function completions(c: Context<AppEnv>): Promise<Response> {
    const started = gw.now();
    const record = c.get('record');
    const endpoint = ENDPOINT[kind];
    const { routing } = gw.fleet;
    const { text, json } = await readJsonBody(c.req.raw, routing.limits.maxBodyBytes, gw.bodyTimeoutMs);
    const parsed = checkRequest(kind, json);
    if (!parsed.success) throw invalid(parsed.error);
    const request = parsed.data;
    checkKvTransfer(json, gw.kvTransferHosts);
    const stream = request.stream === true;
    record.stream = stream;

    const { model, tier, tierReason } = resolveModel(gw, request.model, classifyView(kind, request), readHints((name) => c.req.header(name)), endpoint);
    record.model = model.id;
    if (tier) record.tier = tier;
    const key = c.get('key');
    assertModelAllowed(key, model, request.model);

    // 4 cache lookup. Deciding is a few property reads; only a cacheable request is hashed and
    // looked up, and only a completed answer is stored (deferred, below).
    const cache = gw.cache;
    const decision = cache?.decide(request, () => c.req.header('cache-control'));
    let cacheKey: CacheKey | undefined;
    if (cache && decision?.use) {
      // Keyed by the body as parsed, exactly what is forwarded (the validated copy may lack members).
      cacheKey = await cache.key({ tenant: key.tenant, kind, model: model.id, request: json as Record<string, unknown> }, c.req.url);
      const includeUsage = request.stream_options?.include_usage === true || request.stream_options?.['continuous_usage_stats'] === true;
      const hit = decision.lookup
        ? await cache.lookup(cacheKey, { usage: !stream || includeUsage, region: servedInScope(key, gw.regions) }, (work) => defer(c, work))
        : undefined;
      if (hit) return cacheHitResponse(c, gw, hit, { kind, model: model.id, tier, tierReason, stream, includeUsage });
    }
    const cacheStatus = cacheKey ? 'miss' : 'bypass';
    record.cache = cacheStatus;
    const asked = (request as { max_completion_tokens?: unknown }).max_completion_tokens;
    await admitTokens(c, gw, estimateTokens({ bodyBytes: text.length, maxTokens: request.max_tokens ?? (typeof asked === 'number' ? asked : undefined) }));

    const sessionKey = c.req.header('x-session-id') ?? (typeof request.user === 'string' && request.user !== '' ? request.user : undefined);
    // Prefix block hashes for prefix-affinity routing (computed only when the policy weights it).
    const prefix = requestPrefix(gw.fleet, model.id, request);
    const plan = routeOrRefuse(c, gw, model, endpoint.capability, { sessionKey, prefix, now: started });

    const sent = request.model === model.id ? text : rewriteModel(text, json as Record<string, unknown>, request.model, model.id);
    // Streams are metered too: ask for the usage chunk; the client sees it only if it asked.
    const { body, clientAsked } = stream ? withIncludeUsage(sent, json as Record<string, unknown>) : { body: sent, clientAsked: true };
    const scope = exchangeScope(c, gw, routing.timeouts.totalMs);
    // A non-streaming body is read inside the attempt: an upstream dying after its headers is
    // then failed over like any other failure, before the client sees a byte.
    const forwarded = await forwardPlanned(c, gw, plan, { model: model.id, tier, tierReason }, { route: endpoint.upstream, body, readBody: !stream, accepts: stream ? ANSWERS.sse : ANSWERS.json }, scope);
    const { response, candidate } = forwarded;
    setAnswerHeader(c, 'x-switchyard-cache', cacheStatus);

    if (stream) {
      // A cacheable stream is copied chunk by chunk as it passes (no parsing, no delay) and
      // stored once the relay has seen it complete; a cut or failed stream is never stored.
      const collector = cacheKey ? cache?.collector() : undefined;
      const failover = routing.midStreamFailover;
      const body = json as Record<string, unknown>;
      const continuation: StreamContinuation | undefined = failover?.enabled
        ? {
            route: kind,
            maxContinuations: failover.maxContinuations,
            maxTextChars: failover.maxTextChars,
            choices: choiceCount(body),
            blocker: continuationBlocker(kind, body),
            body: (partial) => continuationBody(kind, body, model.id, partial),
            forward: continuationForwarder(c, gw, model, endpoint.capability, endpoint.upstream),
          }
        : undefined;
      const { response: relayed, ended } = streamBack(c, gw, forwarded, scope, { stripUsage: !clientAsked, continuation, ...(collector ? { tap: (reader: BodyReader) => collecting(reader, collector) } : {}) });
      if (cache && cacheKey && collector) {
        const filled = cacheKey;
        defer(c, async () => ((await ended).completed ? cache.fillFromStream(filled, collector, kind, candidate.region.id) : collector.discard()));
      }
      return relayed;
    }

    scope.release();
    forwarded.done();
    const bytes = forwarded.body ?? new Uint8Array(0);
    record.answer = bytes;
    record.bytesOut = bytes.length;
    if (cache && cacheKey) {
      const filled = cacheKey;
      defer(c, () => cache.fillFromJson(filled, bytes, candidate.region.id));
    }
    return answer(c, bytes as Uint8Array<ArrayBuffer>, 200, { 'content-type': safeContentType(response.header('content-type')) });
  };
