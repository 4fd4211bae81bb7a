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
import { KEY_SCOPE } from '../route/filters/key-scope.ts';
import { planRoute } from '../route/pipeline.ts';
import type { AppEnv } from '../app-env.ts';
import type { ClassifyRequest } from '../classify/request.ts';
import { callerGeo } from './caller-geo.ts';
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
 * POST /v1/chat/completions and /v1/completions: validate → resolve the model → plan the
 * route → forward (failing over before the first byte) → relay. The client's own bytes are
 * forwarded unless the model id must be rewritten (an alias), so no field is ever dropped.
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

    const key = c.var.key;
    const sessionKey = c.req.header('x-session-id') ?? (typeof request.user === 'string' && request.user !== '' ? request.user : undefined);
    const plan = planRoute(gw.pipeline, { model, key, caller: callerGeo(c.req.raw), sessionKey }, gw.candidates.get(model.id) ?? [], gw.live.view(started, gw.health?.current((work) => defer(c, () => work))));
    if (!plan.ok) {
      throw plan.droppedBy.type === KEY_SCOPE
        ? new GatewayError(503, `Model \`${model.id}\` is not served in any region your API key allows.`, { code: 'no_endpoint_in_scope' })
        : errors.noRoute(`No endpoint is available for model \`${model.id}\`: ${plan.reason}.`);
    }

    const body = request.model === model.id ? text : rewriteModel(text, json as Record<string, unknown>, request.model, model.id);
    const stream = request.stream === true;

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

    const requestId = c.var.requestId;
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
      });

    let forwarded: Forwarded;
    try {
      forwarded = await forward(
        { ranked: plan.ranked, route: ROUTE[kind], body, requestId, timeouts: routing.timeouts, cancel, maxAttempts: MAX_ATTEMPTS },
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
    const failedOver = forwarded.attempts.length > 1 ? ` attempts=${forwarded.attempts.length}` : '';
    c.header('x-switchyard-route', `${tierReason ? `${tierReason} ` : ''}${plan.reason}${failedOver}`);

    if (stream) {
      let settle: (outcome: StreamOutcome) => void = () => {};
      const ended = new Promise<StreamOutcome>((resolve) => (settle = resolve));
      const relayed = relaySse(response.reader(), {
        idleMs: routing.timeouts.streamIdleMs,
        cancel,
        onEnd: (outcome) => {
          release();
          forwarded.done();
          settle(outcome);
        },
      });
      if (gw.log) defer(c, async () => log(200, { forwarded, streamOutcome: await ended }));
      c.header('content-type', 'text/event-stream; charset=utf-8');
      c.header('cache-control', 'no-cache');
      return c.body(relayed, 200);
    }

    let bytes: Uint8Array;
    try {
      bytes = await response.bytes();
    } catch (error) {
      throw cancel.reason === 'deadline' ? errors.upstreamTimeout('total', routing.timeouts.totalMs) : errors.upstreamBroken(`the response body was cut (${String(error)})`);
    } finally {
      release();
      forwarded.done();
    }
    if (gw.log) defer(c, async () => log(200, { forwarded }));
    c.header('content-type', response.header('content-type') ?? 'application/json');
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200);
  };
