import { errors, GatewayError } from '../api/errors.ts';
import type { Backend, OpenAIRoute } from '../backends/backend.ts';
import { TransportError, type UpstreamResponse } from '../backends/transport.ts';
import { UpstreamHttpError } from '../backends/upstream-error.ts';
import type { CompiledEndpoint } from '../fleet/compiled.ts';
import type { Timeouts } from '../fleet/schema.ts';
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
  signal: AbortSignal;
  maxAttempts: number;
}

export interface ForwardDeps {
  backends: Readonly<Record<CompiledEndpoint['backend'], Backend>>;
  credential(candidate: Candidate): string | undefined;
  now(): number;
}

export interface Forwarded {
  response: UpstreamResponse;
  candidate: Candidate;
  attempts: Attempt[];
}

/** Failures where another endpoint may well succeed: unreachable, overloaded, broken. */
const retryable = (error: unknown) =>
  (error instanceof TransportError && error.phase !== 'aborted') || (error instanceof UpstreamHttpError && error.retryable);

const asGatewayError = (error: unknown): GatewayError => {
  if (error instanceof GatewayError) return error;
  if (error instanceof TransportError) {
    if (error.phase === 'connect' && error.isTimeout) return errors.upstreamTimeout('connect', error.timeoutMs ?? 0);
    if (error.phase === 'first_byte') return errors.upstreamTimeout('first_byte', error.timeoutMs ?? 0);
    return errors.upstreamUnavailable(error.message);
  }
  return errors.upstreamUnavailable(error instanceof Error ? error.message : String(error));
};

/**
 * Sends the request to the ranked candidates in order until one answers 2xx. Everything here
 * happens before the client has received a byte, so moving on is invisible to it; client
 * errors (4xx other than 429) are the client's and end the walk at once.
 */
export async function forward(input: ForwardInput, deps: ForwardDeps): Promise<Forwarded> {
  const attempts: Attempt[] = [];
  let lastError: unknown = errors.noRoute('no endpoint was available');
  const limit = Math.min(input.maxAttempts, input.ranked.length);
  for (let i = 0; i < limit; i++) {
    const { candidate } = input.ranked[i] as Scored;
    const started = deps.now();
    try {
      const response = await deps.backends[candidate.endpoint.backend].send({
        endpoint: candidate.endpoint,
        route: input.route,
        body: input.body,
        requestId: input.requestId,
        credential: deps.credential(candidate),
        connectMs: input.timeouts.connectMs,
        firstByteMs: input.timeouts.firstByteMs,
        signal: input.signal,
      });
      attempts.push({ endpoint: candidate.endpoint.id, outcome: response.status, ms: deps.now() - started });
      return { response, candidate, attempts };
    } catch (error) {
      attempts.push({
        endpoint: candidate.endpoint.id,
        outcome: error instanceof UpstreamHttpError ? error.upstreamStatus : error instanceof TransportError ? error.phase : 'error',
        ms: deps.now() - started,
      });
      lastError = error;
      if (input.signal.aborted || !retryable(error)) break;
    }
  }
  if (input.signal.aborted && !(lastError instanceof UpstreamHttpError)) {
    throw errors.upstreamTimeout('total', input.timeouts.totalMs);
  }
  throw asGatewayError(lastError);
}
