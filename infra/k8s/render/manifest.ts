import type { JsonObject } from '../loose.ts';

/** A Kubernetes object as plain JSON data, ready for YAML. */
export type Manifest = JsonObject & {
  apiVersion: string;
  kind: string;
  metadata: JsonObject & { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
};

/** One file of a region's output: one object, or (namespace.yaml) a few of one kind. */
export interface RenderedFile {
  file: string;
  /** Why the file exists, written as its header comment. */
  comment: string;
  manifests: Manifest[];
}

/** Where the edge reaches what a manifest serves, read back from the manifest itself. */
export interface ServedEndpoint {
  model: string;
  baseUrl: string;
}

export interface RegionRender {
  region: string;
  kubeContext?: string;
  namespaces: string[];
  files: RenderedFile[];
  /** Things the operator must fix or know: each says what and why. */
  warnings: string[];
  /** Manual steps that no manifest can do (secrets, cluster-wide settings). */
  steps: string[];
}

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'switchyard' } as const;
export const REGION_LABEL = 'switchyard.dev/region';

export const regionLabels = (region: string): Record<string, string> => ({ ...MANAGED_BY, [REGION_LABEL]: region });
