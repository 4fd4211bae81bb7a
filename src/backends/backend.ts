import type { CompiledEndpoint } from '../fleet/compiled.ts';
import type { Cancellation } from './cancellation.ts';
import type { UpstreamResponse } from './transport.ts';

import type { UpstreamPath } from '../api/openai-endpoints.ts';

/** One call to one endpoint, already routed. */
export interface BackendCall {
  endpoint: CompiledEndpoint;
  route: UpstreamPath;
  /** The body to send, usually the client's own bytes; a stream for a multipart upload. */
  body: string | ReadableStream<Uint8Array>;
  /** Its media type (JSON, or the client's multipart/form-data with its boundary). */
  contentType?: string;
  /** Trace context and the like, sent as they are. */
  headers?: Readonly<Record<string, string>>;
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
