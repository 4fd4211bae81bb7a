// SageMaker-level failures, injected in front of the simulated container: the errors the
// SageMaker runtime itself answers (a validation failure, the model still loading, throttling,
// a service fault), a ModelError carrying the container's own status, and an exception frame
// in the middle of a response stream. The container's own faults (POST /sim/faults) still
// apply behind them: a container error reaches the caller as a ModelError, like on AWS.

export const SAGEMAKER_ERROR_TYPES = ['ValidationError', 'ModelError', 'ModelNotReadyException', 'ThrottlingException', 'ServiceUnavailable', 'InternalFailure'] as const;
export type SageMakerErrorType = (typeof SAGEMAKER_ERROR_TYPES)[number];

export const STREAM_EXCEPTION_TYPES = ['ModelStreamError', 'InternalStreamFailure'] as const;
export type StreamExceptionType = (typeof STREAM_EXCEPTION_TYPES)[number];

export interface SageMakerFaults {
  /** Every invocation is answered with this error; null = none. */
  readonly errorType: SageMakerErrorType | null;
  /** The container status a ModelError reports (OriginalStatusCode). */
  readonly modelErrorStatus: number;
  /** After this many PayloadParts, an exception frame ends the stream; null = never. */
  readonly streamExceptionAfterParts: number | null;
  readonly streamExceptionType: StreamExceptionType;
}

export const NO_SAGEMAKER_FAULTS: SageMakerFaults = {
  errorType: null,
  modelErrorStatus: 500,
  streamExceptionAfterParts: null,
  streamExceptionType: 'ModelStreamError',
};

export type SageMakerFaultPatch = { -readonly [K in keyof SageMakerFaults]?: SageMakerFaults[K] };

type Checked = { ok: true; patch: SageMakerFaultPatch } | { ok: false; error: string };

const oneOf = <T extends string>(known: readonly T[], value: unknown): value is T => typeof value === 'string' && (known as readonly string[]).includes(value);

/** Checks a JSON patch field by field; unknown fields are refused so typos show. */
export function parseSageMakerFaultPatch(input: unknown): Checked {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, error: 'faults must be a JSON object' };
  const patch: SageMakerFaultPatch = {};
  for (const [key, value] of Object.entries(input)) {
    switch (key) {
      case 'errorType':
        if (value !== null && !oneOf(SAGEMAKER_ERROR_TYPES, value)) return { ok: false, error: `errorType must be null or one of ${SAGEMAKER_ERROR_TYPES.join(', ')}` };
        patch.errorType = value;
        break;
      case 'modelErrorStatus':
        if (!Number.isInteger(value) || (value as number) < 400 || (value as number) > 599) return { ok: false, error: 'modelErrorStatus must be an integer in 400..599' };
        patch.modelErrorStatus = value as number;
        break;
      case 'streamExceptionAfterParts':
        if (value !== null && (!Number.isInteger(value) || (value as number) < 0)) return { ok: false, error: 'streamExceptionAfterParts must be an integer >= 0, or null' };
        patch.streamExceptionAfterParts = value as number | null;
        break;
      case 'streamExceptionType':
        if (!oneOf(STREAM_EXCEPTION_TYPES, value)) return { ok: false, error: `streamExceptionType must be one of ${STREAM_EXCEPTION_TYPES.join(', ')}` };
        patch.streamExceptionType = value;
        break;
      default:
        return { ok: false, error: `unknown SageMaker fault "${key}" (known: ${Object.keys(NO_SAGEMAKER_FAULTS).join(', ')})` };
    }
  }
  return { ok: true, patch };
}
