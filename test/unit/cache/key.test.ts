// Cache keys: tenant-scoped, canonical, every output-affecting field in, and only the listed
// non-affecting ones out.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decide } from '../../../src/cache/cacheable.ts';
import { canonicalJson, keyMaterial, webCryptoSha256, type KeyParts } from '../../../src/cache/key.ts';
import { DEFAULT_EDGE_CACHE } from '../../../src/cache/policy.ts';

const base = { model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'Hi' }], temperature: 0, max_tokens: 16 };
const parts = (request: Record<string, unknown>, over: Partial<KeyParts> = {}): KeyParts => ({ tenant: 'acme', kind: 'chat', model: 'llama-3.1-8b', request, ...over });
const key = (request: Record<string, unknown>, over: Partial<KeyParts> = {}) => keyMaterial(parts(request, over));

describe('cache keys', () => {
  it('keep a __proto__ or constructor member as JSON.parse gives it: it reaches vLLM, so it is part of the request', () => {
    const withProto = (v: number) => JSON.parse(`{"model":"llama-3.1-8b","messages":[{"role":"user","content":"Hi"}],"temperature":0,"max_tokens":16,"__proto__":{"n":${v}}}`) as Record<string, unknown>;
    const nested = (v: number) => JSON.parse(`{"model":"llama-3.1-8b","messages":[{"role":"user","content":"Hi","__proto__":{"n":${v}}}],"temperature":0}`) as Record<string, unknown>;
    expect(key(nested(1))).not.toBe(key(nested(2)));
    expect(key(withProto(1))).not.toBe(key(withProto(2)));
    expect(key(withProto(1))).not.toBe(key(base));
    expect(key(withProto(1))).toBe(key(withProto(1)));
    expect(keyMaterial(parts(withProto(1)))).toContain('"__proto__":{"n":1}');
    const ctor = (v: number) => JSON.parse(`{"model":"m","temperature":0,"constructor":{"n":${v}}}`) as Record<string, unknown>;
    expect(key(ctor(1))).not.toBe(key(ctor(2)));
  });

  it('do not depend on key order or whitespace in the request', () => {
    const reordered = JSON.parse('{ "max_tokens": 16, "temperature": 0, "messages": [ {"content": "Hi", "role": "user"} ], "model": "llama-3.1-8b" }') as Record<string, unknown>;
    expect(key(reordered)).toBe(key(base));
  });

  it.each<[string, Record<string, unknown>]>([
    ['stream', { stream: true }],
    ['stream_options', { stream: true, stream_options: { include_usage: true } }],
    ['user', { user: 'someone' }],
    ['metadata and store', { metadata: { trace: 'x' }, store: false }],
    ['priority and request_id (vLLM scheduling and tracing)', { priority: 5, request_id: 'r-1' }],
    ['a null standing for the default', { top_p: null, stop: null }],
  ])('ignore %s, which cannot change the answer', (_what, extra) => {
    expect(key({ ...base, ...extra })).toBe(key(base));
  });

  it.each<[string, Record<string, unknown>]>([
    ['messages', { messages: [{ role: 'user', content: 'Hello' }] }],
    ['a system message', { messages: [{ role: 'system', content: 'Be brief.' }, ...base.messages] }],
    ['temperature', { temperature: 0.2 }],
    ['top_p', { top_p: 0.9 }],
    ['top_k', { top_k: 5 }],
    ['min_p', { min_p: 0.1 }],
    ['seed', { seed: 7 }],
    ['max_tokens', { max_tokens: 17 }],
    ['max_completion_tokens', { max_completion_tokens: 16 }],
    ['stop', { stop: ['\n'] }],
    ['presence_penalty', { presence_penalty: 0.5 }],
    ['frequency_penalty', { frequency_penalty: 0.5 }],
    ['repetition_penalty', { repetition_penalty: 1.1 }],
    ['logit_bias', { logit_bias: { '50256': -100 } }],
    ['n', { n: 2 }],
    ['tools', { tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] }],
    ['tool_choice', { tool_choice: 'required' }],
    ['response_format', { response_format: { type: 'json_object' } }],
    ['guided_json', { guided_json: { type: 'object' } }],
    ['chat_template_kwargs', { chat_template_kwargs: { enable_thinking: false } }],
    ['cache_salt', { cache_salt: 'x' }],
    ['a field nobody has heard of yet', { some_future_field: 1 }],
  ])('change with %s', (_what, extra) => {
    expect(key({ ...base, ...extra })).not.toBe(key(base));
  });

  it('are scoped to the tenant, the endpoint kind and the resolved model', () => {
    expect(key(base, { tenant: 'other' })).not.toBe(key(base));
    expect(key(base, { kind: 'completions' })).not.toBe(key(base));
    expect(key(base, { model: 'qwen-hf' })).not.toBe(key(base));
  });

  it('use the resolved model, not the name the client sent (alias, tier, auto)', () => {
    expect(key({ ...base, model: 'auto' })).toBe(key(base));
    expect(key({ ...base, model: 'small' })).toBe(key(base));
  });

  it('cannot be forged by a tenant name that looks like another field', () => {
    // The parts are JSON-encoded, so no choice of tenant text can reproduce another tenant's material.
    expect(key(base, { tenant: 'acme","chat' })).not.toBe(key(base, { tenant: 'acme' }));
  });

  it('hash to SHA-256 hex with Web Crypto, the same as node:crypto', async () => {
    const material = key(base);
    expect(await webCryptoSha256(material)).toBe(createHash('sha256').update(material).digest('hex'));
  });

  it('canonical JSON sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: [{ z: 1, a: 2 }, 3], a: { d: null, c: 'x' } })).toBe('{"a":{"c":"x","d":null},"b":[{"a":2,"z":1},3]}');
  });
});

