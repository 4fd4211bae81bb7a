import { randomHex } from './random-hex.ts';

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the gateway joins the caller's
 * trace when it sends a valid `traceparent`, or starts one, and passes its own span on to the
 * upstream so vLLM's and the cluster's spans hang under it.
 */
export interface TraceContext {
  traceId: string;
  /** The gateway's span: the parent id the upstream receives. */
  spanId: string;
  /** The caller's span, when it sent one. */
  parentSpanId?: string;
  /** traceparent as forwarded upstream. */
  traceparent: string;
  /** tracestate as received, when valid; forwarded unchanged. */
  tracestate?: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
const MAX_TRACESTATE = 512;

/** The trace this request belongs to; a malformed traceparent starts a new trace (as the spec says). */
export function traceContext(traceparent: string | undefined, tracestate: string | undefined): TraceContext {
  const spanId = randomHex(8);
  const m = traceparent === undefined ? null : TRACEPARENT.exec(traceparent.trim().toLowerCase());
  const valid = m !== null && m[1] !== 'ff' && m[2] !== ZERO_TRACE && m[3] !== ZERO_SPAN;
  if (!valid || !m) {
    const traceId = randomHex(16);
    return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
  }
  const traceId = m[2] as string;
  const flags = m[4] as string;
  // tracestate travels with a valid traceparent only; keep it if it is one header line of sane size.
  const state = tracestate !== undefined && tracestate.length <= MAX_TRACESTATE && !/[\r\n]/.test(tracestate) && tracestate.trim() !== '' ? tracestate.trim() : undefined;
  return { traceId, spanId, parentSpanId: m[3] as string, traceparent: `00-${traceId}-${spanId}-${flags}`, ...(state ? { tracestate: state } : {}) };
}

/** The headers an upstream call carries for this trace. */
export const traceHeaders = (trace: TraceContext): Record<string, string> =>
  trace.tracestate ? { traceparent: trace.traceparent, tracestate: trace.tracestate } : { traceparent: trace.traceparent };
