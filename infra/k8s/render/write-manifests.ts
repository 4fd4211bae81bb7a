import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Document, stringify } from 'yaml';
import type { RegionRender, RenderedFile } from './manifest.ts';

/** First line of every file infra writes: how a later render recognizes (and replaces) its own files. */
export const RENDER_MARKER = '# switchyard-rendered';

export const KUSTOMIZATION = 'kustomization.yaml';
export const NOTES = 'NOTES.md';

export function fileText(f: RenderedFile): string {
  const header = [RENDER_MARKER, ...f.comment.split('\n').map((l) => `# ${l}`)].join('\n');
  // No YAML anchors: a reader (or kubectl diff) should see every field where it applies.
  const docs = f.manifests.map((m) => new Document(m, { aliasDuplicateObjects: false }).toString({ lineWidth: 0 }));
  return `${header}\n${docs.map((d, i) => (i === 0 ? d : `---\n${d}`)).join('')}`;
}

/** `kubectl apply -k` reads this: the files in order, namespace first (kustomize also sorts Namespaces first). */
export function kustomizationText(r: RegionRender): string {
  const body = stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: r.files.map((f) => f.file) }, { lineWidth: 0 });
  return `${RENDER_MARKER}\n# Region ${r.region}: \`kubectl --context ${r.kubeContext ?? '<context>'} apply -k .\` (or \`switchyard infra apply --region ${r.region}\`).\n${body}`;
}

export function notesText(r: RegionRender): string {
  const list = (items: readonly string[], none: string) => (items.length > 0 ? items.map((i) => `- ${i}`).join('\n') : `- ${none}`);
  return [
    `<!-- ${RENDER_MARKER.slice(2)} -->`,
    `# Region ${r.region}`,
    '',
    `Kube context: \`${r.kubeContext ?? '(none: set spec.kubeContext in the Region)'}\`; namespaces: ${r.namespaces.map((n) => `\`${n}\``).join(', ')}.`,
    '',
    '## Before applying',
    '',
    list(r.steps, 'nothing'),
    '',
    '## Warnings',
    '',
    list(r.warnings, 'none'),
    '',
  ].join('\n');
}

const isOurs = (path: string) => {
  try {
    const head = readFileSync(path, 'utf8').slice(0, 64);
    return head.startsWith(RENDER_MARKER) || head.startsWith(`<!-- ${RENDER_MARKER.slice(2)}`);
  } catch {
    return false;
  }
};

/** Writes DIR/<region>/: replaces the files an earlier render wrote, leaves anyone else's alone. Returns the paths written. */
export function writeRegion(outDir: string, r: RegionRender): string[] {
  const dir = join(outDir, r.region);
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (isOurs(path)) rmSync(path);
  }
  const written: string[] = [];
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    if (existsSync(path)) throw new Error(`${path} exists and was not written by switchyard: move it away or render elsewhere`);
    // Write then rename: a concurrent `kubectl apply -k` never reads half a file.
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
    written.push(path);
  };
  for (const f of r.files) write(f.file, fileText(f));
  write(KUSTOMIZATION, kustomizationText(r));
  write(NOTES, notesText(r));
  return written;
}
