import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorObject } from 'ajv';
import { isNode, LineCounter, parseAllDocuments, type Document } from 'yaml';
import { isRecord } from '../loose.ts';
import { coreProblems, isCoreKind } from './core-kinds.ts';
import type { CrdCatalog } from './crd-catalog.ts';
import { metadataProblems, type MetaProblem } from './object-meta.ts';

export type Severity = 'error' | 'warning' | 'note';

/** One finding about one object: where (file, document, line, field path) and what. */
export interface Finding {
  severity: Severity;
  file: string;
  /** 1-based document number inside the file. */
  document: number;
  line?: number;
  kind?: string;
  name?: string;
  /** Dotted field path: spec.predictor.model.env[0].valueFrom; '' for the object itself. */
  path: string;
  message: string;
}

type Problem = { severity: Severity; path: string; message: string; segments: (string | number)[] };

const segmentsOf = (instancePath: string): (string | number)[] =>
  instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

/** spec.predictor.model.env[0].name; keys with dots or slashes bracketed: limits["nvidia.com/gpu"]. */
export const formatPath = (segments: readonly (string | number)[]): string =>
  segments.reduce<string>((acc, s) => {
    if (typeof s === 'number') return `${acc}[${s}]`;
    if (/[./]/.test(s)) return `${acc}[${JSON.stringify(s)}]`;
    return acc ? `${acc}.${s}` : s;
  }, '');

function messageOf(e: ErrorObject): { segments: (string | number)[]; message: string } {
  const segments = segmentsOf(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return { segments: [...segments, String(p['additionalProperty'])], message: 'unknown field: the CRD schema does not define it (the API server would drop or reject it)' };
    case 'required':
      return { segments: [...segments, String(p['missingProperty'])], message: 'required field is missing' };
    case 'enum':
      return { segments, message: `must be one of ${(p['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'type':
      return { segments, message: `must be ${String(p['type'])}` };
    case 'pattern':
      return { segments, message: `must match ${String(p['pattern'])}` };
    default:
      return { segments, message: e.message ?? e.keyword };
  }
}

/**
 * ajv's errors, one per field: an int-or-string field that is neither reports "must be integer",
 * "must match pattern" and "must match a schema in anyOf" for the same path; keep the most
 * telling (anything but type/anyOf, else the first type error).
 */
function schemaProblems(errors: readonly ErrorObject[]): Problem[] {
  const byPath = new Map<string, ErrorObject[]>();
  for (const e of errors) {
    const key = e.keyword === 'additionalProperties' || e.keyword === 'required' ? `${e.instancePath}#${e.keyword}${JSON.stringify(e.params)}` : e.instancePath;
    byPath.set(key, [...(byPath.get(key) ?? []), e]);
  }
  return [...byPath.values()].flatMap((group) => {
    const specific = group.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf' && e.keyword !== 'type');
    const chosen = specific.length > 0 ? specific : group.filter((e) => e.keyword === 'type').slice(0, 1);
    return (chosen.length > 0 ? chosen : group.slice(0, 1)).map((e) => {
      const m = messageOf(e);
      return { severity: 'error' as const, path: formatPath(m.segments), message: m.message, segments: m.segments };
    });
  });
}

/** Problems of one object, without file positions. CRD kinds against their schema; core kinds minimally. */
export function checkObject(obj: unknown, catalog: CrdCatalog): Problem[] {
  if (!isRecord(obj)) return [{ severity: 'error', path: '', message: 'a manifest must be a mapping with apiVersion, kind and metadata', segments: [] }];
  const apiVersion = obj['apiVersion'];
  const kind = obj['kind'];
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    return [{ severity: 'error', path: typeof apiVersion !== 'string' ? 'apiVersion' : 'kind', message: 'required field is missing', segments: [] }];
  }
  if (kind === 'Kustomization' && apiVersion.startsWith('kustomize.config.k8s.io/')) {
    return [{ severity: 'note', path: '', message: 'kustomization file: read by kubectl apply -k, not sent to the cluster', segments: [] }];
  }
  const problem = (severity: Severity, segments: (string | number)[], message: string): Problem => ({ severity, path: formatPath(segments), message, segments });
  const fromMeta = (ps: MetaProblem[]): Problem[] =>
    // A namespace on a cluster-scoped object is ignored by the API server: worth saying, not failing.
    ps.map((p) => problem(p.message.includes('cluster-scoped') ? 'warning' : 'error', p.segments, p.message));
  if (isCoreKind(apiVersion, kind)) {
    return [...fromMeta([...metadataProblems(kind, obj['metadata'], undefined), ...coreProblems(apiVersion, kind, obj)]), problem('note', [], `built-in ${kind}: checked for shape only (no CRD schema)`)];
  }
  const r = catalog.resolve(apiVersion, kind);
  if (!r.ok) {
    // A group the folder knows is a typo or a wrong version: an error. An unknown group may be a
    // built-in or a third-party kind: say it was not validated.
    return [r.known === 'none' ? problem('warning', [], `not validated: ${r.message}`) : problem('error', ['apiVersion'], r.message)];
  }
  const problems = fromMeta(metadataProblems(kind, obj['metadata'], r.crd.namespaced));
  if (!r.validate(obj)) problems.push(...schemaProblems(r.validate.errors ?? []));
  return problems;
}

