import type { CompiledFleet } from '../../../src/fleet/compiled.ts';
import type { Fleet } from '../../../src/fleet/load.ts';
import { fleetModels, namespaceOf, regionsOf } from '../fleet-model.ts';
import { asString, dig, isRecord } from '../loose.ts';
import { textTable } from '../plan/text-table.ts';
import { regionOf } from './apply-region.ts';
import { shellLine, statusArgs } from './kubectl-argv.ts';
import { checkContext, checkKubectl } from './preflight.ts';
import { stepper, type Io } from './progress.ts';
import { KubectlError, type Kubectl } from './run-kubectl.ts';

export interface StatusRow {
  kind: string;
  name: string;
  namespace: string;
  ready: string;
  url: string;
  /** Where the edge sends this model's traffic, and whether the cluster agrees. */
  edge: string;
  reason: string;
}

/** Rows from `kubectl get … -o json`, compared with the edge's endpoints for the region. Pure. */
export function statusRows(json: string, region: string, compiled: CompiledFleet): StatusRow[] {
  let list: unknown;
  try {
    list = JSON.parse(json);
  } catch {
    throw new KubectlError(`kubectl get returned something other than JSON: ${json.slice(0, 200)}`);
  }
  const items = dig(list, 'items');
  return (Array.isArray(items) ? items : []).filter(isRecord).map((item) => {
    const kind = asString(item['kind']) ?? '?';
    const name = asString(dig(item, 'metadata', 'name')) ?? '?';
    const namespace = asString(dig(item, 'metadata', 'namespace')) ?? '';
    const conditions = dig(item, 'status', 'conditions');
    const ready = (Array.isArray(conditions) ? conditions : []).find((c) => isRecord(c) && c['type'] === 'Ready');
    const url = asString(dig(item, 'status', 'url')) ?? asString(dig(item, 'status', 'addresses', '0', 'url')) ?? '';
    const sourceKind = kind === 'LLMInferenceService' ? 'LLMDeployment' : kind;
    const model = compiled.models.find((m) => m.source.name === name && m.source.kind === sourceKind);
    const endpoint = model ? compiled.endpoints.find((e) => e.region === region && e.model === model.id) : undefined;
    let edge = '(not routed by the edge)';
    if (endpoint) {
      const edgeHost = new URL(endpoint.baseUrl).host;
      const clusterHost = url ? new URL(url).host : '';
      edge = clusterHost === '' ? `${endpoint.baseUrl} (no URL yet)` : clusterHost === edgeHost ? `${endpoint.baseUrl} ✓` : `${endpoint.baseUrl} ≠ cluster host ${clusterHost}`;
    }
    return {
      kind,
      name,
      namespace,
      ready: isRecord(ready) ? String(ready['status']) : 'Unknown',
      url: url || '-',
      edge,
      reason: isRecord(ready) && ready['status'] !== 'True' ? [asString(ready['reason']), asString(ready['message'])].filter(Boolean).join(': ') : '',
    };
  });
}

export const formatStatus = (rows: readonly StatusRow[]): string =>
  rows.length === 0
    ? '  (no InferenceService or LLMInferenceService yet)'
    : textTable(
        ['KIND', 'NAME', 'NAMESPACE', 'READY', 'URL', 'EDGE ROUTES TO', 'REASON'],
        rows.map((r) => [r.kind, r.name, r.namespace, r.ready, r.url, r.edge, r.reason]),
      );

/** `infra status --region R`: what the region's cluster runs, next to what the edge expects. */
export async function regionStatus(fleet: Fleet, compiled: CompiledFleet, regionId: string, k: Kubectl, io: Io): Promise<StatusRow[]> {
  const region = regionOf(fleet, regionId);
  const context = region.spec.kubeContext;
  const namespaces = [...new Set(fleetModels(fleet).filter((m) => regionsOf(m.resource, fleet).includes(region)).map((m) => namespaceOf(m.resource, region)))];
  if (namespaces.length === 0) namespaces.push(region.spec.namespace);
  const step = stepper(io, 2 + namespaces.length);
  step('kubectl', `${k.binary} (${await checkKubectl(k)})`);
  await checkContext(k, context, regionId);
  step('context', `${context} found in kubeconfig`);
  const rows: StatusRow[] = [];
  for (const ns of namespaces) {
    const args = statusArgs(context, ns);
    step('get', shellLine(k.binary, args));
    const r = await k.run(args);
    if (r.code !== 0) throw new KubectlError(`kubectl get failed (exit ${r.code}): ${r.stderr.trim()}`);
    rows.push(...statusRows(r.stdout, regionId, compiled));
  }
  io.out(formatStatus(rows));
  return rows;
}
