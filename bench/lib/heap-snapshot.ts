// Reads a V8 heap snapshot (.heapsnapshot, as `v8.writeHeapSnapshot` or DevTools write it) and
// answers what grows between two of them: live objects grouped by constructor (count and own
// bytes), and the retained size of chosen objects (what would be freed with them: the dominator
// tree, Cooper–Harvey–Kennedy over the graph without weak edges).
import { readFileSync } from 'node:fs';

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] }; node_count: number };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface HeapGraph {
  readonly nodeCount: number;
  /** Per node: its type ('object', 'string', 'closure', …), its name (constructor, or the string), own size. */
  type(node: number): string;
  name(node: number): string;
  selfSize(node: number): number;
  /** Outgoing edges of a node: [edge type, edge name (property name or index), target node]. */
  edges(node: number): Iterable<[string, string, number]>;
  /** Retained size per node (bytes freed if it went), computed on first use. */
  retained(node: number): number;
}

export function readHeapSnapshot(path: string): HeapGraph {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as RawSnapshot;
  const { meta } = raw.snapshot;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const nType = meta.node_fields.indexOf('type');
  const nName = meta.node_fields.indexOf('name');
  const nSelf = meta.node_fields.indexOf('self_size');
  const nEdges = meta.node_fields.indexOf('edge_count');
  const eType = meta.edge_fields.indexOf('type');
  const eName = meta.edge_fields.indexOf('name_or_index');
  const eTo = meta.edge_fields.indexOf('to_node');
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const count = raw.nodes.length / nf;
  const firstEdge = new Uint32Array(count + 1);
  for (let i = 0; i < count; i++) firstEdge[i + 1] = (firstEdge[i] ?? 0) + (raw.nodes[i * nf + nEdges] ?? 0) * ef;
  const weak = edgeTypes.indexOf('weak');
  const shortcut = edgeTypes.indexOf('shortcut');
  const element = edgeTypes.indexOf('element');
  const hidden = edgeTypes.indexOf('hidden');
  const edgeName = (e: number) => {
    const t = raw.edges[e + eType] ?? 0;
    const v = raw.edges[e + eName] ?? 0;
    return t === element || t === hidden ? String(v) : (raw.strings[v] ?? '');
  };
  // Strong edges only: a weak reference does not keep anything alive, and the root's shortcuts
  // duplicate its paths through the GC roots.
  const strongTargets = function* (node: number) {
    for (let e = firstEdge[node] ?? 0; e < (firstEdge[node + 1] ?? 0); e += ef) {
      const t = raw.edges[e + eType];
      if (t === weak || (t === shortcut && node !== 0)) continue;
      yield (raw.edges[e + eTo] ?? 0) / nf;
    }
  };
  let retainedSizes: Float64Array | undefined;
  const computeRetained = () => {
    // Post-order from the root (node 0), iteratively.
    const order = new Int32Array(count).fill(-1);
    const post: number[] = [];
    const stack: [number, Iterator<number>][] = [[0, strongTargets(0)[Symbol.iterator]()]];
    const seen = new Uint8Array(count);
    seen[0] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (!top) break;
      const next = top[1].next();
      if (next.done) {
        order[top[0]] = post.length;
        post.push(top[0]);
        stack.pop();
      } else if (!seen[next.value]) {
        seen[next.value] = 1;
        stack.push([next.value, strongTargets(next.value)[Symbol.iterator]()]);
      }
    }
    const preds: number[][] = Array.from({ length: count }, () => []);
    for (const n of post) for (const to of strongTargets(n)) if ((order[to] ?? -1) >= 0) preds[to]?.push(n);
    const idom = new Int32Array(count).fill(-1);
    idom[0] = 0;
    const intersect = (a: number, b: number) => {
      while (a !== b) {
        while ((order[a] ?? 0) < (order[b] ?? 0)) a = idom[a] ?? 0;
        while ((order[b] ?? 0) < (order[a] ?? 0)) b = idom[b] ?? 0;
      }
      return a;
    };
    for (let changed = true; changed; ) {
      changed = false;
      for (let i = post.length - 2; i >= 0; i--) {
        const n = post[i] ?? 0;
        let d = -1;
        for (const p of preds[n] ?? []) if ((idom[p] ?? -1) !== -1) d = d === -1 ? p : intersect(p, d);
        if (d !== -1 && idom[n] !== d) {
          idom[n] = d;
          changed = true;
        }
      }
    }
    const sizes = new Float64Array(count);
    for (const n of post) sizes[n] = (sizes[n] ?? 0) + (raw.nodes[n * nf + nSelf] ?? 0);
    for (const n of post) if (n !== 0) sizes[idom[n] ?? 0] = (sizes[idom[n] ?? 0] ?? 0) + (sizes[n] ?? 0);
    return sizes;
  };
  return {
    nodeCount: count,
    type: (n) => nodeTypes[raw.nodes[n * nf + nType] ?? 0] ?? '?',
    name: (n) => raw.strings[raw.nodes[n * nf + nName] ?? 0] ?? '',
    selfSize: (n) => raw.nodes[n * nf + nSelf] ?? 0,
    edges: function* (n) {
      for (let e = firstEdge[n] ?? 0; e < (firstEdge[n + 1] ?? 0); e += ef) yield [edgeTypes[raw.edges[e + eType] ?? 0] ?? '?', edgeName(e), (raw.edges[e + eTo] ?? 0) / nf];
    },
    retained: (n) => (retainedSizes ??= computeRetained())[n] ?? 0,
  };
}

/** A node's group: objects by constructor, everything else by its kind ('(string)', '(closure)', '(code)'…). */
export const groupOf = (g: HeapGraph, n: number): string => {
  const type = g.type(n);
  if (type === 'object') return g.name(n);
  if (type === 'array' || type === 'hidden' || type === 'native') return `(${type}) ${g.name(n).replace(/ \/ .*/, '')}`.slice(0, 60);
  return `(${type})`;
};

export interface GroupTotals {
  count: number;
  bytes: number;
}

/** Live objects per group: count and own bytes. */
export function groups(g: HeapGraph): Map<string, GroupTotals> {
  const out = new Map<string, GroupTotals>();
  for (let n = 0; n < g.nodeCount; n++) {
    const key = groupOf(g, n);
    const t = out.get(key) ?? { count: 0, bytes: 0 };
    t.count++;
    t.bytes += g.selfSize(n);
    out.set(key, t);
  }
  return out;
}

/** Every object with this constructor name: its retained size, and the sizes of the Maps and Sets it holds directly. */
export function instancesOf(g: HeapGraph, constructorName: string): { node: number; retained: number }[] {
  const out: { node: number; retained: number }[] = [];
  for (let n = 0; n < g.nodeCount; n++) if (g.type(n) === 'object' && g.name(n) === constructorName) out.push({ node: n, retained: g.retained(n) });
  return out;
}

/** Who holds the objects of a group: counts by (holder's group, edge name), most first. */
export function retainersOf(g: HeapGraph, group: string, limit = 5): [string, number][] {
  const counts = new Map<string, number>();
  for (let n = 0; n < g.nodeCount; n++) {
    for (const [type, name, to] of g.edges(n)) {
      if (type === 'weak' || groupOf(g, to) !== group) continue;
      const key = `${groupOf(g, n)} .${type === 'element' || type === 'hidden' ? `[${type}]` : name}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit);
}
