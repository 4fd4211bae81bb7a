import { CancelScope } from '../backends/cancellation.ts';
import { TransportError, type Transport, type UpstreamResponse } from '../backends/transport.ts';
import { PATH_PREFIX, type CompiledEndpoint, type CompiledFleet } from '../fleet/compiled.ts';
import type { HealthSample } from '../route/endpoint-view.ts';
import { mapLimit } from './map-limit.ts';
import { serverRoot } from './server-root.ts';
import type { HealthSnapshot } from './snapshot.ts';
import { parseVllmLoad } from './vllm-metrics.ts';

export interface ProbeOptions {
  /** Budget for the whole probe of one server: connect, headers and the /metrics body. */
  timeoutMs: number;
  now: () => number;
  /** Bearer token, for servers behind an authenticating ingress (vLLM itself asks none here). */
  credential?: string;
  /** A larger /metrics body is refused (a sample without metrics); default 4 MiB. */
  maxMetricsBytes?: number;
}

export interface FleetProbeOptions extends Omit<ProbeOptions, 'credential'> {
  /** The bearer token for an endpoint's region, if any. */
  credentialFor?: (endpoint: CompiledEndpoint) => string | undefined;
  /**
   * Servers probed at once; each probe opens two connections. Default 3: a Worker
   * invocation has six connections waiting for headers at most, and a queued one would
   * spend its timeout waiting for a slot.
   */
  concurrency?: number;
}

export const PROBE_DEFAULTS = { maxMetricsBytes: 4 * 1024 * 1024, concurrency: 3 } as const;
/** The snapshot is read on every isolate: a server listing more models than this is cut to it. */
export const MAX_SERVED_MODELS = 256;
const MAX_MODELS_BODY_BYTES = 1024 * 1024;
const MAX_IGNORED_BODY_BYTES = 64 * 1024;
const MAX_ERROR_CHARS = 200; // the snapshot is read on every isolate: keep it small

/** Probes the server behind one endpoint. Never throws: failures are `healthy: false`. */
export async function probeEndpoint(endpoint: CompiledEndpoint, transport: Transport, options: ProbeOptions): Promise<HealthSample> {
  try {
    return await probeServer(serverRoot(endpoint), transport, options, PATH_PREFIX[endpoint.pathStyle]);
  } catch (error) {
    return failed(options, describe(error));
  }
}

/**
 * GET {root}/health, {root}/metrics and {root}{prefix}/models at once under one deadline.
 * Healthy means /health answered 2xx; metrics and the served models are added when their
 * routes answered and parsed, and their failure alone leaves the sample healthy (with `error`
 * saying what went wrong about metrics).
 */
export async function probeServer(root: string, transport: Transport, options: ProbeOptions, openAiPrefix = '/v1'): Promise<HealthSample> {
  const deadline = startDeadline(options.timeoutMs);
  try {
    const get = (path: string) => send(transport, deadline, `${root}${path}`, options);
    const [health, metrics, served] = await Promise.all([
      settle(deadline, options.timeoutMs, async () => {
        const response = await get('/health');
        await release(response, deadline);
        if (response.status < 200 || response.status > 299) throw new Error(`/health answered ${response.status}`);
      }),
      settle(deadline, options.timeoutMs, async () => {
        const response = await get('/metrics');
        if (response.status < 200 || response.status > 299) {
          await release(response, deadline);
          throw new Error(`/metrics answered ${response.status}`);
        }
        return parseVllmLoad(await readText(response, options.maxMetricsBytes ?? PROBE_DEFAULTS.maxMetricsBytes, deadline));
      }),
      settle(deadline, options.timeoutMs, async () => {
        const response = await get(`${openAiPrefix}/models`);
        if (response.status < 200 || response.status > 299) {
          await release(response, deadline);
          throw new Error(`${openAiPrefix}/models answered ${response.status}`);
        }
        return servedModels(await readText(response, MAX_MODELS_BODY_BYTES, deadline));
      }),
    ]);
    const sample: HealthSample = {
      healthy: health.ok,
      checkedAt: options.now(),
      ...(metrics.ok ? metrics.value : {}),
      ...(served.ok && served.value !== undefined ? { served: served.value } : {}),
    };
    if (!health.ok) sample.error = clip(health.error);
    else if (!metrics.ok) sample.error = clip(`metrics: ${metrics.error}`);
    return sample;
  } finally {
    deadline.clear();
  }
}

/**
 * Probes every endpoint of the fleet, each server once per OpenAI prefix (endpoints sharing a
 * root, a prefix and a credential share its sample), at most `concurrency` servers at a time.
 * Never throws.
 */
