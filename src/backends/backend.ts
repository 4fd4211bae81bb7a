import type { CompiledEndpoint } from '../fleet/compiled.ts';
import type { Cancellation } from './cancellation.ts';
import type { UpstreamResponse } from './transport.ts';

export type OpenAIRoute = 'chat/completions' | 'completions' | 'models';

/** One call to one endpoint, already routed. */
export interface BackendCall {
  endpoint: CompiledEndpoint;
  route: OpenAIRoute;
  /** The JSON body to send, usually the client's own bytes. */
  body: string;
  requestId: string;
  /** The region's upstream bearer token, when the fleet names a secret for it. */
  credential: string | undefined;
  connectMs: number;
  firstByteMs: number;
  cancel?: Cancellation;
}

/**
 * A kind of upstream (vLLM on KServe today, SageMaker later). `send` resolves once a 2xx
 * response's headers arrive, and throws UpstreamHttpError (non-2xx) or TransportError.
 */
export interface Backend {
  readonly kind: CompiledEndpoint['backend'];
  send(call: BackendCall): Promise<UpstreamResponse>;
}
