// The admin HTTP API (/admin/keys, /admin/tenants) as the CLI calls it, with an admin key.
import type { KeyRecord } from '../src/auth/key-record.ts';
import type { TenantRecord } from '../src/tenants/tenant-record.ts';

/** The API answered with an error: `status` 4xx is the caller's mistake, 5xx the gateway's. */
export class AdminApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'AdminApiError';
    this.status = status;
  }
}

/** A key as the API shows it (no hash). */
export type KeyView = Omit<KeyRecord, 'hash'> & { hash?: string };

export class AdminClient {
  readonly url: string;
  readonly #adminKey: string;

  constructor(url: string, adminKey: string) {
    this.url = url.replace(/\/+$/, '');
    this.#adminKey = adminKey;
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.#adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new Error(`cannot reach the gateway at ${this.url}: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new AdminApiError(response.status, `the gateway answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    if (!response.ok) {
      const error = (json as { error?: { message?: string; code?: string } }).error;
      throw new AdminApiError(response.status, `${response.status} ${error?.code ?? ''}: ${error?.message ?? text.slice(0, 200)}`.replace(' : ', ': '));
    }
    return json as T;
  }

  keys = {
    create: (input: unknown) => this.call<KeyView & { key: string }>('POST', '/admin/keys', input),
    list: (tenant?: string) => this.call<{ data: KeyView[] }>('GET', `/admin/keys${tenant === undefined ? '' : `?tenant=${encodeURIComponent(tenant)}`}`).then((r) => r.data),
    get: (id: string) => this.call<KeyView>('GET', `/admin/keys/${encodeURIComponent(id)}`),
    update: (id: string, change: unknown) => this.call<KeyView>('PATCH', `/admin/keys/${encodeURIComponent(id)}`, change),
    revoke: (id: string) => this.call<KeyView>('POST', `/admin/keys/${encodeURIComponent(id)}/revoke`),
    rotate: (id: string, graceSeconds?: number) =>
      this.call<KeyView & { key: string; previousValidUntil?: string }>('POST', `/admin/keys/${encodeURIComponent(id)}/rotate`, graceSeconds === undefined ? {} : { graceSeconds }),
  };

  tenants = {
    list: () => this.call<{ data: TenantRecord[] }>('GET', '/admin/tenants').then((r) => r.data),
    get: (tenant: string) => this.call<TenantRecord>('GET', `/admin/tenants/${encodeURIComponent(tenant)}`),
    put: (tenant: string, settings: unknown) => this.call<TenantRecord>('PUT', `/admin/tenants/${encodeURIComponent(tenant)}`, settings),
    delete: (tenant: string) => this.call<TenantRecord>('DELETE', `/admin/tenants/${encodeURIComponent(tenant)}`),
  };
}
