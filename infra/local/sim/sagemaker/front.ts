// The SageMaker runtime API in front of the simulated container (the rest of this simulator):
//   POST /endpoints/{name}/invocations                  InvokeEndpoint
//   POST /endpoints/{name}/invocations-response-stream  InvokeEndpointWithResponseStream
//   GET|POST|DELETE /sim/sagemaker/faults               read, patch, clear SageMaker faults
// Every invocation must carry a valid SigV4 signature (service `sagemaker`) made with the
// configured key pair. The front forwards the body to the container over loopback HTTP (as
// SageMaker forwards to a container's /invocations), so the container's latency model, KV
// cache and faults all apply, and answers in AWS's shapes: errors in restJson1, streams as
// event-stream PayloadParts cut at arbitrary byte offsets (mid-line, mid-character), exactly
// what a client must buffer by line.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestLog } from '../request-log.ts';
import { FAKE_ACCOUNT, sendAwsError, sendInjectedError, sendModelError } from './aws-errors.ts';
import { exceptionMessage, payloadPart } from './event-stream.ts';
import { NO_SAGEMAKER_FAULTS, parseSageMakerFaultPatch, type SageMakerFaultPatch, type SageMakerFaults } from './faults.ts';
import { containerRequest, JsonLinesWriter, jsonLinesBody } from './lmi.ts';
import { type AwsCredentials, verifySigV4 } from './sigv4.ts';

/** The simulator's test key pair: not an AWS key, never valid anywhere else. */
export const TEST_AWS_CREDENTIALS: AwsCredentials = {
  accessKeyId: 'AKIASWITCHYARDSIM001',
  secretAccessKey: 'switchyard-simulator-test-secret-key-0001',
};

export interface SageMakerSimOptions {
  /** The key pair (and session token, if any) requests must be signed with; default TEST_AWS_CREDENTIALS. */
  readonly credentials?: AwsCredentials;
  /** The AWS region the signature must be scoped to; default any. */
  readonly region?: string;
  /** Endpoint names served; others answer ValidationError "not found". Default: any name. */
  readonly endpoints?: readonly string[];
  readonly faults?: SageMakerFaultPatch;
}

