import { withoutSecrets } from '../api/redact.ts';

/** A store call failed; the message is safe for a log line. */
export class StoreError extends Error {
  override name = 'StoreError';
}

/**
 * What a failed store call may say in a log: the client's message without the command it echoes
 * (`command was: [...]` carries keys and values, a cached answer among them: a tenant's data) and
 * without the store's token or any credential-shaped text (a REST endpoint may quote them back).
 */
export function storeError(error: unknown, secrets: readonly string[]): StoreError {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const withoutCommand = text.replace(/,? command was:[\s\S]*$/, '');
  return new StoreError(withoutSecrets(withoutCommand, { secrets }).slice(0, 500));
}
