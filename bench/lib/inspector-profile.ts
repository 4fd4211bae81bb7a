// A V8 CPU profile of a running isolate through its inspector (Chrome DevTools Protocol over a
// WebSocket: Profiler.start / Profiler.stop), e.g. workerd serve --inspector-addr; and the
// profile's frames mapped back through the bundle's source map to the files they came from.
import { SourceMap, type SourceMapPayload } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CpuProfile } from './cpuprofile.ts';

interface Target {
  id: string;
  title?: string;
  webSocketDebuggerUrl?: string;
}

/** One CDP session: numbered calls, each resolved by the reply with its id. */
export class CdpSession {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly socket: WebSocket;
  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (message.id === undefined) return; // events
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) waiter?.reject(new Error(`inspector: ${message.error.message}`));
      else waiter?.resolve(message.result);
    });
    socket.addEventListener('close', () => {
      for (const w of this.pending.values()) w.reject(new Error('inspector: connection closed'));
      this.pending.clear();
    });
  }

  static open(url: string): Promise<CdpSession> {
    return new Promise((resolveOpen, reject) => {
      const socket = new WebSocket(url);
      socket.addEventListener('open', () => resolveOpen(new CdpSession(socket)), { once: true });
      socket.addEventListener('error', () => reject(new Error(`inspector: cannot connect to ${url}`)), { once: true });
    });
  }

  call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolveCall, reject) => {
      this.pending.set(id, { resolve: (v) => resolveCall(v as T), reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.socket.close();
  }
}

/** The isolate to profile: the inspector's only target, or the one whose id/title contains `name`. */
export async function target(inspector: string, name: string): Promise<string> {
  const list = (await (await fetch(`http://${inspector}/json/list`)).json()) as Target[];
  const withSocket = list.filter((t) => t.webSocketDebuggerUrl);
  const chosen = withSocket.length === 1 ? withSocket[0] : withSocket.find((t) => t.id.includes(name) || t.title?.includes(name));
  if (!chosen?.webSocketDebuggerUrl) throw new Error(`inspector at ${inspector}: no target for "${name}" in ${JSON.stringify(list)}`);
  return chosen.webSocketDebuggerUrl;
}

/**
 * Profiles the isolate while `during` runs. `samplingUs`: V8's sampling interval (its default
 * is 1000 µs; requests here take tens of µs of CPU, so sample finer).
 */
export async function profileDuring<T>(inspector: string, name: string, samplingUs: number, during: () => Promise<T>): Promise<{ profile: CpuProfile; result: T }> {
  const session = await CdpSession.open(await target(inspector, name));
  try {
    await session.call('Profiler.enable');
    await session.call('Profiler.setSamplingInterval', { interval: samplingUs });
    await session.call('Profiler.start');
    const result = await during();
    const { profile } = await session.call<{ profile: CpuProfile }>('Profiler.stop');
    await session.call('Profiler.disable');
    return { profile, result };
  } finally {
    session.close();
  }
}

/**
 * The profile with every frame of the bundle (`bundleUrl` ends with its file name) pointed at
 * the original file and line through `mapFile` (the bundler's source map), so a summary buckets
 * by source file and package, not by one bundle. Frames it cannot map keep the bundle's name.
 */
export function sourceMapped(profile: CpuProfile, bundleName: string, mapFile: string): { profile: CpuProfile; mapped: number; unmapped: number } {
  const map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as SourceMapPayload);
  const base = dirname(mapFile);
  let mapped = 0;
  let unmapped = 0;
  const nodes = profile.nodes.map((node) => {
    const frame = node.callFrame;
    if (!frame.url.endsWith(bundleName)) return node;
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber ?? 0);
    if (!('originalSource' in entry) || !entry.originalSource) {
      unmapped++;
      return node;
    }
    mapped++;
    const source = entry.originalSource.startsWith('file://') ? entry.originalSource : pathToFileURL(resolve(base, entry.originalSource)).href;
    // A minified bundle's function names are one or two letters; the map often has the original.
    const functionName = 'name' in entry && typeof entry.name === 'string' && entry.name !== '' ? entry.name : frame.functionName;
    return { ...node, callFrame: { ...frame, functionName, url: source, lineNumber: entry.originalLine, columnNumber: entry.originalColumn } };
  });
  return { profile: { ...profile, nodes }, mapped, unmapped };
}