function lineOf(doc: Document, segments: readonly (string | number)[], lines: LineCounter): number | undefined {
  for (let depth = segments.length; depth >= 0; depth--) {
    const node = doc.getIn(segments.slice(0, depth), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Every finding for one YAML (or JSON) text holding one or more manifests. */
export function validateText(text: string, file: string, catalog: CrdCatalog): Finding[] {
  const lines = new LineCounter();
  const findings: Finding[] = [];
  parseAllDocuments(text, { lineCounter: lines }).forEach((doc, i) => {
    const document = i + 1;
    if (doc.errors.length > 0) {
      for (const e of doc.errors) findings.push({ severity: 'error', file, document, line: lines.linePos(e.pos[0]).line, path: '', message: `YAML: ${e.message.split('\n')[0]}` });
      return;
    }
    const obj: unknown = doc.toJS();
    if (obj === null || obj === undefined) return; // empty document
    const kind = isRecord(obj) && typeof obj['kind'] === 'string' ? obj['kind'] : undefined;
    const name = isRecord(obj) && isRecord(obj['metadata']) && typeof obj['metadata']['name'] === 'string' ? obj['metadata']['name'] : undefined;
    for (const p of checkObject(obj, catalog)) {
      const line = lineOf(doc, p.segments, lines);
      findings.push({ severity: p.severity, file, document, ...(line !== undefined ? { line } : {}), ...(kind ? { kind } : {}), ...(name ? { name } : {}), path: p.path, message: p.message });
    }
  });
  return findings.sort((a, b) => a.document - b.document || (a.line ?? 0) - (b.line ?? 0));
}

const MANIFEST_FILE = /\.(ya?ml|json)$/i;

/** Files to validate: the files given, and every .yaml/.yml/.json below the folders given. */
export function expandPaths(paths: readonly string[]): string[] {
  return paths.flatMap((p) => {
    if (!statSync(p, { throwIfNoEntry: false })) throw new Error(`${p}: no such file or folder`);
    if (!statSync(p).isDirectory()) return [p];
    return readdirSync(p, { recursive: true, encoding: 'utf8' })
      .filter((name) => MANIFEST_FILE.test(name))
      .sort()
      .map((name) => join(p, name));
  });
}

export function validateFiles(paths: readonly string[], catalog: CrdCatalog): Finding[] {
  return expandPaths(paths).flatMap((file) => validateText(readFileSync(file, 'utf8'), file, catalog));
}

export const formatFinding = (f: Finding): string =>
  `${f.severity}: ${f.file}${f.line !== undefined ? `:${f.line}` : ''}${f.kind ? ` ${f.kind}${f.name ? `/${f.name}` : ''}` : ` (document ${f.document})`}: ${f.path ? `${f.path}: ` : ''}${f.message}`;
