import { errors, GatewayError } from '../api/errors.ts';
import type { Backend, OpenAIRoute } from '../backends/backend.ts';
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
  ranked: readonly Scored[];
  route: OpenAIRoute;
  body: string;
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
}

export interface ForwardDeps {
  backends: Readonly<Record<CompiledEndpoint['backend'], Backend>>;
  credential(candidate: Candidate): string | undefined;
  now(): number;
  live: LiveState;
}

export interface Forwarded {
  response: UpstreamResponse;
  candidate: Candidate;
  attempts: Attempt[];
  /** Call once the response body has been relayed (or abandoned): the request stops counting as in flight. */
  done(): void;
  /** The whole body, when `readBody` was asked. */
  body?: Uint8Array;
}

/** Failures where another endpoint may well succeed: unreachable, overloaded, broken. */
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
 * happens before the client has received a byte, so moving on is invisible to it; client
 * errors (4xx other than 429) are the client's and end the walk at once.
 */
export async function forward(input: ForwardInput, deps: ForwardDeps): Promise<Forwarded> {
  const attempts: Attempt[] = [];
  let lastError: unknown; // built only on failure: an error object costs a stack trace
  // An upstream's own HTTP answer says more than a refused connection elsewhere: report it.
  let lastHttpError: UpstreamHttpError | undefined;
  let sent = 0;
  // A region whose endpoint could not be reached is probably down as a whole: its other
  // endpoints wait until every other region has had its turn, so the attempt budget is not
  // spent inside one dead region.
  const suspect = new Set<string>();
  const deferred: Scored[] = [];
  let position = 0;
  const nextCandidate = (): Scored | undefined => {
    while (position < input.ranked.length) {
      const s = input.ranked[position++] as Scored;
      if (!suspect.has(s.candidate.region.id)) return s;
      deferred.push(s);
    }
    return deferred.shift();
  };
  for (let next = nextCandidate(); next && sent < input.maxAttempts && !input.cancel.cancelled; next = nextCandidate()) {
    const { candidate } = next;
    const id = candidate.endpoint.id;
    const started = deps.now();
    if (!deps.live.admit(id, started)) {
      attempts.push({ endpoint: id, outcome: 'circuit-open', ms: 0 });
      continue;
    }
    sent++;
    const done = deps.live.begin(id);
    try {
      const response = await deps.backends[candidate.endpoint.backend].send({
        endpoint: candidate.endpoint,
        route: input.route,
        body: input.body,
        requestId: input.requestId,
        credential: deps.credential(candidate),
        connectMs: input.timeouts.connectMs,
        firstByteMs: input.timeouts.firstByteMs,
        cancel: input.cancel,
      });
      const headersAt = deps.now();
      const body = input.readBody ? await readWhole(response) : undefined;
      const now = body === undefined ? headersAt : deps.now();
      deps.live.succeeded(id, headersAt - started, now);
      attempts.push({ endpoint: id, outcome: response.status, ms: now - started });
      return body === undefined ? { response, candidate, attempts, done } : { response, candidate, attempts, done, body };
    } catch (error) {
      done();
      const now = deps.now();
      recordFailure(deps.live, id, error, now);
      // Refused or unreachable says the region may be down; a body cut after headers does not.
      if (error instanceof TransportError && (error.phase === 'network' || error.phase === 'connect')) suspect.add(candidate.region.id);
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
  throw asGatewayError(lastHttpError ?? lastError ?? errors.noRoute('no endpoint was available'));
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
    if (error.upstreamStatus === 429) live.saturated(id, now, error.headers['retry-after'] ?? null);
    else if (error.retryable) live.failed(id, now);
    else live.succeeded(id, Number.NaN, now); // the server is fine; the request was not
  } else if (error instanceof TransportError && error.phase !== 'aborted') {
    live.failed(id, now);
  }
}
