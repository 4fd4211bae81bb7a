// Summarizes a V8 .cpuprofile (node --cpu-prof): where the busy time went, by function
// (self time), by package / project file (self time), and inclusive time of project code.
import { readFileSync } from 'node:fs';
import { ROOT } from './children.ts';

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber?: number;
}
export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface Row {
  name: string;
  ms: number;
  /** Share of busy (non-idle) time, 0..100. */
  pct: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  busyMs: number;
  topSelf: Row[];
  byArea: Row[];
  topInclusiveProject: Row[];
  /**
   * Each sample charged to the nearest project function on its stack (its own code and the
   * package, Node and V8 code it calls), else to its area: what each project function costs
   * by itself, where inclusive time double-counts callers and misses async continuations.
   */
  byProjectOwner: Row[];
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

function shortUrl(url: string): string {
  if (url === '') return '';
  let path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) return path.slice(nm + '/node_modules/'.length);
  if (path.startsWith(ROOT + '/')) path = path.slice(ROOT.length + 1);
  return path;
}

/** Where a frame lives: a package, a node: internal module family, a project folder, or V8. */
function areaOf(frame: CallFrame): string {
  const { functionName, url } = frame;
  if (SPECIAL.has(functionName)) return functionName;
  if (url === '') return '(V8 builtins / native)';
  const short = shortUrl(url);
  if (url.includes('/node_modules/')) {
    const parts = short.split('/');
    return `pkg ${parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  if (short.startsWith('node:')) {
    const parts = short.split('/');
    return parts.slice(0, parts[0] === 'node:internal' ? 2 : 1).join('/');
  }
  return short.split('/').slice(0, -1).join('/') + '/' + (short.split('/').pop() ?? '');
}

const frameName = (f: CallFrame) =>
  SPECIAL.has(f.functionName) ? f.functionName : `${f.functionName || '(anonymous)'} ${shortUrl(f.url) || '(native)'}${f.url ? `:${f.lineNumber + 1}` : ''}`;

const isProject = (f: CallFrame) => {
  const short = shortUrl(f.url);
  return f.url !== '' && !f.url.includes('/node_modules/') && !short.startsWith('node:') && /^(src|node|cli|workers)\//.test(short);
};

export function summarizeCpuProfile(file: string, top = 25): ProfileSummary {
  return summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top);
}

export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<string, number>();
  const area = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const owner = new Map<string, number>();
  let total = 0;
  let idle = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the gap before sample i; the time spent in sample i is the gap after it.
    const us = timeDeltas[i + 1] ?? timeDeltas[i] ?? 0;
    const node = byId.get(samples[i] ?? -1);
    if (!node) continue;
    const ms = us / 1000;
    total += ms;
    if (node.callFrame.functionName === '(idle)') {
      idle += ms;
      continue;
    }
    const name = frameName(node.callFrame);
    self.set(name, (self.get(name) ?? 0) + ms);
    const a = areaOf(node.callFrame);
    area.set(a, (area.get(a) ?? 0) + ms);
    const seen = new Set<string>();
    let ownerName: string | undefined;
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)?.callFrame;
      if (!frame || !isProject(frame)) continue;
      const key = frameName(frame);
      ownerName ??= key;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + ms);
    }
    ownerName ??= a;
    owner.set(ownerName, (owner.get(ownerName) ?? 0) + ms);
  }
  const busy = total - idle;
  const rows = (m: Map<string, number>, n: number): Row[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, ms]) => ({ name, ms, pct: busy > 0 ? (100 * ms) / busy : 0 }));
  return { totalMs: total, idleMs: idle, busyMs: busy, topSelf: rows(self, top), byArea: rows(area, 15), topInclusiveProject: rows(inclusive, 15), byProjectOwner: rows(owner, top) };
}

export function profileMarkdown(s: ProfileSummary): string {
  const table = (title: string, rows: Row[]) =>
    [`| ${title} | ms | % of busy |`, '|---|---:|---:|', ...rows.map((r) => `| \`${r.name.replace(/\|/g, '\\|')}\` | ${r.ms.toFixed(0)} | ${r.pct.toFixed(1)} |`)].join('\n');
  return [
    `Sampled ${(s.totalMs / 1000).toFixed(1)} s, busy ${(s.busyMs / 1000).toFixed(1)} s (${((100 * s.busyMs) / Math.max(1, s.totalMs)).toFixed(0)}%), idle ${(s.idleMs / 1000).toFixed(1)} s.`,
    '',
    '**Top functions by self time**',
    '',
    table('function (file:line)', s.topSelf),
    '',
    '**Self time by area** (package, Node internal module family, project file, V8)',
    '',
    table('area', s.byArea),
    '',
    '**Project code, inclusive time** (the function and everything it calls)',
    '',
    table('function (file:line)', s.topInclusiveProject),
  ].join('\n');
}