export async function probeFleet(
  fleet: Pick<CompiledFleet, 'endpoints'>,
  transport: Transport,
  options: FleetProbeOptions,
): Promise<HealthSnapshot> {
  const takenAt = safeNow(options);
  const endpoints: Record<string, HealthSample> = {};
  const servers = new Map<string, { root: string; prefix: string; credential: string | undefined; ids: string[] }>();
  for (const endpoint of fleet.endpoints) {
    // Only vLLM servers have /health and /metrics. A SageMaker endpoint gets no sample (no data
    // is not "down"); the passive circuit breaker still watches its live traffic.
    if (endpoint.backend !== 'vllm') continue;
    const root = serverRoot(endpoint);
    const prefix = PATH_PREFIX[endpoint.pathStyle];
    let credential: string | undefined;
    try {
      credential = options.credentialFor?.(endpoint);
    } catch (error) {
      endpoints[endpoint.id] = failed(options, `credential: ${describe(error)}`);
      continue;
    }
    const key = `${root}\n${prefix}\n${credential ?? ''}`;
    const server = servers.get(key);
    if (server === undefined) servers.set(key, { root, prefix, credential, ids: [endpoint.id] });
    else server.ids.push(endpoint.id);
  }
  const list = [...servers.values()];
  const samples = await mapLimit(list, options.concurrency ?? PROBE_DEFAULTS.concurrency, async (server) => {
    const serverOptions: ProbeOptions = { ...options, ...(server.credential === undefined ? {} : { credential: server.credential }) };
    try {
      return await probeServer(server.root, transport, serverOptions, server.prefix);
    } catch (error) {
      return failed(options, describe(error));
    }
  });
  list.forEach((server, i) => {
    for (const id of server.ids) endpoints[id] = samples[i] as HealthSample;
  });
  // In fleet order, whichever server answered first.
  const ordered: Record<string, HealthSample> = {};
  for (const e of fleet.endpoints) if (Object.hasOwn(endpoints, e.id)) ordered[e.id] = endpoints[e.id] as HealthSample;
  return { takenAt, endpoints: ordered };
}

interface Deadline {
  readonly cancel: CancelScope;
  /** Rejects when the time is up; raced against every wait so a transport that ignores the signal cannot hang us. */
  readonly expired: Promise<never>;
  readonly timedOut: boolean;
  clear(): void;
}

function startDeadline(timeoutMs: number): Deadline {
  const cancel = new CancelScope();
  let timedOut = false;
  let expire: (error: Error) => void = () => {};
  const expired = new Promise<never>((_, reject) => {
    expire = reject;
  });
  expired.catch(() => {}); // nobody may be racing it when it fires
  const timer = setTimeout(() => {
    timedOut = true;
    expire(new Error(timeoutMessage(timeoutMs)));
    cancel.cancel('probe-timeout');
  }, timeoutMs);
  return {
    cancel,
    expired,
    get timedOut() {
      return timedOut;
    },
    clear: () => clearTimeout(timer),
  };
}

async function send(transport: Transport, deadline: Deadline, url: string, options: ProbeOptions): Promise<UpstreamResponse> {
  const pending = transport({
    url,
    method: 'GET',
    headers: options.credential === undefined ? {} : { authorization: `Bearer ${options.credential}` },
    // The deadline's cancellation bounds the whole exchange; these only need to be no shorter.
    connectMs: options.timeoutMs,
    firstByteMs: options.timeoutMs,
    cancel: deadline.cancel,
  });
  try {
    return await Promise.race([pending, deadline.expired]);
  } catch (error) {
    pending.then((late) => release(late, deadline), () => {}); // an answer after the deadline is released unread
    throw error;
  }
}

async function readText(response: UpstreamResponse, maxBytes: number, deadline: Deadline): Promise<string> {
  const reader = response.reader();
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  try {
    for (;;) {
      const chunk = await Promise.race([reader.read(), deadline.expired]);
      if (chunk.done) return text + decoder.decode();
      size += chunk.value.byteLength;
      if (size > maxBytes) throw new Error(`body exceeds ${maxBytes} bytes`);
      text += decoder.decode(chunk.value, { stream: true });
    }
  } catch (error) {
    Promise.resolve()
      .then(() => reader.cancel())
      .catch(() => {});
    throw error;
  }
}

/**
 * Reads a body we do not need to its end (bounded), instead of `discard()`: a drained
 * connection can be reused, and undici's body, destroyed before anyone read it, raises an
 * uncaught error. Never throws.
 */
async function release(response: UpstreamResponse, deadline: Deadline): Promise<void> {
  try {
    await readText(response, MAX_IGNORED_BODY_BYTES, deadline);
  } catch {
    // readText already cancelled the body
  }
}

/**
 * The ids of OpenAI's model list (`{"data":[{"id":…}]}`), as vLLM and KServe answer it;
 * undefined when the body is not that shape (no claim either way).
 */
function servedModels(text: string): string[] | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const data = typeof body === 'object' && body !== null ? (body as { data?: unknown }).data : undefined;
  if (!Array.isArray(data)) return undefined;
  const ids: string[] = [];
  for (const entry of data) {
    const id = typeof entry === 'object' && entry !== null ? (entry as { id?: unknown }).id : undefined;
    if (typeof id === 'string' && id.length <= 256) ids.push(id);
    if (ids.length === MAX_SERVED_MODELS) break;
  }
  return ids;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: string };

/** Runs one half of the probe; a failure after the deadline fired is reported as the timeout. */
async function settle<T>(deadline: Deadline, timeoutMs: number, work: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error: deadline.timedOut ? timeoutMessage(timeoutMs) : describe(error) };
  }
}

function failed(options: Pick<ProbeOptions, 'now'>, error: string): HealthSample {
  return { healthy: false, checkedAt: safeNow(options), error: clip(error) };
}

function safeNow(options: Pick<ProbeOptions, 'now'>): number {
  try {
    return options.now();
  } catch {
    return 0; // a broken clock must not turn into a thrown probe
  }
}

const timeoutMessage = (timeoutMs: number) => `timeout: no answer within ${timeoutMs} ms`;

function describe(error: unknown): string {
  if (error instanceof TransportError) return `${error.phase}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

const clip = (text: string) => (text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS - 1)}…` : text);
