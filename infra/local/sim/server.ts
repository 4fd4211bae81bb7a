// `startSim`: one simulated vLLM OpenAI server on node:http (no framework: it must cost the
// gateway's benchmarks next to nothing). Routes:
//   POST {prefix}/chat/completions, /completions, /responses        a generation model (task generate)
//   POST {prefix}/embeddings, /score                                 an embedding model (task embed)
//   POST {prefix}/rerank, /score                                     a cross-encoder (task score)
//   POST {prefix}/audio/transcriptions (multipart)                   a Whisper-class model (task transcription)
//   POST /tokenize, /detokenize                                      every task but transcription
//   GET {prefix}/models
//     where prefix is /v1 (vLLM, KServe's vLLM runtime) and/or /openai/v1 (KServe's Hugging Face runtime)
//   GET /health, GET /metrics                       like vLLM (never behind the API key)
//   GET|DELETE /sim/requests                        the last N requests received (a JSON array, oldest first)
//   GET|POST|DELETE /sim/faults                     read, patch, clear the injected faults
//   POST /endpoints/{name}/invocations[-response-stream], /sim/sagemaker/faults
//                                                   the SageMaker runtime API, when `sagemaker` is set (sagemaker/front.ts)
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { drawsError, type FaultPatch, type Faults, NO_FAULTS, parseFaultPatch, servedNow } from './faults.ts';
import { readBody, sendEmpty, sendError, sendJson, sendMethodNotAllowed, sendNotFound } from './http-io.ts';
import { handleInference, type ReceivedBody } from './inference.ts';
import { handleDetokenize, handleEmbeddings, handleRerank, handleScore, handleTokenize } from './pooling.ts';
import { handleTranscription } from './transcription.ts';
import { type ProfileName, resolveProfile, type SimProfile } from './latency-model.ts';
import { renderGpuMetrics, renderMetrics } from './metrics.ts';
import type { RecordedRequest } from './request-log.ts';
import { modelsBody } from './response-bodies.ts';
import { createSimState, metricsSnapshot, setFaults, type SimState } from './sim-state.ts';
import { createSageMakerFront, type SageMakerFront, type SageMakerSimOptions } from './sagemaker/front.ts';
import type { SageMakerFaultPatch, SageMakerFaults } from './sagemaker/faults.ts';

export const PATH_STYLES = ['v1', 'openai', 'both'] as const;
export type PathStyle = (typeof PATH_STYLES)[number];

export const DEFAULT_MODEL = 'llama-3.1-8b';

/** What kind of model the server runs, as vLLM's `--task`: it decides which routes exist. */
export const SIM_TASKS = ['generate', 'embed', 'score', 'transcription'] as const;
export type SimTask = (typeof SIM_TASKS)[number];

type Route = 'chat' | 'completion' | 'response' | 'embeddings' | 'score' | 'rerank' | 'transcription' | 'models' | 'tokenize' | 'detokenize';
const ROUTES_OF: Record<SimTask, readonly Route[]> = {
  generate: ['chat', 'completion', 'response', 'models', 'tokenize', 'detokenize'],
  embed: ['embeddings', 'score', 'models', 'tokenize', 'detokenize'],
  score: ['rerank', 'score', 'models', 'tokenize', 'detokenize'],
  transcription: ['transcription', 'models'],
};
const OPENAI_ROUTES: Readonly<Record<string, Route>> = {
  '/chat/completions': 'chat',
  '/completions': 'completion',
  '/responses': 'response',
  '/embeddings': 'embeddings',
  '/score': 'score',
  '/rerank': 'rerank',
  '/audio/transcriptions': 'transcription',
  '/models': 'models',
};
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface SimOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Served model names (aliases of one engine); default [`llama-3.1-8b`]. */
  readonly models?: readonly string[];
  /** A profile name or a full profile object; default `h100-8b`. */
  readonly profile?: ProfileName | SimProfile;
  /** Seeds the output text and the error-rate sequence; default 0. */
  readonly seed?: number;
  /** `v1` serves /v1/…, `openai` serves /openai/v1/…, `both` (default) serves both. */
  readonly pathStyle?: PathStyle;
  /** When set, OpenAI routes require `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string;
  /** Faults active from the start. */
  readonly faults?: FaultPatch;
  /** How many requests GET /sim/requests remembers; default 50. */
  readonly requestLogSize?: number;
  /** Also speak the SageMaker runtime API (SigV4-checked) in front of this server; default off. */
  readonly sagemaker?: SageMakerSimOptions;
  /** What kind of model it runs (decides the routes); default `generate`. */
  readonly task?: SimTask;
  /**
   * Also print NVIDIA DCGM's GPU gauges on /metrics, as a dcgm-exporter scrape merged in (KServe's
   * metric aggregation) would; vLLM itself does not report GPU utilization. A number is how many
   * GPUs the server has (`true`: one). Default off.
   */
  readonly gpuMetrics?: boolean | number;
}

