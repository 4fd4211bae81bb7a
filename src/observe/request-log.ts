/** The one structured log line written per request, whatever its status (after the response, off the hot path). */
export interface RequestLog {
  requestId: string;
  method: string;
  path: string;
  status: number;
  /** Until the response ended: for a stream, until its last byte. */
  ms: number;
  traceId: string;
  /** The gateway's span in the trace (the parent id the upstream received). */
  spanId: string;
  /** The caller's span, when it sent a traceparent. */
  parentSpanId?: string;
  tenant?: string;
  keyId?: string;
  model?: string;
  tier?: string;
  region?: string;
  endpoint?: string;
  stream?: boolean;
  /** Every endpoint tried, in order, with its outcome (status, transport phase, or why it was skipped). */
  attempts?: readonly { endpoint: string; outcome: number | string; ms: number }[];
  /** For streams: how the stream ended. */
  streamOutcome?: string;
  /** A cut stream under mid-stream failover: what came of it, over how many upstream legs, and why not when it was not continued. */
  continuation?: { outcome: string; legs: number; detail?: string };
  /** For a stream that broke off: what the failed read said (never sent to the client). */
  streamDetail?: string;
  /** x-switchyard-cache: hit-l1 / hit-l2 / hit-l3 / miss / bypass. */
  cache?: string;
  /** Tokens the upstream reported (a cache hit: the tokens of the answer it replayed). */
  usage?: { input: number; output: number; cached: number };
  /** Streams: when the first chunk went to the client. */
  ttftMs?: number;
  /** What it cost at the region's pricing, and how that was worked out (src/meter/cost.ts). */
  costUsd?: number;
  costBasis?: string;
  /** For error answers: the code and message the client got, and what the upstream said (secrets removed). */
  error?: { code: string | null; message: string; upstream?: string };
}
