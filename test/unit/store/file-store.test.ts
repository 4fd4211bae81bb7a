import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileStore } from '../../../cli/file-store.ts';
import { storeContract } from './store-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-file-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let now = 1_000_000;
let files = 0;
storeContract('FileStore', {
  fresh: async () => new FileStore(join(dir, `contract-${files++}`, 'keys.json'), { now: () => now }),
  advance: async (ms) => {
    now += ms;
  },
  hashTtl: false,
});

describe('FileStore', () => {
  it('persists across instances, as separate CLI runs need', async () => {
    const path = join(dir, 'shared', 'keys.json');
    await new FileStore(path).hset('switchyard:keys', 'f', 'v');
    expect(await new FileStore(path).hgetall('switchyard:keys')).toEqual({ f: 'v' });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ strings: {}, hashes: { 'switchyard:keys': { f: 'v' } } });
  });

  it('names the file when it is not a store file', async () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{not json');
    await expect(new FileStore(path).get('k')).rejects.toThrow(`${path} is not valid JSON`);
    writeFileSync(path, '{"hashes": {"k": {"f": 1}}}');
    await expect(new FileStore(path).get('k')).rejects.toThrow(`${path} is not a Switchyard store file`);
  });
});
