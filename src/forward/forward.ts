import { errors, GatewayError, retryAfterHeaders } from '../api/errors.ts';
import type { UpstreamPath } from '../api/openai-endpoints.ts';
import type { OneShotBody } from '../api/one-shot-body.ts';
import type { Backend, BackendCall } from '../backends/backend.ts';
import type { Cancellation } from '../backends/cancellation.ts';
import { TransportError, type UpstreamResponse } from '../backends/transport.ts';
import { UpstreamHttpError } from '../backends/upstream-error.ts';
import type { CompiledEndpoint } from '../fleet/compiled.ts';
import type { Timeouts } from '../fleet/schema.ts';
import type { LiveState } from '../route/live-state.ts';
import type { Candidate, Scored } from '../route/types.ts';

export interface Attempt {
  endpoint: string;
  /** HTTP status, or the transport phase that failed. */
  outcome: number | string;
  ms: number;
}

export interface ForwardInput {
  /** Best first; read only as far as the walk goes. */
  ranked: Iterable<Scored>;
  route: UpstreamPath;
  /** The client's JSON bytes, or a streamed body that can be sent once (a multipart upload). */
  body: string | OneShotBody;
  contentType?: string;
  /** Sent with every attempt (trace context, the tenant for the cluster's scheduler). */
  headers?: Readonly<Record<string, string>>;
  /** Whose request it is: in-flight counts per tenant feed fairness (src/route/filters/fair-share.ts). */
  tenant?: string;
  /** Every attempt is appended here as it ends (the request's record), failures included. */
  attempts: Attempt[];
  requestId: string;
  timeouts: Timeouts;
  /** Cancelled when the client leaves or the total deadline passes (its reason says which). */
  cancel: Cancellation;
  maxAttempts: number;
  /**
   * Non-streaming: read the whole body inside the attempt, so an upstream that dies after its
   * headers is one more failure to move past, not a broken answer for the client.
   */
  readBody?: boolean;
  /**
   * Whether a 2xx's Content-Type is what the route answers (JSON, SSE, …). One that is not — an
   * ingress's HTML sign-in page with 200 — is the endpoint's failure, never relayed.
   */
  accepts?: (contentType: string | null) => boolean;
}

export interface ForwardDeps {
  backends: Readonly<Record<CompiledEndpoint['backend'], Backend>>;
  credential(candidate: Candidate): string | undefined;
  /** The region names an upstream secret that is not set: its endpoints are never called without it. */
  credentialMissing(candidate: Candidate): boolean;
  now(): number;
  live: LiveState;
}

export interface Forwarded {
  response: UpstreamResponse;
  candidate: Candidate;
  attempts: Attempt[];
  /** Call once the response body has been relayed (or abandoned): the request stops counting as in flight. */
  done(): void;
  /**
   * For a body not read inside the attempt (a stream, an upload's answer): how it ended, which
   * is what the endpoint's breaker learns, not the headers alone. `false`: cut or stalled midway.
   */
  bodyEnded(ok: boolean): void;
  /** The whole body, when `readBody` was asked. */
  body?: Uint8Array;
}

/** Failures where another endpoint may well succeed: unreachable, overloaded, broken (never a failure the request itself caused). */
const retryable = (error: unknown) =>
  (error instanceof TransportError && error.phase !== 'aborted') || (error instanceof UpstreamHttpError && error.retryable);

const asGatewayError = (error: unknown): GatewayError => {
  if (error instanceof GatewayError) return error;
  if (error instanceof TransportError) {
    if (error.phase === 'connect' && error.isTimeout) return errors.upstreamTimeout('connect', error.timeoutMs ?? 0);
    if (error.phase === 'first_byte') return errors.upstreamTimeout('first_byte', error.timeoutMs ?? 0);
    if (error.phase === 'body') return errors.upstreamBroken(error.message);
    return errors.upstreamUnavailable(error.message);
  }
  return errors.upstreamBroken(error instanceof Error ? error.message : String(error));
};

/**
 * Sends the request to the ranked candidates in order until one answers 2xx. Everything here
 * happens before the client has received a byte, so moving on is invisible to it. A failure
 * the request caused (a 4xx about it, a 500 its body triggered: src/backends/upstream-error.ts)
 * ends the walk at once and counts against no endpoint.
 */
