// What the limiter answers with: OpenAI's x-ratelimit-* headers and its two 429s,
// `rate_limit_exceeded` (a limit; Retry-After until it frees up) and `insufficient_quota`
// (a spent budget; Retry-After until the period ends).
import { GatewayError } from '../api/errors.ts';
import type { BudgetPeriod } from './policy.ts';

export interface WindowReading {
  limit: number;
  remaining: number;
  resetAt: number;
}

/**
 * A duration as OpenAI writes `x-ratelimit-reset-*`: `20ms`, `12s`, `6m0s`, `1h2m3s`
 * (whole seconds from one second up, rounded up: a client that waits that long finds room).
 */
export function formatReset(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const total = Math.ceil(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

const retryAfter = (ms: number) => String(Math.max(1, Math.ceil(ms / 1000)));

/** The `x-ratelimit-*` headers of one kind (`requests` or `tokens`) from its tightest reading. */
export function rateHeaders(kind: 'requests' | 'tokens', reading: WindowReading, now: number, into: Record<string, string>): void {
  into[`x-ratelimit-limit-${kind}`] = String(reading.limit);
  into[`x-ratelimit-remaining-${kind}`] = String(reading.remaining);
  into[`x-ratelimit-reset-${kind}`] = formatReset(reading.resetAt - now);
}

export function windowRefused(
  kind: 'requests' | 'tokens',
  subject: string,
  reading: WindowReading,
  requested: number,
  now: number,
  headers: Record<string, string>,
): GatewayError {
  const wait = reading.resetAt - now;
  const what = kind === 'requests' ? 'requests per minute (RPM)' : 'tokens per minute (TPM)';
  const asked = kind === 'tokens' ? `, requested ${requested}` : '';
  return new GatewayError(429, `Rate limit reached for ${what} on ${subject}: limit ${reading.limit}${asked}. Please try again in ${formatReset(wait)}.`, {
    code: 'rate_limit_exceeded',
    type: kind,
    headers: { ...headers, 'retry-after': retryAfter(wait) },
  });
}

export function concurrencyRefused(subject: string, limit: number, headers: Record<string, string>): GatewayError {
  return new GatewayError(429, `Too many concurrent requests on ${subject}: limit ${limit}. Please try again when one of them has finished.`, {
    code: 'rate_limit_exceeded',
    type: 'requests',
    headers: { ...headers, 'retry-after': '1' },
  });
}

export function budgetSpent(subject: string, period: BudgetPeriod, what: string, resetAt: number, now: number): GatewayError {
  const wait = resetAt - now;
  return new GatewayError(429, `You exceeded the ${period} ${what} budget of ${subject}. It renews in ${formatReset(wait)}.`, {
    code: 'insufficient_quota',
    type: 'insufficient_quota',
    headers: { 'retry-after': retryAfter(wait) },
  });
}
