import { describe, expect, it } from 'vitest';
import type { CompiledPrefixSharing } from '../../../../src/fleet/compiled.ts';
import { MAX_BLOCKS, PromptBytes } from '../../../../src/route/prefix/block-hasher.ts';
import { chatPrefix, completionPrefix, type PromptMessage } from '../../../../src/route/prefix/prefix-info.ts';
import { DEFAULT_PREFIX_SHARING, settlePrefixSharing } from '../../../../src/route/prefix/settings.ts';

const SHARING: CompiledPrefixSharing = { enabled: true, blockSize: 16, minLength: 100 };
const BLOCK_CHARS = 64;

/** Deterministic prose: `n` characters, different for each seed. */
function text(n: number, seed = 1): string {
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
  let out = '';
  for (let i = 0; out.length < n; i++) out += `${words[(i * 7 + seed * 13 + ((i * seed) % 5)) % words.length]}${(i + seed) % 97} `;
  return out.slice(0, n);
}

const hashes = (input: string, seed = 'm', blockSize = 16) => {
  const p = new PromptBytes(blockSize);
  p.text(input);
  return p.hashes(seed);
};

/** The index of the first differing block, or -1. */
const firstDifference = (a: readonly number[], b: readonly number[]) => a.findIndex((x, i) => x !== b[i]);

describe('chained block hashes', () => {
  it('cuts the text into 64-character blocks and leaves a trailing partial block unhashed', () => {
    expect(hashes(text(64 * 3))).toHaveLength(3);
    expect(hashes(text(64 * 3 + 63))).toHaveLength(3);
    expect(hashes(text(63))).toHaveLength(0);
  });

  it('gives equal prefixes equal leading hashes', () => {
    const shared = text(64 * 10);
    const a = hashes(shared + text(500, 2));
    const b = hashes(shared + text(900, 3));
    expect(a.slice(0, 10)).toEqual(b.slice(0, 10));
    expect(a[10]).not.toBe(b[10]);
  });

  it.each([0, 63, 64, 64 * 5 + 17, 64 * 12 - 1])('changes the block with a changed character (at %i) and every block after it', (at) => {
    const original = text(64 * 12);
    const changed = original.slice(0, at) + (original[at] === 'x' ? 'y' : 'x') + original.slice(at + 1);
    const a = hashes(original);
    const b = hashes(changed);
    const block = Math.floor(at / 64);
    expect(firstDifference(a, b)).toBe(block);
    for (let i = block; i < a.length; i++) expect(a[i]).not.toBe(b[i]);
  });

  it('chains: a block equal in content but after a different prefix hashes differently', () => {
    const block = text(64, 5);
    const a = hashes(text(64, 1) + block);
    const b = hashes(text(64, 2) + block);
    expect(a[1]).not.toBe(b[1]);
    // …while the same block alone at the start hashes the same in both streams.
    expect(hashes(block + text(64, 1))[0]).toBe(hashes(block + text(64, 2))[0]);
  });

  it('does not depend on how the text is cut into pieces', () => {
    const whole = text(64 * 7 + 10);
    const p = new PromptBytes(16);
    for (let i = 0; i < whole.length; i += 13) p.text(whole.slice(i, i + 13));
    expect(p.hashes('m')).toEqual(hashes(whole));
    expect(p.chars).toBe(whole.length);
  });

  it(`stops at ${MAX_BLOCKS} blocks but keeps counting the text`, () => {
    const long = text(64 * 400);
    const p = new PromptBytes(16);
    p.text(long.slice(0, 10_000));
    p.text(long.slice(10_000));
    expect(p.bytes).toBe(64 * MAX_BLOCKS);
    expect(p.chars).toBe(long.length);
    expect(p.hashes('m')).toHaveLength(MAX_BLOCKS);
    expect(p.hashes('m')).toEqual(hashes(long.slice(0, 64 * MAX_BLOCKS)));
  });

  it('cuts blocks by UTF-8 bytes, as llm-d does: 32 two-byte characters make one block', () => {
    expect(hashes('é'.repeat(31))).toHaveLength(0);
    expect(hashes('é'.repeat(32))).toHaveLength(1);
    expect(hashes('😀'.repeat(16) + text(100))).toHaveLength(2);
  });

  it('scales blocks with the block size: 32-token blocks are 128 bytes', () => {
    expect(hashes(text(128 * 3), 'm', 32)).toHaveLength(3);
    expect(hashes(text(128 * 3), 'm', 32)).not.toEqual(hashes(text(128 * 3)).slice(0, 3));
  });

  it('hashes token ids one word each, blockSize ids per block', () => {
    const ids = Array.from({ length: 16 * 5 + 3 }, (_, i) => i * 31);
    const p = new PromptBytes(16);
    p.tokens(ids);
    const hashed = p.hashes('m');
    expect(hashed).toHaveLength(5);
    const changed = ids.slice();
    changed[40] = 7;
    const q = new PromptBytes(16);
    q.tokens(changed);
    expect(firstDifference(hashed, q.hashes('m'))).toBe(2);
  });

  it('seeds the chain with the model: the same text for another model shares no block', () => {
    const t = text(64 * 4);
    const a = hashes(t, 'llama-3.1-8b');
    const b = hashes(t, 'qwen2.5-32b');
    for (let i = 0; i < a.length; i++) expect(a[i]).not.toBe(b[i]);
  });

  it('produces safe integers, without collisions over many distinct blocks', () => {
    const seen = new Set<number>();
    let count = 0;
    for (let run = 0; run < 40; run++) {
      const p = new PromptBytes(16);
      for (let i = 0; i < MAX_BLOCKS; i++) p.text(text(64, run * 1_000 + i));
      for (const x of p.hashes('m')) {
        expect(Number.isSafeInteger(x)).toBe(true);
        seen.add(x);
        count++;
      }
    }
    expect(count).toBe(40 * MAX_BLOCKS);
    expect(seen.size).toBe(count);
  });
});

