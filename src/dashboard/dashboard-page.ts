import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { DASHBOARD_CSS, DASHBOARD_HTML, DASHBOARD_JS } from './assets.ts';

// The page, its script and its style come from this origin only; data only from this origin's /admin/stats.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * GET /dashboard: a static page (no data in it, so no key needed to load it) that asks
 * /admin/stats with the admin key the operator types in or passes as `#key=` (a fragment never
 * reaches a server or its logs), and redraws every few seconds.
 */
export function dashboardPage(): Hono<AppEnv> {
  const page = new Hono<AppEnv>();
  const headers = (type: string) => ({ 'content-type': type, 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-cache' });
  page.get('/', (c) => c.body(DASHBOARD_HTML, 200, headers('text/html; charset=utf-8')));
  page.get('/app.js', (c) => c.body(DASHBOARD_JS, 200, headers('text/javascript; charset=utf-8')));
  page.get('/app.css', (c) => c.body(DASHBOARD_CSS, 200, headers('text/css; charset=utf-8')));
  return page;
}
