/** The one structured log line written per request (after the response, off the hot path). */
export interface RequestLog {
  requestId: string;
  method: string;
  path: string;
  status: number;
  ms: number;
  tenant?: string;
  model?: string;
  tier?: string;
  region?: string;
  endpoint?: string;
  stream?: boolean;
  attempts?: readonly { endpoint: string; outcome: number | string; ms: number }[];
  /** For streams: how the stream ended. */
  streamOutcome?: string;
  /** x-switchyard-cache: hit-l1 / hit-l2 / hit-l3 / miss / bypass. */
  cache?: string;
  error?: string;
}
