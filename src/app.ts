import { Hono, type Context } from 'hono';
import { answer, answerHeaders } from './api/answer-headers.ts';
import { corsHeaders } from './api/cors.ts';
import { errors, GatewayError } from './api/errors.ts';
import { OPENAI_ENDPOINTS, type EndpointName } from './api/openai-endpoints.ts';
import type { AppEnv } from './app-env.ts';
import { keysApi } from './admin/keys-api.ts';
import { tenantsApi } from './admin/tenants-api.ts';
import { bearerAuth } from './auth/bearer-auth.ts';
import { requireAdmin } from './auth/require-admin.ts';
import { buildGateway, type GatewayDeps } from './gateway.ts';
import { completions } from './handlers/completions.ts';
import { getModel, listModels } from './handlers/models.ts';
import { proxy } from './handlers/proxy.ts';
import { recordRequests } from './observe/record-requests.ts';
import { requestId } from './observe/request-id.ts';

/** Response headers a browser may read: routing, the request id, and when to retry. */
const EXPOSED_HEADERS = ['x-request-id', 'x-switchyard-model', 'x-switchyard-region', 'x-switchyard-tier', 'x-switchyard-cache', 'x-switchyard-route', 'retry-after', 'retry-after-ms'];
const ALLOWED_HEADERS = ['authorization', 'content-type', 'x-session-id', 'x-max-latency-ms', 'x-min-quality', 'cache-control', 'x-request-id', 'traceparent', 'tracestate', 'openai-organization', 'openai-project', 'x-stainless-arch', 'x-stainless-lang', 'x-stainless-os', 'x-stainless-package-version', 'x-stainless-retry-count', 'x-stainless-runtime', 'x-stainless-runtime-version', 'x-stainless-timeout'];
import { limitRequests } from './limits/limit-requests.ts';
import { dashboardData, prometheusMetrics, usage } from './handlers/observability.ts';
import { dashboardPage } from './dashboard/dashboard-page.ts';

/**
 * An error's answer, with what was set for the answer before the error (the request id, routing
 * and rate-limit headers), as on any answer.
 */
const errorAnswer = (c: Context<AppEnv>, error: GatewayError): Response =>
  answer(c, JSON.stringify(error.toBody()), error.status, { 'content-type': 'application/json', ...error.headers });

/**
 * The gateway as a Hono app over Web-standard Request/Response: the same app runs in the
 * Worker (workers/gateway.ts) and on Node (`switchyard serve`).
 */
export function createApp(deps: GatewayDeps): Hono<AppEnv> {
  const gw = buildGateway(deps);
  const app = new Hono<AppEnv>();
  const { cors: corsPolicy } = gw.fleet.routing;

  app.use('*', answerHeaders());
  app.use('*', requestId());
  app.use('*', recordRequests(gw));
  // Before auth: a preflight carries no key. With no allowed origins, no origin gets CORS headers.
  app.use('*', corsHeaders({ allowedOrigins: corsPolicy.allowedOrigins, allowHeaders: ALLOWED_HEADERS, exposeHeaders: EXPOSED_HEADERS, maxAgeSeconds: corsPolicy.maxAgeSeconds }));

  app.get('/healthz', (c) => {
    // Degraded: a region's upstream secret is missing, so its endpoints are skipped (the names are in the operator's log).
    const problems = [...new Set(gw.missingCredentials.map((m) => (m.endpoint ? `endpoint ${m.endpoint}: upstream credentials are not set` : `region ${m.region}: upstream credentials are not set`)))];
    return c.json({
      status: problems.length > 0 ? 'degraded' : 'ok',
      regions: gw.fleet.regions.length,
      models: gw.fleet.models.length,
      endpoints: gw.fleet.endpoints.length,
      ...(problems.length > 0 ? { problems } : {}),
    });
  });

  const auth = bearerAuth(gw.keys);
  app.use('/v1/*', auth);
  app.use('/tokenize', auth);
  app.use('/detokenize', auth);
  if (gw.limiter) {
    const limit = limitRequests(gw.limiter);
    app.use('/v1/*', limit);
    app.use('/tokenize', limit);
    app.use('/detokenize', limit);
  }
  app.post(OPENAI_ENDPOINTS.chat.path, completions(gw, 'chat'));
  app.post(OPENAI_ENDPOINTS.completions.path, completions(gw, 'completions'));
  for (const name of ['responses', 'embeddings', 'rerank', 'score', 'transcriptions', 'tokenize', 'detokenize'] as const satisfies readonly EndpointName[]) {
    app.post(OPENAI_ENDPOINTS[name].path, proxy(gw, name));
  }
  app.get('/v1/usage', usage(gw));
  app.get('/v1/models', listModels(gw));
  app.get('/v1/models/:id{.+}', getModel(gw));
  for (const path of [...Object.values(OPENAI_ENDPOINTS).map((e) => e.path), '/v1/models', '/v1/models/:id{.+}']) {
    app.all(path, (c) => {
      throw errors.methodNotAllowed(c.req.method, c.req.path);
    });
  }

  // The operator's surface: admin keys only. The dashboard page itself is static and holds no
  // data; it asks /admin/stats with the admin key the operator gives it.
  const admin = [bearerAuth(gw.keys), requireAdmin()] as const;
  app.use('/admin/*', ...admin);
  app.get('/metrics', ...admin, prometheusMetrics(gw));
  app.get('/admin/stats', dashboardData(gw));
  app.route('/dashboard', dashboardPage());
  if (deps.admin) {
    app.route('/admin/keys', keysApi(deps.admin.keys, gw.fleet));
    app.route('/admin/tenants', tenantsApi(deps.admin.tenants));
  }

  app.notFound((c) => {
    const error = errors.notFound(c.req.path);
    c.error = error; // for the request's log line, as onError's answers have theirs
    return errorAnswer(c, error);
  });
  app.onError((error, c) => {
    if (error instanceof GatewayError) return errorAnswer(c, error);
    // The request's log line carries it too; this is the stack, for the operator.
    console.error(JSON.stringify({ requestId: c.get('requestId'), error: String(error), stack: error instanceof Error ? error.stack : undefined }));
    return errorAnswer(c, errors.internal());
  });
  return app;
}
