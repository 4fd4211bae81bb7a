// The real KServe / Gateway API Inference Extension CRDs the manifests are validated against:
// $SWITCHYARD_CRDS, else ../shared/crds. Missing CRDs fail the tests that need them, loudly:
// a skipped validation would pass for the wrong reason.
import { existsSync } from 'node:fs';
import { CrdCatalog } from '../../../infra/k8s/validate/crd-catalog.ts';
import { crdDir } from '../../../infra/k8s/validate/crd-dir.ts';

let catalog: CrdCatalog | undefined;

/** One catalog per test file (each vitest file runs in its own worker): CRDs parsed once, schemas compiled on first use. */
export function realCrds(): CrdCatalog {
  if (catalog) return catalog;
  const { dir, from } = crdDir();
  if (!existsSync(dir)) {
    throw new Error(`the real CRDs are needed for this test and are not at ${dir} (${from}): set SWITCHYARD_CRDS to a folder of KServe and InferencePool CRDs (see ../shared/crds/SOURCES.md)`);
  }
  catalog = CrdCatalog.open(dir, from);
  return catalog;
}