describe('which requests are cached', () => {
  const policy = DEFAULT_EDGE_CACHE;
  it.each<[string, Record<string, unknown>, string | undefined, ReturnType<typeof decide>]>([
    ['temperature 0', { temperature: 0 }, undefined, { use: true, lookup: true }],
    ['a fixed seed', { seed: 42, temperature: 0.8 }, undefined, { use: true, lookup: true }],
    ['temperature unset (sampled)', {}, undefined, { use: false, reason: 'nondeterministic' }],
    ['temperature 0.7', { temperature: 0.7 }, undefined, { use: false, reason: 'nondeterministic' }],
    ['no-cache: fetch fresh, then store', { temperature: 0 }, 'no-cache', { use: true, lookup: false }],
    ['no-store: neither', { temperature: 0 }, 'no-store', { use: false, reason: 'no-store' }],
    ['no-store among other directives', { temperature: 0 }, 'max-age=0, No-Store', { use: false, reason: 'no-store' }],
    ['chat logprobs', { temperature: 0, logprobs: true }, undefined, { use: false, reason: 'logprobs' }],
    ['top_logprobs', { temperature: 0, top_logprobs: 3 }, undefined, { use: false, reason: 'logprobs' }],
    ['text logprobs: 0', { temperature: 0, logprobs: 0 }, undefined, { use: false, reason: 'logprobs' }],
    ['logprobs: false', { temperature: 0, logprobs: false }, undefined, { use: true, lookup: true }],
    ['vLLM prompt_logprobs', { temperature: 0, prompt_logprobs: 1 }, undefined, { use: false, reason: 'logprobs' }],
    ['a P/D kv_transfer_params hand-off', { temperature: 0, kv_transfer_params: { do_remote_decode: true } }, undefined, { use: false, reason: 'kv-transfer' }],
    ['n > 1, deterministic', { temperature: 0, n: 3 }, undefined, { use: true, lookup: true }],
  ])('%s', (_what, request, cacheControl, expected) => {
    expect(decide(policy, request, () => cacheControl)).toEqual(expected);
  });

  it('caches sampled requests only when the policy opts in, and nothing when it is off', () => {
    expect(decide({ ...policy, cacheNonDeterministic: true }, { temperature: 0.7 }, () => undefined)).toEqual({ use: true, lookup: true });
    expect(decide({ ...policy, enabled: false }, { temperature: 0 }, () => undefined)).toEqual({ use: false, reason: 'disabled' });
  });
});