export interface SageMakerFront {
  /** Answers SageMaker routes; false when `path` is not one (the caller goes on routing). */
  route(path: string, method: string, req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  faults(): SageMakerFaults;
  setFaults(patch: SageMakerFaultPatch): SageMakerFaults;
}

export interface ContainerTarget {
  /** The simulated vLLM server's OpenAI prefix, e.g. http://127.0.0.1:41234/v1 */
  readonly baseUrl: string;
  readonly apiKey: string | undefined;
}

const INVOKE = /^\/endpoints\/([^/]+)\/(invocations|invocations-response-stream)$/;
/** InvokeEndpoint's payload limit. */
const MAX_PAYLOAD = 6 * 1024 * 1024;

export function createSageMakerFront(options: SageMakerSimOptions, deps: { log: RequestLog; container: () => ContainerTarget }): SageMakerFront {
  const credentials = options.credentials ?? TEST_AWS_CREDENTIALS;
  let faults = checked(NO_SAGEMAKER_FAULTS, options.faults ?? {});
  let partSeq = 0;

  const invoke = async (name: string, stream: boolean, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readRaw(req, MAX_PAYLOAD);
    if (body === null) return sendAwsError(res, 413, 'ValidationError', { Message: 'Request payload exceeds the 6 MB limit of InvokeEndpoint.' });
    const verdict = verifySigV4({ method: req.method ?? 'POST', target: req.url ?? '/', headers: req.headers, body }, {
      credentials,
      service: 'sagemaker',
      ...(options.region === undefined ? {} : { region: options.region }),
      now: new Date(),
    });
    const text = body.toString('utf8');
    deps.log.add({ at: Date.now(), method: req.method ?? 'POST', path: req.url ?? '', headers: req.headers, body: parsedOrText(text) });
    if (!verdict.ok) return sendAwsError(res, verdict.status, verdict.type, { message: verdict.message });
    if (options.endpoints !== undefined && !options.endpoints.includes(name)) {
      return sendAwsError(res, 400, 'ValidationError', { Message: `Endpoint ${name} of account ${FAKE_ACCOUNT} not found.` });
    }
    const f = faults; // read once: a change mid-request does not mix two configurations
    if (f.errorType !== null) return sendInjectedError(res, name, f.errorType, f.modelErrorStatus);

    const request = containerRequest(text, stream);
    const target = deps.container();
    const abort = new AbortController();
    res.once('close', () => abort.abort());
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (target.apiKey !== undefined) headers['authorization'] = `Bearer ${target.apiKey}`;
    let upstream: Response;
    try {
      upstream = await fetch(`${target.baseUrl}${request.route}`, { method: 'POST', headers, body: request.body, signal: abort.signal });
    } catch (error) {
      if (res.destroyed) return;
      return sendAwsError(res, 500, 'InternalFailure', { Message: `The container could not be reached: ${String(error)}` });
    }
    const variant = header(req, 'x-amzn-sagemaker-target-variant') ?? 'AllTraffic';
    if (!upstream.ok) return sendModelError(res, name, upstream.status, await upstream.text());

    if (!stream) {
      const answer = await upstream.text();
      const out = request.style === 'json-lines' ? jsonLinesBody(answer, request.details) : answer;
      res.writeHead(200, {
        'content-type': upstream.headers.get('content-type') ?? 'application/json',
        'content-length': Buffer.byteLength(out),
        'x-amzn-invoked-production-variant': variant,
        'x-amzn-requestid': randomUUID(),
      });
      res.end(out);
      return;
    }

    res.writeHead(200, {
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-sagemaker-content-type': request.style === 'json-lines' ? 'application/jsonlines' : 'text/event-stream',
      'x-amzn-invoked-production-variant': variant,
      'x-amzn-requestid': randomUUID(),
    });
    const lines = request.style === 'json-lines' ? new JsonLinesWriter(request.details) : undefined;
    const decoder = new TextDecoder();
    let parts = 0;
    // False once an injected exception frame has ended the stream.
    const send = (bytes: Uint8Array): boolean => {
      for (const part of splitArbitrarily(bytes, partSeq++)) {
        if (f.streamExceptionAfterParts !== null && parts >= f.streamExceptionAfterParts) {
          res.end(exceptionMessage(f.streamExceptionType, streamException(f.streamExceptionType, 'Simulated failure in the middle of the response stream.')));
          abort.abort();
          return false;
        }
        res.write(payloadPart(part));
        parts += 1;
      }
      return true;
    };
    const reader = upstream.body?.getReader();
    try {
      for (let r = await reader?.read(); r && !r.done; r = await reader?.read()) {
        const out = lines ? Buffer.from(lines.push(decoder.decode(r.value, { stream: true })), 'utf8') : r.value;
        if (out.length > 0 && !send(out)) return;
      }
    } catch (error) {
      // The container broke off mid-stream: SageMaker reports it as a stream exception.
      if (!res.destroyed) res.end(exceptionMessage('ModelStreamError', streamException('ModelStreamError', `The model container closed the stream: ${String(error)}`)));
      return;
    }
    res.end();
  };

  return {
    async route(path, method, req, res) {
      if (path === '/sim/sagemaker/faults') {
        await faultsRoute(method, req, res);
        return true;
      }
      const match = INVOKE.exec(path);
      if (!match) return false;
      if (method !== 'POST') {
        sendAwsError(res, 404, 'UnknownOperationException', { message: `${method} ${path} is not an operation of the SageMaker runtime.` });
        return true;
      }
      await invoke(decodeURIComponent(match[1] ?? ''), match[2] === 'invocations-response-stream', req, res);
      return true;
    },
    faults: () => faults,
    setFaults: (patch) => (faults = checked(faults, patch)),
  };

  async function faultsRoute(method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const json = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (method === 'GET') return json(200, faults);
    if (method === 'DELETE') {
      faults = NO_SAGEMAKER_FAULTS;
      return json(200, faults);
    }
    if (method !== 'POST') return json(405, { detail: 'Method Not Allowed' });
    const raw = await readRaw(req, 64 * 1024);
    let patch: unknown;
    try {
      patch = JSON.parse(raw?.toString('utf8') ?? '');
    } catch {
      return json(400, { error: 'faults must be a JSON object' });
    }
    const result = parseSageMakerFaultPatch(patch);
    if (!result.ok) return json(400, { error: result.error });
    faults = { ...faults, ...result.patch };
    json(200, faults);
  }
}

function checked(base: SageMakerFaults, patch: SageMakerFaultPatch): SageMakerFaults {
  const result = parseSageMakerFaultPatch(patch);
  if (!result.ok) throw new Error(`sim: ${result.error}`);
  return { ...base, ...result.patch };
}

/** ModelStreamError carries an ErrorCode (AWS: ModelInvocationTimeExceeded, StreamBroken). */
const streamException = (type: string, message: string) => (type === 'ModelStreamError' ? { Message: message, ErrorCode: 'StreamBroken' } : { Message: message });

/**
 * One output chunk as two PayloadParts cut at a deterministic, arbitrary offset: SageMaker
 * makes no promise about part boundaries, so clients must not assume lines (or characters)
 * arrive whole.
 */
export function splitArbitrarily(bytes: Uint8Array, seq: number): Uint8Array[] {
  if (bytes.length < 2) return [bytes];
  const cut = 1 + ((seq * 7919 + 13) % (bytes.length - 1));
  return [bytes.subarray(0, cut), bytes.subarray(cut)];
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function parsedOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The raw body (signatures cover bytes, not text), or null past `maxBytes`. */
function readRaw(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > maxBytes ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
