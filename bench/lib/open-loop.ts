// Open-loop load: requests go out on a fixed schedule (rate × duration), whether or not
// earlier ones have answered, so a slow or failing target cannot slow the load down (no
// coordinated omission). undici Pool over keep-alive connections; every response is kept
// (status, headers, latency, what went wrong) for the benchmark to analyse.
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

export interface OpenLoopRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface OpenLoopSample {
  /** Index in the schedule. */
  readonly index: number;
  /** Milliseconds after `startedAt`: when it was due, when it went out, when it ended. */
  readonly dueAt: number;
  readonly sentAt: number;
  readonly endedAt: number;
  /** endedAt − sentAt: response headers plus the whole body, or until the error. */
  readonly latencyMs: number;
  /** HTTP status; 0 when there was no response (network error, timeout). */
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Why the request failed below HTTP, or why its body is not what `check` wants. */
  readonly error?: string;
}

export interface OpenLoopOptions {
  /** e.g. http://127.0.0.1:41234 */
  readonly origin: string;
  readonly rate: number;
  readonly durationMs: number;
  /** Keep-alive connections; enough that requests never wait for one at the expected latency. */
  readonly connections: number;
  /** Per request: headers, and then the body, each within this many ms. */
  readonly timeoutMs: number;
  readonly request: (index: number) => OpenLoopRequest;
  /** A 2xx body that is not a complete answer: the reason (the sample counts as failed). */
  readonly check?: (body: string, index: number) => string | undefined;
  /** performance.now() at which request 0 is due; defaults to the call. */
  readonly startedAt?: number;
}

export interface OpenLoopRun {
  readonly startedAt: number;
  /** Resolves once every scheduled request has ended, in schedule order. */
  readonly done: Promise<OpenLoopSample[]>;
  /** Requests sent and not yet ended. */
  inflight(): number;
}

const headerMap = (headers: Record<string, string | string[] | undefined>): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
};

const describe = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const cause = error.cause instanceof Error ? ` (cause: ${describe(error.cause)})` : '';
  return `${typeof code === 'string' ? `${code}: ` : ''}${error.message}${cause}`;
};

export function openLoop(options: OpenLoopOptions): OpenLoopRun {
  const pool = new Pool(options.origin, { connections: options.connections, pipelining: 1 });
  const startedAt = options.startedAt ?? performance.now();
  const interval = 1000 / options.rate;
  const total = Math.max(1, Math.round((options.durationMs / 1000) * options.rate));
  const samples: (OpenLoopSample | undefined)[] = new Array<OpenLoopSample | undefined>(total);
  let inflight = 0;
  let ended = 0;
  let next = 0;
  let finish: () => void = () => {};
  const allEnded = new Promise<void>((resolve) => (finish = resolve));

  const fire = (index: number) => {
    const dueAt = index * interval;
    const sent = performance.now();
    const req = options.request(index);
    inflight++;
    const record = (status: number, headers: Record<string, string>, error: string | undefined) => {
      const end = performance.now();
      inflight--;
      samples[index] = {
        index,
        dueAt,
        sentAt: sent - startedAt,
        endedAt: end - startedAt,
        latencyMs: end - sent,
        status,
        headers,
        ...(error === undefined ? {} : { error }),
      };
      if (++ended === total) finish();
    };
    pool
      .request({ method: 'POST', path: req.path, headers: { ...req.headers }, body: req.body, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs })
      .then(
        async (response) => {
          const headers = headerMap(response.headers);
          let text: string;
          try {
            text = await response.body.text();
          } catch (error) {
            record(response.statusCode, headers, `the body was cut: ${describe(error)}`);
            return;
          }
          const ok = response.statusCode >= 200 && response.statusCode < 300;
          const bad = ok ? options.check?.(text, index) : `HTTP ${response.statusCode}: ${text.slice(0, 300)}`;
          record(response.statusCode, headers, bad);
        },
        (error: unknown) => record(0, {}, describe(error)),
      );
  };

  // A timer per due time would drift; instead each tick sends everything due by now.
  const tick = () => {
    const now = performance.now() - startedAt;
    while (next < total && next * interval <= now) fire(next++);
    if (next < total) setTimeout(tick, Math.max(0, next * interval - (performance.now() - startedAt)));
  };
  setTimeout(tick, Math.max(0, startedAt - performance.now()));

  const done = allEnded.then(async () => {
    await pool.close();
    return samples.filter((s): s is OpenLoopSample => s !== undefined);
  });
  return { startedAt, done, inflight: () => inflight };
}
