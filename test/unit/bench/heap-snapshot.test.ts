// The heap-snapshot reader the soak compares snapshots with: groups by constructor, retained
// sizes through the dominator tree (an object reached from two holders belongs to neither; weak
// edges keep nothing alive), and who holds a group.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groups, instancesOf, readHeapSnapshot, retainersOf } from '../../../bench/lib/heap-snapshot.ts';

const NODE_TYPES = ['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native', 'synthetic'];
const EDGE_TYPES = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'];

/** A snapshot in V8's format from [type, name, self size, edges: [edge type, name, target index]]. */
function snapshotFile(nodes: [string, string, number, [string, string, number][]][]): string {
  const strings: string[] = [];
  const str = (s: string) => (strings.includes(s) ? strings.indexOf(s) : strings.push(s) - 1);
  const flatNodes: number[] = [];
  const flatEdges: number[] = [];
  nodes.forEach(([type, name, self, edges], id) => {
    flatNodes.push(NODE_TYPES.indexOf(type), str(name), id * 2 + 1, self, edges.length, 0, 0);
    for (const [et, en, to] of edges) flatEdges.push(EDGE_TYPES.indexOf(et), str(en), to * 7);
  });
  const raw = {
    snapshot: {
      meta: {
        node_fields: ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'],
        node_types: [NODE_TYPES, 'string', 'number', 'number', 'number', 'number', 'number'],
        edge_fields: ['type', 'name_or_index', 'to_node'],
        edge_types: [EDGE_TYPES, 'string_or_number', 'node'],
      },
      node_count: nodes.length,
    },
    nodes: flatNodes,
    edges: flatEdges,
    strings,
  };
  const path = join(mkdtempSync(join(tmpdir(), 'heap-snapshot-test-')), 'x.heapsnapshot');
  writeFileSync(path, JSON.stringify(raw));
  return path;
}

describe('readHeapSnapshot', () => {
  // 0 root → 1 Holder → 3 body (only through the holder) ; 1 Holder → 2 shared ← 4 Other ← 0 root; 1 Holder ⇢ 5 (weak) ← 0 root.
  const path = snapshotFile([
    ['synthetic', '', 0, [['element', '1', 1], ['element', '2', 4], ['element', '3', 5]]],
    ['object', 'Holder', 40, [['property', 'body', 3], ['property', 'shared', 2], ['weak', 'cached', 5]]],
    ['string', 'shared text', 100, []],
    ['string', 'body text', 1000, []],
    ['object', 'Other', 24, [['property', 'shared', 2]]],
    ['object', 'Holder', 8, []],
  ]);
  const g = readHeapSnapshot(path);

  it('retains what only it reaches: not what another holder shares, not what it holds weakly', () => {
    expect(g.retained(1)).toBe(40 + 1000);
    expect(g.retained(4)).toBe(24);
    expect(g.retained(0)).toBe(40 + 100 + 1000 + 24 + 8);
    expect(instancesOf(g, 'Holder').map((x) => x.retained)).toEqual([1040, 8]);
  });

  it('groups objects by constructor and the rest by kind, and names who holds a group', () => {
    const byGroup = groups(g);
    expect(byGroup.get('Holder')).toEqual({ count: 2, bytes: 48 });
    expect(byGroup.get('(string)')).toEqual({ count: 2, bytes: 1100 });
    expect(retainersOf(g, '(string)')).toEqual([
      ['Holder .body', 1],
      ['Holder .shared', 1],
      ['Other .shared', 1],
    ]);
  });
});
