import { isMap, isNode, isScalar, LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { z } from 'zod';
import {
  DOCUMENT_SCHEMAS,
  isDocumentKind,
  type CachePolicyDoc,
  type FleetDocument,
  type InferenceServiceDoc,
  type LLMDeploymentDoc,
  type RegionDoc,
  type RoutingPolicyDoc,
  type TierDoc,
} from './schema.ts';

/** One thing wrong with a fleet file, located well enough to fix without guessing. */
export interface FleetProblem {
  /** 1-based index of the YAML document in the file. */
  document: number;
  kind?: string;
  name?: string;
  /** Dotted field path inside the document (`spec.location.latitude`), or '' for the document itself. */
  field: string;
  line?: number;
  message: string;
}

export class FleetError extends Error {
  readonly file: string;
  readonly problems: readonly FleetProblem[];

  constructor(file: string, problems: readonly FleetProblem[]) {
    super(`${file}: invalid fleet file\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    this.name = 'FleetError';
    this.file = file;
    this.problems = problems;
  }
}

export const formatProblem = (p: FleetProblem): string => {
  const where = [`document ${p.document}`];
  if (p.kind) where.push(p.name ? `${p.kind} "${p.name}"` : p.kind);
  const at = p.line === undefined ? '' : ` (line ${p.line})`;
  return `${where.join(' ')}: ${p.field || '(document)'}${at}: ${p.message}`;
};

/** The validated documents of a fleet file, grouped by kind, in file order. */
export interface Fleet {
  source: string;
  regions: RegionDoc[];
  tiers: TierDoc[];
  routingPolicies: RoutingPolicyDoc[];
  inferenceServices: InferenceServiceDoc[];
  llmDeployments: LLMDeploymentDoc[];
  cachePolicies: CachePolicyDoc[];
  /** Where each document came from, for problems found after parsing (cross references). */
  origin: Map<FleetDocument, { document: number; doc: Document }>;
  lines: LineCounter;
}

const pathKey = (path: readonly PropertyKey[]) => path.map(String).join('.');

function lineOf(doc: Document, path: readonly PropertyKey[], lines: LineCounter): number | undefined {
  // Report a field at its key's line; a missing field is reported at its parent's key.
  for (let depth = path.length; depth >= 0; depth--) {
    const at = path.slice(0, depth) as (string | number)[];
    if (depth > 0) {
      const parent = doc.getIn(at.slice(0, -1), true);
      if (isMap(parent)) {
        const last = at[at.length - 1];
        const pair = parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === last);
        if (pair && isNode(pair.key) && pair.key.range) return lines.linePos(pair.key.range[0]).line;
        continue;
      }
    }
    const node = doc.getIn(at, true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

export function lineOfField(fleet: Fleet, document: FleetDocument, field: string | readonly (string | number)[]): number | undefined {
  const origin = fleet.origin.get(document);
  if (!origin) return undefined;
  const path = typeof field !== 'string' ? field : field === '' ? [] : field.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
  return lineOf(origin.doc, path, fleet.lines);
}

/** Parses and validates a multi-document fleet file; throws FleetError naming every problem. */
export function parseFleet(text: string, source: string): Fleet {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  const fleet: Fleet = {
    source,
    regions: [],
    tiers: [],
    routingPolicies: [],
    inferenceServices: [],
    llmDeployments: [],
    cachePolicies: [],
    origin: new Map(),
    lines,
  };
  const problems: FleetProblem[] = [];
  if (!Array.isArray(docs)) {
    problems.push({ document: 1, field: '', message: 'not a YAML stream' });
    throw new FleetError(source, problems);
  }

  docs.forEach((doc, i) => {
    const document = i + 1;
    for (const error of doc.errors) {
      problems.push({ document, field: '', line: lines.linePos(error.pos[0]).line, message: `YAML syntax: ${error.message.split('\n')[0]}` });
    }
    if (doc.errors.length > 0) return;
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return; // empty document, e.g. a trailing `---`
    if (typeof value !== 'object' || Array.isArray(value)) {
      problems.push({ document, field: '', line: lineOf(doc, [], lines), message: 'a document must be a mapping with apiVersion, kind, metadata and spec' });
      return;
    }
    const raw = value as Record<string, unknown>;
    const kind = raw['kind'];
    const name = typeof raw['metadata'] === 'object' && raw['metadata'] !== null ? (raw['metadata'] as Record<string, unknown>)['name'] : undefined;
    const named = { kind: typeof kind === 'string' ? kind : undefined, name: typeof name === 'string' ? name : undefined };
    if (!isDocumentKind(kind)) {
      problems.push({
        document,
        ...named,
        field: 'kind',
        line: lineOf(doc, ['kind'], lines),
        message: `unknown kind ${JSON.stringify(kind)}; expected one of ${Object.keys(DOCUMENT_SCHEMAS).join(', ')}`,
      });
      return;
    }
    const parsed = (DOCUMENT_SCHEMAS[kind] as z.ZodType<FleetDocument>).safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push({ document, ...named, field: pathKey(issue.path), line: lineOf(doc, issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path, lines), message: issue.message });
      }
      return;
    }
    const d = parsed.data;
    fleet.origin.set(d, { document, doc });
    switch (d.kind) {
      case 'Region': fleet.regions.push(d); break;
      case 'Tier': fleet.tiers.push(d); break;
      case 'RoutingPolicy': fleet.routingPolicies.push(d); break;
      case 'InferenceService': fleet.inferenceServices.push(d); break;
      case 'LLMDeployment': fleet.llmDeployments.push(d); break;
      case 'CachePolicy': fleet.cachePolicies.push(d); break;
    }
  });

  if (problems.length > 0) throw new FleetError(source, problems);
  return fleet;
}
