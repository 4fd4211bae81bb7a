// The three measurements of a target: a closed-loop load (autocannon), the same at one
// connection for latency, and time to the first streamed body byte (undici, sequential).
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Client } from 'undici';
import { percentile } from './stats.ts';

export interface HttpTarget {
  /** Origin, e.g. http://127.0.0.1:41234 */
  readonly origin: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Non-streaming request body (JSON text). */
  readonly body: string;
  /** The same request with `stream: true`. */
  readonly streamBody: string;
}

export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  /** 2xx responses per second over the measured window. */
  rps: number;
  /** Milliseconds, from autocannon's per-response hrtime (its histogram keeps whole ms only). */
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
}

export class MeasurementError extends Error {
  override name = 'MeasurementError';
}

/** Closed-loop load: `connections` keep-alive connections, each sending the next request when the last answered. */
export async function load(target: HttpTarget, connections: number, seconds: number): Promise<LoadResult> {
  const latencies: number[] = [];
  const instance = autocannon({
    url: target.origin + target.path,
    method: 'POST',
    headers: { ...target.headers },
    body: target.body,
    connections,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const result = await instance;
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count;
  return {
    connections,
    seconds: result.duration,
    requests: result['2xx'],
    rps: result['2xx'] / result.duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
  };
}

/** Throws unless every response was 2xx and nothing failed at the socket level. */
export function assertClean(label: string, r: LoadResult): void {
  if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0 || r.requests === 0) {
    throw new MeasurementError(
      `${label}: ${r.non2xx} non-2xx responses, ${r.errors} errors, ${r.timeouts} timeouts out of ${r.requests} 2xx ` +
        `(status codes ${JSON.stringify(r.statusCodes)}) at ${r.connections} connections — the measurement is invalid`,
    );
  }
}

/**
 * Time to first streamed body byte: `samples` streaming requests one after another on one
 * keep-alive connection; each from just before sending to the first body chunk. Milliseconds.
 */
export async function timeToFirstByte(target: HttpTarget, samples: number): Promise<number[]> {
  const client = new Client(target.origin, { pipelining: 1 });
  const times: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const sent = performance.now();
      const response = await client.request({
        method: 'POST',
        path: target.path,
        headers: { ...target.headers },
        body: target.streamBody,
      });
      const chunks = response.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      const first = await chunks.next();
      const firstByte = performance.now();
      let text = first.done ? '' : first.value.toString('utf8');
      for (let r = await chunks.next(); !r.done; r = await chunks.next()) text += r.value.toString('utf8');
      if (response.statusCode !== 200 || first.done) {
        throw new MeasurementError(`streaming request to ${target.origin}${target.path} answered ${response.statusCode}: ${text.slice(0, 300)}`);
      }
      if (!text.includes('data: [DONE]')) {
        throw new MeasurementError(`streaming response from ${target.origin}${target.path} did not end with data: [DONE]: …${text.slice(-200)}`);
      }
      times.push(firstByte - sent);
    }
  } finally {
    await client.close();
  }
  return times;
}
