import type { Context } from 'hono';
import { answer } from '../api/answer-headers.ts';
import { errors, GatewayError } from '../api/errors.ts';
import { sniffUpload } from '../api/multipart-model.ts';
import { oneShotBody, type OneShotBody } from '../api/one-shot-body.ts';
import { OPENAI_ENDPOINTS, type EndpointName, type OpenAIEndpoint } from '../api/openai-endpoints.ts';
import { checkKvTransfer } from '../api/kv-transfer.ts';
import { readJsonBody } from '../api/read-body.ts';
import { rewriteModel } from '../api/rewrite-model.ts';
import { checkProxyRequest } from '../api/check-request.ts';
import type { AppEnv } from '../app-env.ts';
import type { ClassifyRequest } from '../classify/request.ts';
import type { CompiledModel } from '../fleet/compiled.ts';
import type { Forwarded } from '../forward/forward.ts';
import type { Gateway } from '../gateway.ts';
import { assertModelAllowed } from '../auth/model-access.ts';
import { invalid } from './completions.ts';
import { admitTokens, ANSWERS, exchangeScope, forwardPlanned, routeOrRefuse, safeContentType, streamBack } from './exchange.ts';
import { estimateTokens } from '../limits/estimate.ts';
import { readHints, resolveModel, type Resolution } from './resolve-model.ts';

/**
 * Every OpenAI / vLLM route beyond chat and text completions — embeddings, responses, rerank,
 * score, audio transcriptions, tokenize, detokenize — through the same steps: auth (before),
 * the model's capability, key scope, routing, failover, the record. JSON bodies are forwarded
 * as the client's bytes; a multipart upload streams through (src/api/multipart-model.ts).
 */
export const proxy = (gw: Gateway, name: EndpointName) =>
  async function proxy(c: Context<AppEnv>): Promise<Response> {
    const endpoint: OpenAIEndpoint = OPENAI_ENDPOINTS[name];
    const started = gw.now();
    const record = c.get('record');
    const { routing } = gw.fleet;

    let body: string | OneShotBody;
    let resolution: Resolution;
    let stream = false;
    let contentType: string | undefined;
    let uploadTooLarge = false;
    let requestedModel: string;
    // Tokens per minute counts what a JSON call will cost (an upload's audio has no token estimate).
    let estimate = 0;
    if (endpoint.body === 'json') {
      const { text, json } = await readJsonBody(c.req.raw, routing.limits.maxBodyBytes, gw.bodyTimeoutMs);
      const parsed = checkProxyRequest(json);
      if (!parsed.success) throw invalid(parsed.error);
      checkKvTransfer(json, gw.kvTransferHosts);
      stream = parsed.data.stream === true;
      requestedModel = parsed.data.model;
      const maxOutput = (json as { max_output_tokens?: unknown }).max_output_tokens;
      estimate = endpoint.tiers ? estimateTokens({ bodyBytes: text.length, maxTokens: typeof maxOutput === 'number' ? maxOutput : undefined }) : Math.ceil(text.length / 4);
      resolution = endpoint.tiers
        ? resolveModel(gw, parsed.data.model, classifyView(json), readHints((h) => c.req.header(h)), endpoint)
        : concreteModel(gw, parsed.data.model, endpoint);
      body = parsed.data.model === resolution.model.id ? text : rewriteModel(text, json as Record<string, unknown>, parsed.data.model, resolution.model.id);
    } else {
      // With one model serving the route, routing needs nothing from the body: stream it all.
      const serving = gw.fleet.models.filter((m) => m.capabilities.includes(endpoint.capability));
      const sole = serving.length === 1 ? serving[0] : undefined;
      const limit = routing.limits.maxUploadBytes;
      const upload = await sniffUpload(c.req.raw, limit, { stopAtFile: sole !== undefined, timeoutMs: gw.bodyTimeoutMs });
      const requested = upload.model ?? sole?.id;
      if (requested === undefined) throw errors.invalidRequest('the multipart field "model" is required', 'model');
      requestedModel = requested;
      resolution = concreteModel(gw, requested, endpoint);
      // The upload's bytes are not rewritten: an alias would reach vLLM as a name it does not serve.
      if (requested !== resolution.model.id) {
        throw errors.invalidRequest(`\`${requested}\` is an alias; uploads need the model id \`${resolution.model.id}\``, 'model');
      }
      let total = upload.bytes;
      body = oneShotBody(upload.head, upload.rest, (n) => {
        total += n;
        if (total > limit) {
          uploadTooLarge = true;
          throw errors.bodyTooLarge(limit);
        }
      });
      contentType = c.req.header('content-type');
    }
    const { model, tier, tierReason } = resolution;
    assertModelAllowed(c.get('key'), model, requestedModel);
    record.model = model.id;
    record.stream = stream;
    if (tier) record.tier = tier;

    await admitTokens(c, gw, estimate);
    const sessionKey = c.req.header('x-session-id');
    const plan = routeOrRefuse(c, gw, model, endpoint.capability, { sessionKey, now: started });
    const scope = exchangeScope(c, gw, routing.timeouts.totalMs);
    let forwarded: Forwarded;
    try {
      forwarded = await forwardPlanned(c, gw, plan, { model: model.id, tier, tierReason }, {
        route: endpoint.upstream,
        body,
        ...(contentType ? { contentType } : {}),
        // A JSON answer is read inside the attempt (failover covers a body cut after the headers);
        // an upload answers as it likes (a stream, text, JSON) and cannot be re-sent anyway.
        readBody: !stream && endpoint.body === 'json',
        accepts: endpoint.body !== 'json' ? ANSWERS.any : stream ? ANSWERS.sse : ANSWERS.json,
      }, scope);
    } catch (error) {
      if (uploadTooLarge) throw errors.bodyTooLarge(routing.limits.maxUploadBytes);
      throw error;
    }

    const { response } = forwarded;
    const upstreamType = response.header('content-type');
    if (endpoint.stream !== undefined && (stream || /^text\/event-stream/i.test(upstreamType ?? ''))) {
      return streamBack(c, gw, forwarded, scope, { end: endpoint.stream }).response;
    }

    try {
      const bytes = forwarded.body ?? (await response.bytes());
      forwarded.bodyEnded(true);
      record.bytesOut = bytes.length;
      if (/^application\/json/i.test(upstreamType ?? 'application/json')) record.answer = bytes;
      return answer(c, bytes as Uint8Array<ArrayBuffer>, 200, { 'content-type': safeContentType(upstreamType) });
    } catch (error) {
      forwarded.bodyEnded(false);
      throw errors.upstreamBroken(`the response body was cut (${error instanceof Error ? error.message : String(error)})`);
    } finally {
      scope.release();
      forwarded.done();
    }
  };