export async function forward(input: ForwardInput, deps: ForwardDeps): Promise<Forwarded> {
  const attempts = input.attempts;
  // Why nothing may have been sent at all: open breakers (until when), missing credentials.
  let openUntil = Number.POSITIVE_INFINITY;
  let uncredentialed: Set<string> | undefined; // made on the first skip: most walks have none
  let lastError: unknown; // built only on failure: an error object costs a stack trace
  // An upstream's own HTTP answer says more than a refused connection elsewhere: report it.
  let lastHttpError: UpstreamHttpError | undefined;
  let sent = 0;
  // A region whose endpoint could not be reached is probably down as a whole: its other
  // endpoints wait until every other region has had its turn, so the attempt budget is not
  // spent inside one dead region.
  let suspect: Set<string> | undefined; // made on the first unreachable endpoint
  const deferred: Scored[] = [];
  const walk = input.ranked[Symbol.iterator]();
  const nextCandidate = (): Scored | undefined => {
    for (let r = walk.next(); r.done !== true; r = walk.next()) {
      if (suspect === undefined || !suspect.has(r.value.candidate.region.id)) return r.value;
      deferred.push(r.value);
    }
    return deferred.shift();
  };
  for (let next = nextCandidate(); next && sent < input.maxAttempts && !input.cancel.cancelled; next = nextCandidate()) {
    const { candidate } = next;
    const id = candidate.endpoint.id;
    const started = deps.now();
    if (deps.credentialMissing(candidate)) {
      attempts.push({ endpoint: id, outcome: 'no-credentials', ms: 0 });
      (uncredentialed ??= new Set()).add(candidate.region.id);
      continue;
    }
    if (!deps.live.admit(id, started)) {
      attempts.push({ endpoint: id, outcome: 'circuit-open', ms: 0 });
      openUntil = Math.min(openUntil, deps.live.breakerRetryAt(id, started));
      continue;
    }
    // A streamed body goes out once: after an attempt has read any of it, there is nothing to fail over with.
    if (typeof input.body !== 'string' && input.body.pulled) break;
    sent++;
    const done = deps.live.begin(id, input.tenant);
    try {
      const call: BackendCall = {
        endpoint: candidate.endpoint,
        route: input.route,
        body: typeof input.body === 'string' ? input.body : input.body.stream,
        requestId: input.requestId,
        credential: deps.credential(candidate),
        connectMs: input.timeouts.connectMs,
        firstByteMs: input.timeouts.firstByteMs,
        cancel: input.cancel,
      };
      // Set, not spread in: a conditional spread copies an object per attempt.
      if (input.contentType) call.contentType = input.contentType;
      if (input.headers) call.headers = input.headers;
      const response = await deps.backends[candidate.endpoint.backend].send(call);
      const headersAt = deps.now();
      const contentType = response.header('content-type');
      if (input.accepts && !input.accepts(contentType)) {
        response.discard();
        throw new TransportError('body', `answered ${response.status} with Content-Type ${contentType ?? '(none)'}, which this route does not answer with`);
      }
      const body = input.readBody ? await readWhole(response) : undefined;
      const now = body === undefined ? headersAt : deps.now();
      attempts.push({ endpoint: id, outcome: response.status, ms: now - started });
      if (body !== undefined) {
        deps.live.succeeded(id, headersAt - started, now);
        return { response, candidate, attempts, done, bodyEnded: () => {}, body };
      }
      // Headers alone do not make a success: a stream cut after them is the endpoint's failure too.
      deps.live.answered(id, headersAt - started, now);
      let ended = false;
      const bodyEnded = (ok: boolean) => {
        if (ended) return;
        ended = true;
        if (ok) deps.live.succeeded(id, Number.NaN, deps.now(), true);
        else deps.live.failed(id, deps.now(), true);
      };
      return { response, candidate, attempts, done, bodyEnded };
    } catch (error) {
      done();
      const now = deps.now();
      recordFailure(deps.live, id, error, now);
      // Refused or unreachable says the region may be down; a body cut after headers does not.
      if (error instanceof TransportError && (error.phase === 'network' || error.phase === 'connect')) (suspect ??= new Set()).add(candidate.region.id);
      attempts.push({
        endpoint: id,
        outcome: error instanceof UpstreamHttpError ? error.upstreamStatus : error instanceof TransportError ? error.phase : 'error',
        ms: now - started,
      });
      lastError = error;
      if (error instanceof UpstreamHttpError) lastHttpError = error;
      if (input.cancel.cancelled || !retryable(error)) break;
    }
  }
  if (input.cancel.reason === 'deadline' && !(lastError instanceof UpstreamHttpError)) {
    throw errors.upstreamTimeout('total', input.timeouts.totalMs);
  }
  if (input.cancel.reason === 'client') throw errors.clientClosed();
  if (lastHttpError ?? lastError) throw asGatewayError(lastHttpError ?? lastError);
  // Nothing was sent: every candidate was skipped.
  if (uncredentialed && !Number.isFinite(openUntil)) throw errors.credentialsMissing([...uncredentialed]);
  const wait = Number.isFinite(openUntil) ? Math.max(0, openUntil - deps.now()) : undefined;
  throw errors.noRoute('every endpoint for this model is failing and resting (circuit breakers open)', wait);
}

/** The whole body; a body cut after the headers becomes a network failure of this attempt. */
async function readWhole(response: UpstreamResponse): Promise<Uint8Array> {
  try {
    return await response.bytes();
  } catch (error) {
    throw new TransportError('body', `the response body was cut (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
}

/** Passive health: what an attempt's failure says about the endpoint. */
function recordFailure(live: LiveState, id: string, error: unknown, now: number): void {
  if (error instanceof UpstreamHttpError) {
    if (error.fault === 'saturated') live.saturated(id, now, error.headers['retry-after'] ?? null);
    else if (error.fault === 'endpoint') live.failed(id, now);
    else live.succeeded(id, Number.NaN, now); // the server answered; the request was what failed
  } else if (error instanceof TransportError && error.phase !== 'aborted') {
    live.failed(id, now);
  }
}
