import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { errors, GatewayError } from './api/errors.ts';
import type { AppEnv } from './app-env.ts';
import { keysApi } from './admin/keys-api.ts';
import { tenantsApi } from './admin/tenants-api.ts';
import { bearerAuth } from './auth/bearer-auth.ts';
import { requireAdmin } from './auth/require-admin.ts';
import { buildGateway, type GatewayDeps } from './gateway.ts';
import { completions } from './handlers/completions.ts';
import { listModels } from './handlers/models.ts';
import { limitRequests } from './limits/limit-requests.ts';

/**
 * The gateway as a Hono app over Web-standard Request/Response: the same app runs in the
 * Worker (workers/gateway.ts) and on Node (`switchyard serve`).
 */
export function createApp(deps: GatewayDeps): Hono<AppEnv> {
  const gw = buildGateway(deps);
  const app = new Hono<AppEnv>();

  app.use('*', requestId({ headerName: 'x-request-id', limitLength: 128 }));

  app.get('/healthz', (c) =>
    c.json({ status: 'ok', regions: gw.fleet.regions.length, models: gw.fleet.models.length, endpoints: gw.fleet.endpoints.length }),
  );

  app.use('/v1/*', bearerAuth(gw.keys));
  if (gw.limiter) app.use('/v1/*', limitRequests(gw.limiter));
  app.post('/v1/chat/completions', completions(gw, 'chat'));
  app.post('/v1/completions', completions(gw, 'completions'));
  app.get('/v1/models', listModels(gw));
  for (const path of ['/v1/chat/completions', '/v1/completions', '/v1/models']) {
    app.all(path, (c) => {
      throw errors.methodNotAllowed(c.req.method, path);
    });
  }

  if (deps.admin) {
    app.use('/admin/*', bearerAuth(gw.keys), requireAdmin());
    app.route('/admin/keys', keysApi(deps.admin.keys, gw.fleet));
    app.route('/admin/tenants', tenantsApi(deps.admin.tenants));
  }

  app.notFound((c) => errors.notFound(c.req.path).toResponse({ 'x-request-id': c.get('requestId') }));
  app.onError((error, c) => {
    const requestId = c.get('requestId');
    if (error instanceof GatewayError) return error.toResponse({ 'x-request-id': requestId });
    console.error(JSON.stringify({ requestId, error: String(error), stack: error instanceof Error ? error.stack : undefined }));
    return errors.internal().toResponse({ 'x-request-id': requestId });
  });
  return app;
}
