// A Store kept in one JSON file, for the CLI when no Upstash is configured: `switchyard keys`
// writes key hashes here and the Node gateway / dev stack seed their in-memory store from it.
// Each operation reads the file afresh and writes it back atomically (temp file + rename), so
// separate CLI runs see each other's changes. Two runs writing at the same instant can still
// lose one write: fine for a developer's key file, not a database.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import type { HashIncrements, SetOptions, Store } from '../src/store/store.ts';
import { ttlMilliseconds, wrongType } from '../src/store/store-rules.ts';

export const DEFAULT_STORE_FILE = '.switchyard/keys.json';

const fileSchema = z.object({
  strings: z.record(z.string(), z.object({ value: z.string(), expiresAt: z.number().optional() })).default({}),
  hashes: z.record(z.string(), z.record(z.string(), z.string())).default({}),
});
type FileData = z.infer<typeof fileSchema>;

export class FileStore implements Store {
  // The gateway never runs on this store; for the Store contract it is a local, non-shared one.
  readonly kind = 'memory' as const;
  readonly path: string;
  readonly #now: () => number;

  constructor(path: string = DEFAULT_STORE_FILE, options: { now?: () => number } = {}) {
    this.path = resolve(path);
    this.#now = options.now ?? Date.now;
  }

  async get(key: string): Promise<string | null> {
    const data = await this.#read();
    if (data.hashes[key] !== undefined) throw wrongType(key);
    return this.#liveString(data, key) ?? null;
  }

  async set(key: string, value: string, options?: SetOptions): Promise<void> {
    const ttl = options?.ttlSeconds === undefined ? undefined : ttlMilliseconds(options.ttlSeconds);
    await this.#update((data) => {
      delete data.hashes[key];
      data.strings[key] = ttl === undefined ? { value } : { value, expiresAt: this.#now() + ttl };
    });
  }

  async del(key: string): Promise<void> {
    await this.#update((data) => {
      delete data.strings[key];
      delete data.hashes[key];
    });
  }

  async hget(key: string, field: string): Promise<string | null> {
    return this.#hash(await this.#read(), key)?.[field] ?? null;
  }

  async hset(key: string, field: string, value: string): Promise<void> {
    await this.#update((data) => {
      const hash = this.#hash(data, key) ?? (data.hashes[key] = {});
      hash[field] = value;
    });
  }

  async hdel(key: string, field: string): Promise<void> {
    await this.#update((data) => {
      const hash = this.#hash(data, key);
      if (hash === undefined) return;
      delete hash[field];
      if (Object.keys(hash).length === 0) delete data.hashes[key];
    });
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    return { ...this.#hash(await this.#read(), key) };
  }

  async hgetallMany(keys: readonly string[]): Promise<Record<string, string>[]> {
    const data = await this.#read();
    return keys.map((key) => ({ ...this.#hash(data, key) }));
  }

  /** Counters do not belong in the key file (metrics go to the process's memory); kept whole, without a TTL. */
  async incrementHashes(writes: readonly HashIncrements[]): Promise<void> {
    await this.#update((data) => {
      for (const { key, fields } of writes) {
        const hash = this.#hash(data, key) ?? (data.hashes[key] = {});
        for (const field in fields) hash[field] = String(Number(hash[field] ?? 0) + (fields[field] as number));
      }
    });
  }

  #hash(data: FileData, key: string): Record<string, string> | undefined {
    if (this.#liveString(data, key) !== undefined) throw wrongType(key);
    return data.hashes[key];
  }

  #liveString(data: FileData, key: string): string | undefined {
    const entry = data.strings[key];
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= this.#now()) return undefined;
    return entry.value;
  }

  async #read(): Promise<FileData> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { strings: {}, hashes: {} };
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`${this.path} is not valid JSON`);
    }
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success) throw new Error(`${this.path} is not a Switchyard store file: ${parsed.error.issues[0]?.message ?? ''}`);
    return parsed.data;
  }

  async #update(change: (data: FileData) => void): Promise<void> {
    const data = await this.#read();
    change(data);
    // Expired strings are dropped whenever the file is rewritten.
    const now = this.#now();
    for (const [key, entry] of Object.entries(data.strings)) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) delete data.strings[key];
    }
    await mkdir(dirname(this.path), { recursive: true });
    const temp = `${this.path}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    await rename(temp, this.path);
  }
}
