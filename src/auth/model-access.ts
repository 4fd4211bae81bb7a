import { GatewayError } from '../api/errors.ts';
import type { CompiledModel } from '../fleet/compiled.ts';
import type { KeyRecord } from './key-record.ts';

/** Whether a key's allow-list (none = every model) names the model, by id or alias. */
export function modelAllowed(key: Pick<KeyRecord, 'models'>, model: Pick<CompiledModel, 'id' | 'aliases'>): boolean {
  const allowed = key.models;
  return allowed === undefined || allowed.includes(model.id) || model.aliases.some((alias) => allowed.includes(alias));
}

/**
 * Refuses a model the key may not use with 403 `model_not_allowed` (after `auto` or a tier
 * name resolved to it, so the message names what was picked and what the key allows).
 */
export function assertModelAllowed(key: Pick<KeyRecord, 'models'>, model: Pick<CompiledModel, 'id' | 'aliases'>, requested: string): void {
  if (modelAllowed(key, model)) return;
  const picked = requested === model.id ? `model \`${model.id}\`` : `model \`${model.id}\` (chosen for \`${requested}\`)`;
  throw new GatewayError(403, `Your API key may not use ${picked}. It may use: ${(key.models ?? []).join(', ')}.`, {
    code: 'model_not_allowed',
    param: 'model',
  });
}
