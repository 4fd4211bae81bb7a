import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** `--crds DIR`, else $SWITCHYARD_CRDS, else ../shared/crds beside the repository. */
export const DEFAULT_CRD_DIR = fileURLToPath(new URL('../../../../shared/crds', import.meta.url));

export class CrdDirError extends Error {
  override name = 'CrdDirError';
}

export function crdDir(flag?: string, env: NodeJS.ProcessEnv = process.env): { dir: string; from: string } {
  if (flag) return { dir: flag, from: '--crds' };
  if (env['SWITCHYARD_CRDS']) return { dir: env['SWITCHYARD_CRDS'], from: 'SWITCHYARD_CRDS' };
  return { dir: DEFAULT_CRD_DIR, from: 'the default ../shared/crds' };
}

/** Throws a CrdDirError that says where the folder was looked for and how to point elsewhere. */
export function requireCrdDir(dir: string, from: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new CrdDirError(
      `CRD folder not found: ${dir} (from ${from}). Point --crds or SWITCHYARD_CRDS at a folder of CustomResourceDefinition YAML (KServe's config/crd/full, the Gateway API Inference Extension's config/crd/bases).`,
    );
  }
}
