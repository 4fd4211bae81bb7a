// What grew in a process between heap snapshots (bench/lib/heap-snapshot.ts): the groups of live
// objects that grew most, who holds them, and the retained size of the gateway's long-lived
// holders (the caches, memos, per-endpoint state), as markdown for a results section.
import { groups, instancesOf, readHeapSnapshot, retainersOf, type GroupTotals } from './heap-snapshot.ts';
import { fmt, signed } from './stats.ts';

/** The gateway's objects that live as long as the process and hold per-key, per-tenant or per-endpoint state. */
export const LONG_LIVED = [
  'MemoryTier', 'TieredCache', 'ResponseCache', 'CopyBudget', 'ApiKeys', 'KeyMemo', 'TtlMemo', 'GuardedRead', 'GatewayLimiter',
  'UpstashCounters', 'MemoryCounters', 'BoundedMap', 'LiveState', 'CircuitBreakers', 'SaturationMarks', 'Metrics', 'HealthSnapshotReader', 'UpstashStore',
] as const;

export interface SnapshotFile {
  /** start, middle, end. */
  label: string;
  /** Seconds into the measured window. */
  at: number;
  path: string;
  /** How long writing it stopped the process (it is synchronous: no request is served meanwhile). */
  pauseMs: number;
}

interface Summary {
  file: SnapshotFile;
  total: number;
  groups: Map<string, GroupTotals>;
  holders: Map<string, { instances: number; retained: number }>;
  retainers: Map<string, [string, number][]>;
}

const MiB = 2 ** 20;
const KiB = 1024;

/** Reads the snapshots one at a time (each may take hundreds of MiB to parse) and reports. */
export function snapshotReport(files: readonly SnapshotFile[], top = 12): { markdown: string; growth: { group: string; bytes: number; count: number }[] } {
  const summaries: Summary[] = [];
  for (const file of files) {
    const g = readHeapSnapshot(file.path);
    const byGroup = groups(g);
    let total = 0;
    for (const t of byGroup.values()) total += t.bytes;
    const holders = new Map<string, { instances: number; retained: number }>();
    for (const name of LONG_LIVED) {
      const found = instancesOf(g, name);
      holders.set(name, { instances: found.length, retained: found.reduce((a, x) => a + x.retained, 0) });
    }
    summaries.push({ file, total, groups: byGroup, holders, retainers: new Map() });
  }
  const first = summaries[0];
  const last = summaries[summaries.length - 1];
  if (!first || !last) return { markdown: '', growth: [] };
  const growth = [...last.groups.entries()]
    .map(([group, t]) => ({ group, bytes: t.bytes - (first.groups.get(group)?.bytes ?? 0), count: t.count - (first.groups.get(group)?.count ?? 0) }))
    .sort((a, b) => Math.abs(b.bytes) - Math.abs(a.bytes))
    .slice(0, top);
  // Who holds what grew, in the last snapshot (one more parse: the retainer scan walks every edge).
  const g = readHeapSnapshot(last.file.path);
  for (const x of growth.filter((x) => x.bytes > 0).slice(0, 5)) last.retainers.set(x.group, retainersOf(g, x.group, 3));
  const cols = summaries.map((x) => `${x.file.label} (${fmt(x.file.at, 0)} s)`);
  const cell = (t: GroupTotals | undefined) => (t ? `${t.count.toLocaleString('en-US')} / ${fmt(t.bytes / KiB, 0)}` : '–');
  const holderRows = LONG_LIVED.filter((name) => summaries.some((x) => (x.holders.get(name)?.instances ?? 0) > 0)).map((name) => {
    const at = summaries.map((x) => x.holders.get(name));
    const d = (at[at.length - 1]?.retained ?? 0) - (at[0]?.retained ?? 0);
    return `| ${name} | ${at[at.length - 1]?.instances ?? 0} | ${at.map((h) => fmt((h?.retained ?? 0) / KiB, 0)).join(' | ')} | ${signed(d / KiB, 0)} |`;
  });
  const markdown = `Heap snapshots of the gateway (\`v8.writeHeapSnapshot\`, each after the full GC it runs; bench/lib/heap-snapshot.ts reads them): ${summaries.map((x) => `${x.file.label} ${fmt(x.total / MiB, 1)} MiB`).join(', ')} of live objects. Writing each stops the gateway (${summaries.map((x) => `${fmt(x.file.pauseMs / 1000, 1)} s`).join(', ')}): requests queue meanwhile and the native memory the writer takes stays in RSS, so read latency, errors and RSS in the minutes of a snapshot as the snapshot's, not the gateway's.

The groups that changed most from the first to the last (objects by constructor, the rest by kind; count / KiB of their own size):

| group | ${cols.join(' | ')} | change, KiB | held by (last snapshot: holder .edge × count) |
|---|${summaries.map(() => '---:|').join('')}---:|---|
${growth.map((x) => `| \`${x.group}\` | ${summaries.map((s) => cell(s.groups.get(x.group))).join(' | ')} | ${signed(x.bytes / KiB, 0)} | ${(last.retainers.get(x.group) ?? []).map(([k, n]) => `${k.replace(/\|/g, '\\|')} × ${n}`).join('; ')} |`).join('\n')}

Retained size (KiB: what would be freed with them) of the gateway's long-lived holders of per-key, per-tenant and per-endpoint state:

| holder | instances | ${cols.join(' | ')} | change, KiB |
|---|---:|${summaries.map(() => '---:|').join('')}---:|
${holderRows.join('\n')}`;
  return { markdown, growth };
}