export interface SimServer {
  /** Base URL without a path, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  readonly models: readonly string[];
  readonly profile: SimProfile;
  readonly pathStyle: PathStyle;
  faults(): Faults;
  /** Applies a patch (checked like POST /sim/faults; throws when invalid) and returns the result. */
  setFaults(patch: FaultPatch): Faults;
  /** Back to no faults. */
  resetFaults(): Faults;
  /** The recorded requests, oldest first. */
  requests(): RecordedRequest[];
  /** Stops listening and drops every open connection (streams, hung requests). */
  close(): Promise<void>;
  /** SageMaker faults, when the SageMaker API is on. */
  readonly sagemaker?: { faults(): SageMakerFaults; setFaults(patch: SageMakerFaultPatch): SageMakerFaults };
}

export async function startSim(options: SimOptions = {}): Promise<SimServer> {
  const models = options.models ?? [DEFAULT_MODEL];
  if (models.length === 0 || models.some((m) => m === '')) throw new Error('sim: models must be non-empty names');
  const task = options.task ?? 'generate';
  if (!SIM_TASKS.includes(task)) throw new Error(`sim: task must be one of ${SIM_TASKS.join(', ')}`);
  const routes = new Set(ROUTES_OF[task]);
  const pathStyle = options.pathStyle ?? 'both';
  if (!PATH_STYLES.includes(pathStyle)) throw new Error(`sim: pathStyle must be one of ${PATH_STYLES.join(', ')}`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new Error('sim: seed must be an integer');
  const initial = checkedPatch(NO_FAULTS, options.faults ?? {});
  const state = createSimState({
    profile: resolveProfile(options.profile ?? 'h100-8b'),
    models,
    seed,
    apiKey: options.apiKey === '' ? undefined : options.apiKey,
    faults: initial,
    requestLogSize: options.requestLogSize ?? 50,
    gpuMetrics: options.gpuMetrics === true ? 1 : options.gpuMetrics === false ? 0 : (options.gpuMetrics ?? 0),
  });
  const prefixes = pathStyle === 'v1' ? ['/v1'] : pathStyle === 'openai' ? ['/openai/v1'] : ['/v1', '/openai/v1'];
  let selfUrl = '';
  const sagemaker = options.sagemaker
    ? createSageMakerFront(options.sagemaker, { log: state.log, container: () => ({ baseUrl: `${selfUrl}${prefixes[0]}`, apiKey: state.apiKey }) })
    : undefined;

  const server = createServer((req, res) => {
    route(state, routes, prefixes, req, res, sagemaker).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 'vllm', { status: 500, message: `simulator error: ${String(err)}` });
      else res.destroy();
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  // The SageMaker front reaches the container (this server) over loopback.
  selfUrl = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    models,
    profile: state.profile,
    pathStyle,
    faults: () => state.faults,
    setFaults: (patch) => {
      setFaults(state, checkedPatch(state.faults, patch));
      return state.faults;
    },
    resetFaults: () => {
      setFaults(state, NO_FAULTS);
      return state.faults;
    },
    requests: () => state.log.list(),
    ...(sagemaker ? { sagemaker: { faults: () => sagemaker.faults(), setFaults: (patch: SageMakerFaultPatch) => sagemaker.setFaults(patch) } } : {}),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function checkedPatch(base: Faults, patch: FaultPatch): Faults {
  const checked = parseFaultPatch(patch);
  if (!checked.ok) throw new Error(`sim: ${checked.error}`);
  return { ...base, ...checked.patch };
}

async function route(state: SimState, routes: ReadonlySet<Route>, prefixes: readonly string[], req: IncomingMessage, res: ServerResponse, sagemaker?: SageMakerFront): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const method = req.method ?? 'GET';

  switch (path) {
    case '/health':
      if (method !== 'GET') return sendMethodNotAllowed(res);
      return sendEmpty(res, state.faults.unhealthy ? 503 : 200);
    case '/metrics':
      if (method !== 'GET') return sendMethodNotAllowed(res);
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      return void res.end(renderMetrics(metricsSnapshot(state)) + (state.gpuMetrics > 0 ? renderGpuMetrics(state.scheduler.running, state.profile.maxNumSeqs, state.gpuMetrics) : ''));
    case '/sim/requests':
      if (method === 'GET') return sendJson(res, 200, JSON.stringify(state.log.list()));
      if (method === 'DELETE') {
        state.log.clear();
        return sendEmpty(res, 204);
      }
      return sendMethodNotAllowed(res);
    case '/sim/faults':
      return faultsRoute(state, method, req, res);
    case '/tokenize':
    case '/detokenize': {
      const kind = path === '/tokenize' ? 'tokenize' : 'detokenize';
      if (!routes.has(kind)) return sendNotFound(res);
      return openAiRoute(state, kind, method, req, res);
    }
  }

  if (sagemaker && (await sagemaker.route(path, method, req, res))) return;
  for (const prefix of prefixes) {
    if (path.length > prefix.length && path.startsWith(prefix) && path[prefix.length] === '/') {
      const kind = OPENAI_ROUTES[path.slice(prefix.length)];
      if (kind === undefined || !routes.has(kind)) return sendNotFound(res);
      return openAiRoute(state, kind, method, req, res);
    }
  }
  sendNotFound(res);
}

async function openAiRoute(state: SimState, kind: Route, method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (method !== (kind === 'models' ? 'GET' : 'POST')) return sendMethodNotAllowed(res);
  if (state.apiKey !== undefined && kind === 'transcription' && req.headers.authorization !== `Bearer ${state.apiKey}`) {
    return sendJson(res, 401, '{"error":"Unauthorized"}');
  }
  if (kind === 'transcription') return auxiliary(state, res, () => handleTranscription(state, req, res, MAX_BODY_BYTES));

  let body: ReceivedBody = { ok: true, value: null };
  if (kind !== 'models') {
    const text = await readBody(req, MAX_BODY_BYTES);
    if (text === null) {
      return sendError(res, state.faults.errorShape, { status: 413, message: `Request body exceeds ${MAX_BODY_BYTES} bytes.` });
    }
    body = parseJson(text);
    state.log.add({ at: Date.now(), method, path: req.url ?? '', headers: req.headers, body: body.ok ? body.value : text });
  }
  // vLLM's --api-key middleware answers a bare {"error": "Unauthorized"}, whatever the error shape.
  if (state.apiKey !== undefined && req.headers.authorization !== `Bearer ${state.apiKey}`) {
    return sendJson(res, 401, '{"error":"Unauthorized"}');
  }
  if (kind === 'models') return sendJson(res, 200, modelsBody(servedNow(state.models, state.faults), state.startedAt, state.profile.maxModelLen));
  if (kind === 'chat' || kind === 'completion' || kind === 'response') return handleInference(state, kind, res, body);
  if (!body.ok) return sendError(res, state.faults.errorShape, { status: 400, message: `Invalid JSON body: ${body.error}` });
  const b = (typeof body.value === 'object' && body.value !== null ? body.value : {}) as Readonly<Record<string, unknown>>;
  if (typeof b['model'] === 'string' && !servedNow(state.models, state.faults).includes(b['model'])) {
    return sendError(res, state.faults.errorShape, { status: 404, message: `The model \`${b['model']}\` does not exist.`, param: 'model' });
  }
  const handlers = { embeddings: handleEmbeddings, score: handleScore, rerank: handleRerank, tokenize: handleTokenize, detokenize: handleDetokenize } as const;
  return auxiliary(state, res, () => handlers[kind](state, res, b));
}

/** The pooling and upload routes under the same faults as inference: hang, added latency, injected errors. */
async function auxiliary(state: SimState, res: ServerResponse, serve: () => void | Promise<void>): Promise<void> {
  const faults = state.faults;
  const position = state.faultSeq;
  state.faultSeq += 1;
  if (faults.hang) return;
  if (faults.addedLatencyMs > 0) await new Promise((r) => setTimeout(r, faults.addedLatencyMs));
  if (drawsError(state.seed, position, faults.errorRate)) {
    return sendError(res, faults.errorShape, { status: faults.errorStatus, message: `Simulated failure: injected HTTP ${faults.errorStatus}.` }, faults.retryAfterSeconds);
  }
  await serve();
}

async function faultsRoute(state: SimState, method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (method === 'GET') return sendJson(res, 200, JSON.stringify(state.faults));
  if (method === 'DELETE') {
    setFaults(state, NO_FAULTS);
    return sendJson(res, 200, JSON.stringify(state.faults));
  }
  if (method !== 'POST') return sendMethodNotAllowed(res);
  const text = await readBody(req, 64 * 1024);
  const body = text === null ? { ok: false as const, error: 'body too large' } : parseJson(text);
  if (!body.ok) return sendError(res, 'vllm', { status: 400, message: `Invalid JSON body: ${body.error}` });
  const checked = parseFaultPatch(body.value);
  if (!checked.ok) return sendError(res, 'vllm', { status: 400, message: checked.error });
  setFaults(state, { ...state.faults, ...checked.patch });
  sendJson(res, 200, JSON.stringify(state.faults));
}

function parseJson(text: string): ReceivedBody {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}
