import { Sha256 } from '@smithy/core/checksum';
import { extendedEncodeURIComponent } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';

/** An AWS key pair, with the session token of temporary credentials. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type Operation = 'InvokeEndpoint' | 'InvokeEndpointWithResponseStream';

/** The members of the SDK's InvokeEndpoint / InvokeEndpointWithResponseStream input the gateway sets, by the SDK's names. */
export interface InvocationInput {
  EndpointName: string;
  Body: string;
  ContentType: string;
  Accept: string;
  InferenceComponentName?: string;
  TargetVariant?: string;
}

export interface SignedInvocation {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
}

const PATH_SUFFIX: Record<Operation, string> = { InvokeEndpoint: 'invocations', InvokeEndpointWithResponseStream: 'invocations-response-stream' };
const encoder = new TextEncoder();

/** SigV4 for SageMaker's runtime with smithy's signer, set up as the SDK sets it up (service `sagemaker`, path escaping and the payload-hash header on). */
export const invocationSigner = (region: string, credentials: AwsCredentials): SignatureV4 =>
  new SignatureV4({ service: 'sagemaker', region, credentials, sha256: Sha256, uriEscapePath: true, applyChecksum: true });

/**
 * One InvokeEndpoint(WithResponseStream) request as the SDK's restJson1 serializer lays it
 * out (the URL under `runtimeUrl`, the endpoint name escaped as a path label, the members bound
 * to headers, `Content-Length`, `Host`), signed. The SDK's own bookkeeping headers
 * (user agent, invocation id, attempt count) are left out: SageMaker does not read them.
 */
export async function signedInvocation(signer: SignatureV4, runtimeUrl: string, operation: Operation, input: InvocationInput, signingDate: Date): Promise<SignedInvocation> {
  const base = new URL(runtimeUrl);
  const path = `${base.pathname.replace(/\/+$/, '')}/endpoints/${extendedEncodeURIComponent(input.EndpointName)}/${PATH_SUFFIX[operation]}`;
  const headers: Record<string, string> = { 'content-type': input.ContentType };
  // The streaming call takes the container's Accept in its own header; Accept itself is for the event stream.
  headers[operation === 'InvokeEndpoint' ? 'accept' : 'x-amzn-sagemaker-accept'] = input.Accept;
  if (input.TargetVariant !== undefined) headers['x-amzn-sagemaker-target-variant'] = input.TargetVariant;
  if (input.InferenceComponentName !== undefined) headers['x-amzn-sagemaker-inference-component'] = input.InferenceComponentName;
  headers['content-length'] = String(encoder.encode(input.Body).byteLength);
  headers['host'] = base.host;
  const signed = await signer.sign(
    { method: 'POST', protocol: base.protocol, hostname: base.hostname, ...(base.port ? { port: Number(base.port) } : {}), path, query: {}, headers, body: input.Body },
    { signingDate },
  );
  return { url: `${base.protocol}//${base.host}${path}`, method: 'POST', headers: signed.headers, body: input.Body };
}

/**
 * The SDK's clock correction (@aws-sdk/core's getUpdatedSystemClockOffset): later signatures
 * use the time of the server's last `Date`, unless the answer came from a cache (`Age`), the
 * date does not parse, or the exchange took over fifteen minutes.
 */
export function updatedClockOffset(response: { date: string | null; age: string | null }, offsetMs: number, requestSentAt: number, now = Date.now()): number {
  if (response.date === null || response.age !== null) return offsetMs;
  const server = Date.parse(response.date);
  if (Number.isNaN(server) || now - requestSentAt > 900_000) return offsetMs;
  return server - now;
}
