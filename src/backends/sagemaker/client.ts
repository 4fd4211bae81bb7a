import type { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { CompiledSageMaker } from '../../fleet/compiled.ts';
import type { Transport } from '../transport.ts';
import { UpstreamHttpError } from '../upstream-error.ts';
import { transportHandler } from './sdk-handler.ts';

export type Sdk = typeof import('./sdk.ts');

let sdk: Promise<Sdk> | undefined;

/**
 * The SDK is loaded on first use: a gateway without SageMaker endpoints (and `switchyard
 * serve` on Node until one is called) never evaluates it. The Worker bundle still carries it.
 */
export const loadSdk = (): Promise<Sdk> => (sdk ??= import('./sdk.ts'));

export interface ClientDeps {
  transport: Transport;
  secret(name: string): string | undefined;
}

/**
 * One SDK client per endpoint (region, keys and URL are the endpoint's), built on first use
 * and kept for the isolate's life, like the secrets it is built from.
 */
export function sageMakerClients(deps: ClientDeps): (endpointId: string, target: CompiledSageMaker) => Promise<{ sdk: Sdk; client: SageMakerRuntimeClient }> {
  const handler = transportHandler(deps.transport);
  const clients = new Map<string, { sdk: Sdk; client: SageMakerRuntimeClient }>();
  return async (endpointId, target) => {
    const known = clients.get(endpointId);
    if (known) return known;
    const { accessKeyIdSecret, secretAccessKeySecret, sessionTokenSecret } = target.credentials;
    const accessKeyId = deps.secret(accessKeyIdSecret);
    const secretAccessKey = deps.secret(secretAccessKeySecret);
    const sessionToken = sessionTokenSecret === undefined ? undefined : deps.secret(sessionTokenSecret);
    if (!accessKeyId || !secretAccessKey || (sessionTokenSecret !== undefined && !sessionToken)) {
      const missing = [accessKeyId ? null : accessKeyIdSecret, secretAccessKey ? null : secretAccessKeySecret, sessionTokenSecret !== undefined && !sessionToken ? sessionTokenSecret : null].filter(Boolean);
      // 401: another region's endpoint may still serve the request; the message names what to set.
      throw new UpstreamHttpError(401, { message: `no AWS credentials for SageMaker endpoint ${target.endpointName}: secret ${missing.join(', ')} is not set`, type: null, param: null, code: 'sagemaker_credentials_missing' }, null);
    }
    const loaded = await loadSdk();
    const client = new loaded.SageMakerRuntimeClient({
      region: target.awsRegion,
      credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
      ...(target.endpointUrl ? { endpoint: target.endpointUrl } : {}),
      requestHandler: handler,
      // Failover is the forwarder's job: SDK retries would hide throttling and multiply latency.
      maxAttempts: 1,
      retryMode: 'standard',
      // Said explicitly so Node does not look for them in ~/.aws and the environment.
      useFipsEndpoint: false,
      useDualstackEndpoint: false,
    });
    const entry = { sdk: loaded, client };
    clients.set(endpointId, entry);
    return entry;
  };
}