const system = (seed: number, chars = 4_000): PromptMessage => ({ role: 'system', content: text(chars, seed) });
const user = (content: string): PromptMessage => ({ role: 'user', content });
const assistant = (content: string): PromptMessage => ({ role: 'assistant', content });

describe('the prefix of a chat request', () => {
  it('renders role headers and content as one stream (equal to hashing the rendered text)', () => {
    const messages = [system(1), user('What is the capital of France?')];
    const info = chatPrefix('m', messages, SHARING);
    const rendered = `<|system|>${text(4_000, 1)}<|user|>What is the capital of France?`;
    expect(info?.blocks).toEqual(hashes(rendered));
    expect(info?.promptTokens).toBe(Math.ceil(rendered.length / 4));
  });

  it('anchors a long system prompt on its own: conversations and turns of one tenant share the anchor', () => {
    const turn1 = chatPrefix('m', [system(1), user('hello there, I need help')], SHARING);
    const turn3 = chatPrefix('m', [system(1), user('hello there, I need help'), assistant(text(900, 4)), user('and then?')], SHARING);
    const other = chatPrefix('m', [system(1), user(text(2_000, 9))], SHARING);
    expect(turn1?.anchorBlocks).toBe(Math.floor((4_000 + '<|system|>'.length) / BLOCK_CHARS));
    expect(turn3?.anchor).toBe(turn1?.anchor);
    expect(other?.anchor).toBe(turn1?.anchor);
  });

  it('gives different system prompts different anchors', () => {
    const anchors = new Set<number | undefined>();
    for (let tenant = 0; tenant < 50; tenant++) anchors.add(chatPrefix('m', [system(tenant), user('hi')], SHARING)?.anchor);
    expect(anchors.size).toBe(50);
  });

  it('with a short system prompt, anchors the conversation at its first user message', () => {
    const question = text(1_000, 7);
    const turn1 = chatPrefix('m', [{ role: 'system', content: 'You are helpful.' }, user(question)], SHARING);
    const turn2 = chatPrefix('m', [{ role: 'system', content: 'You are helpful.' }, user(question), assistant(text(300, 8)), user('more')], SHARING);
    const otherConversation = chatPrefix('m', [{ role: 'system', content: 'You are helpful.' }, user(text(1_000, 8))], SHARING);
    expect(turn2?.anchor).toBe(turn1?.anchor);
    expect(otherConversation?.anchor).not.toBe(turn1?.anchor);
  });

  it('returns nothing for a prompt under minLength tokens (and routes it by the balancer)', () => {
    expect(chatPrefix('m', [user(text(99 * 4 - 10))], SHARING)).toBeUndefined();
    expect(chatPrefix('m', [user(text(100 * 4))], SHARING)).toBeDefined();
    expect(chatPrefix('m', [user(text(1_000))], { ...SHARING, minLength: 300 })).toBeUndefined();
  });

  it('hashes text parts and marks other parts by type', () => {
    const parts = chatPrefix('m', [{ role: 'user', content: [{ type: 'text', text: text(500) }, { type: 'image_url' }] }], SHARING);
    expect(parts?.blocks).toEqual(hashes(`<|user|>${text(500)}<|image_url|>`));
  });

  it('keeps cache_salt and tools in the chain: a different salt or tool list shares no block', () => {
    const messages = [system(1)];
    const plain = chatPrefix('m', messages, SHARING);
    expect(chatPrefix('m', messages, SHARING, { salt: 'tenant-a' })?.blocks[0]).not.toBe(plain?.blocks[0]);
    expect(chatPrefix('m', messages, SHARING, { tools: [{ type: 'function', function: { name: 'f' } }] })?.blocks[0]).not.toBe(plain?.blocks[0]);
  });
});

