import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import { asString, dig, isRecord } from '../loose.ts';
import { CrdDirError, requireCrdDir } from './crd-dir.ts';
import { prepareSchema } from './structural-schema.ts';

/**
 * The CustomResourceDefinitions of a folder, opened lazily: a first pass reads only each file's
 * head (group, kind, scope: a few hundred bytes of 2-3 MB files), the whole file is parsed the
 * first time one of its kinds is validated, and each version's schema is compiled on first use.
 */
export interface CrdHeader {
  file: string;
  group: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema: unknown;
}

export type Resolution =
  | { ok: true; crd: CrdHeader; version: string; validate: ValidateFunction; celRules: number }
  | { ok: false; known: 'group' | 'kind' | 'none'; message: string };

const YAML_FILE = /\.(ya?ml|json)$/i;

function headerOf(file: string, text: string): CrdHeader[] {
  // The head ends where the (huge) versions list starts; single-document files only, else parse it all.
  const cut = /^ {2,4}versions:\s*$/m.exec(text);
  const multi = /^---\s*$/m.test(text.slice(4));
  const docs: unknown[] = cut && !multi ? [parse(text.slice(0, cut.index))] : parseAllDocuments(text).map((d) => d.toJS() as unknown);
  return docs.flatMap((doc) => {
    if (!isRecord(doc) || doc['kind'] !== 'CustomResourceDefinition') return [];
    const group = asString(dig(doc, 'spec', 'group'));
    const kind = asString(dig(doc, 'spec', 'names', 'kind'));
    if (!group || !kind) return [];
    return [{ file, group, kind, plural: asString(dig(doc, 'spec', 'names', 'plural')) ?? `${kind.toLowerCase()}s`, namespaced: dig(doc, 'spec', 'scope') !== 'Cluster' }];
  });
}

/** x-kubernetes-validations rules (CEL) in a schema: the API server checks them, this validator cannot. */
function countCel(node: unknown): number {
  if (Array.isArray(node)) return node.reduce((n: number, x) => n + countCel(x), 0);
  if (!isRecord(node)) return 0;
  let n = Array.isArray(node['x-kubernetes-validations']) ? node['x-kubernetes-validations'].length : 0;
  for (const [k, v] of Object.entries(node)) if (k !== 'x-kubernetes-validations') n += countCel(v);
  return n;
}

export class CrdCatalog {
  readonly dir: string;
  readonly headers: readonly CrdHeader[];
  private readonly versions = new Map<string, CrdVersion[]>();
  private readonly compiled = new Map<string, { validate: ValidateFunction; celRules: number }>();
  // One ajv for every schema: Kubernetes extensions (x-kubernetes-*) are unknown keywords, hence
  // strict off; formats (int32, quantity, date-time) are not checked; patterns are Go RE2, which
  // JavaScript reads without the u flag.
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, inlineRefs: false, unicodeRegExp: false });

  private constructor(dir: string, headers: CrdHeader[]) {
    this.dir = dir;
    this.headers = headers;
  }

  /** Opens a CRD folder; a missing folder, or one without any CRD, is a CrdDirError. */
  static open(dir: string, from = '--crds'): CrdCatalog {
    requireCrdDir(dir, from);
    const headers: CrdHeader[] = [];
    for (const name of readdirSync(dir).sort()) {
      if (!YAML_FILE.test(name)) continue;
      const file = join(dir, name);
      try {
        headers.push(...headerOf(file, readFileSync(file, 'utf8')));
      } catch (error) {
        throw new CrdDirError(`${file}: not readable as YAML (${(error as Error).message.split('\n')[0]}); Helm-templated CRDs must be rendered first`);
      }
    }
    if (headers.length === 0) throw new CrdDirError(`no CustomResourceDefinition found in ${dir} (from ${from})`);
    return new CrdCatalog(dir, headers);
  }

  private versionsOf(crd: CrdHeader): CrdVersion[] {
    const key = `${crd.file}#${crd.group}/${crd.kind}`;
    let list = this.versions.get(key);
    if (!list) {
      const docs = parseAllDocuments(readFileSync(crd.file, 'utf8')).map((d) => d.toJS({ maxAliasCount: -1 }) as unknown);
      const doc = docs.find((d) => dig(d, 'spec', 'group') === crd.group && dig(d, 'spec', 'names', 'kind') === crd.kind);
      const raw = dig(doc, 'spec', 'versions');
      list = (Array.isArray(raw) ? raw : []).filter(isRecord).map((v) => ({
        name: String(v['name']),
        served: v['served'] === true,
        storage: v['storage'] === true,
        schema: dig(v, 'schema', 'openAPIV3Schema'),
      }));
      this.versions.set(key, list);
    }
    return list;
  }

  /** The validator for an object's apiVersion and kind, or why there is none. */
  resolve(apiVersion: string, kind: string): Resolution {
    const slash = apiVersion.lastIndexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const version = apiVersion.slice(slash + 1);
    const inGroup = this.headers.filter((h) => h.group === group);
    if (inGroup.length === 0) return { ok: false, known: 'none', message: `no CRD in ${this.dir} defines API group "${group || '(core)'}"` };
    const crd = inGroup.find((h) => h.kind === kind);
    if (!crd) return { ok: false, known: 'group', message: `group ${group} has no kind ${kind} in ${this.dir} (it has ${inGroup.map((h) => h.kind).join(', ')})` };
    const versions = this.versionsOf(crd);
    const v = versions.find((x) => x.name === version);
    if (!v || !v.served) {
      const served = versions.filter((x) => x.served).map((x) => x.name);
      return { ok: false, known: 'kind', message: `${kind} is not served at ${apiVersion} (served: ${served.map((s) => `${group}/${s}`).join(', ') || 'none'})` };
    }
    const key = `${group}/${version}/${kind}`;
    let compiled = this.compiled.get(key);
    if (!compiled) {
      compiled = { validate: this.ajv.compile(prepareSchema(v.schema ?? {})), celRules: countCel(v.schema) };
      this.compiled.set(key, compiled);
    }
    return { ok: true, crd, version, ...compiled };
  }
}