/** A route without tiers takes a model the fleet serves, by id or alias, that can serve it. */
function concreteModel(gw: Gateway, requested: string, endpoint: { path: string; capability: CompiledModel['capabilities'][number] }): Resolution {
  const model = gw.models.get(requested);
  if (!model) {
    if (requested === 'auto' || gw.fleet.routing.tierRules.tiers.includes(requested)) {
      throw new GatewayError(400, `${endpoint.path} takes a model id: \`${requested}\` picks a generation tier, which this route does not have.`, { code: 'invalid_model', param: 'model' });
    }
    throw errors.modelNotFound(requested);
  }
  if (!model.capabilities.includes(endpoint.capability)) {
    throw errors.notServedHere(model.id, endpoint.path, gw.fleet.models.filter((m) => m.capabilities.includes(endpoint.capability)).map((m) => m.id));
  }
  return { model, tier: model.tier };
}

/** What the classifier can read of a Responses API body: its instructions and input, as chat. */
function classifyView(json: unknown): ClassifyRequest {
  const body = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const messages: { role: string; content?: unknown }[] = [];
  if (typeof body['instructions'] === 'string') messages.push({ role: 'system', content: body['instructions'] });
  const input = body['input'];
  if (typeof input === 'string') messages.push({ role: 'user', content: input });
  else if (Array.isArray(input)) {
    for (const item of input as unknown[]) {
      if (typeof item !== 'object' || item === null) continue;
      const { role, content } = item as { role?: unknown; content?: unknown };
      if (typeof role === 'string') messages.push({ role, content: Array.isArray(content) ? content.map(asText) : content });
    }
  }
  const tools = body['tools'];
  const max = body['max_output_tokens'];
  return { messages, ...(Array.isArray(tools) ? { tools } : {}), ...(typeof max === 'number' ? { max_tokens: max } : {}) };
}

/** Responses API parts are `input_text` / `output_text`; the classifier reads `text` parts. */
const asText = (part: unknown): unknown => {
  if (typeof part !== 'object' || part === null) return part;
  const { type, text } = part as { type?: unknown; text?: unknown };
  return (type === 'input_text' || type === 'output_text') && typeof text === 'string' ? { type: 'text', text } : part;
};