describe('the prefix of a completion prompt', () => {
  it('anchors at the last block within the first minLength tokens', () => {
    const a = completionPrefix('m', text(3_000, 1), SHARING);
    const b = completionPrefix('m', text(400, 1) + text(2_000, 2), SHARING);
    expect(a?.anchorBlocks).toBe(6); // 100 tokens → 6 whole 16-token blocks
    expect(b?.anchor).toBe(a?.anchor);
    expect(completionPrefix('m', text(3_000, 3), SHARING)?.anchor).not.toBe(a?.anchor);
    expect(completionPrefix('m', text(399), SHARING)).toBeUndefined();
  });

  it('hashes token ids in blocks of exactly blockSize tokens; a batch is routed by its first prompt', () => {
    const ids = Array.from({ length: 200 }, (_, i) => (i * 7919) % 128_000);
    const info = completionPrefix('m', ids, SHARING);
    expect(info?.blocks).toHaveLength(12);
    expect(info?.promptTokens).toBe(200);
    expect(completionPrefix('m', [ids, [1, 2, 3]], SHARING)).toEqual(info);
    expect(completionPrefix('m', [text(3_000, 1), 'x'], SHARING)).toEqual(completionPrefix('m', text(3_000, 1), SHARING));
    expect(completionPrefix('m', ids.slice(0, 99), SHARING)).toBeUndefined();
  });
});

describe('prefix sharing settings', () => {
  it.each([
    [{}, DEFAULT_PREFIX_SHARING],
    [{ minLength: 100 }, { enabled: true, blockSize: 16, minLength: 100 }],
    [{ enabled: false, blockSize: 32 }, { enabled: false, blockSize: 32, minLength: 32 }],
    [{ blockSize: 20, minLength: 0 }, { enabled: true, blockSize: 16, minLength: 0 }],
  ])('settles %j as %j (a block size vLLM does not take falls back to 16)', (written, settled) => {
    expect(settlePrefixSharing(written)).toEqual(settled);
  });
});
