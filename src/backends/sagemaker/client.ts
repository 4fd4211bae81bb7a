import type { CompiledSageMaker } from '../../fleet/compiled.ts';
import type { Transport } from '../transport.ts';
import { UpstreamHttpError } from '../upstream-error.ts';
import type { RuntimeClient } from './runtime-client.ts';
import { sageMakerRuntimeUrl } from './runtime-url.ts';

let runtime: Promise<typeof import('./runtime-client.ts')> | undefined;

/**
 * The SigV4 signer and event-stream codec are loaded on first use: a gateway without SageMaker
 * endpoints (and `switchyard serve` on Node until one is called) never evaluates them. The
 * Worker bundle still carries them.
 */
const loadRuntime = () => (runtime ??= import('./runtime-client.ts'));

export interface ClientDeps {
  transport: Transport;
  secret(name: string): string | undefined;
}

/**
 * One runtime client per endpoint (region, keys and URL are the endpoint's), built on first use
 * and kept for the isolate's life, like the secrets it is built from.
 */
export function sageMakerClients(deps: ClientDeps): (endpointId: string, target: CompiledSageMaker) => Promise<RuntimeClient> {
  const clients = new Map<string, RuntimeClient>();
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
    const { runtimeClient } = await loadRuntime();
    const client = runtimeClient({
      transport: deps.transport,
      awsRegion: target.awsRegion,
      credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
      runtimeUrl: target.endpointUrl ?? sageMakerRuntimeUrl(target.awsRegion),
    });
    clients.set(endpointId, client);
    return client;
  };
}
