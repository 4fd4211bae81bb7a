import { describe, expect, it } from 'vitest';
import { paramsFromName, precisionOf } from '../../../infra/k8s/fleet-model.ts';
import { ceilGiB, quantityBytes } from '../../../src/fleet/quantity.ts';
import { vllmCacheArgs, cacheTiersFor } from '../../../infra/k8s/render/cache-tiers.ts';
import { upstreamSecret } from '../../../infra/k8s/render/upstream-secret.ts';
import { argValue, withArg, withoutArg } from '../../../infra/k8s/vllm-args.ts';
import { fleetOf, REGION } from './fixtures.ts';

describe('vLLM arguments', () => {
  it.each([
    [['--model_name=a', '--x'], ['--model_name=b', '--x']],
    [['--model_name', 'a', '--x'], ['--model_name', 'b', '--x']],
    [['--x'], ['--x', '--model_name=b']],
    [['--model_name=a', '--model_name', 'c'], ['--model_name=b']],
  ])('sets --model_name in %j → %j, keeping the spelling', (args, expected) => {
    expect(withArg(args, '--model_name', 'b')).toEqual(expected);
  });

  it('reads and removes both spellings', () => {
    expect(argValue(['--tensor-parallel-size', '4'], '--tensor-parallel-size')).toBe('4');
    expect(argValue(['-tp=2'], '--tensor-parallel-size', '-tp')).toBe('2');
    expect(withoutArg(['--a', '--tensor-parallel-size', '4', '--pipeline-parallel-size=2', '--b'], '--tensor-parallel-size', '--pipeline-parallel-size')).toEqual(['--a', '--b']);
  });
});

describe('names and quantities', () => {
  it.each([
    ['Llama-3.1-70B-Instruct', 70],
    ['qwen2.5-32b', 32],
    ['llama-3-1-8b', 8],
    ['Qwen2.5-0.5B', 0.5],
    ['hf://meta-llama/Llama-3.1-405B-Instruct-FP8', 405],
    ['gpt2', undefined],
  ])('%s has %s B parameters', (name, params) => expect(paramsFromName(name)).toBe(params));

  it('reads the precision from --dtype, --quantization or the name', () => {
    expect(precisionOf(['--dtype=float16'])).toBe('fp16');
    expect(precisionOf(['--quantization', 'fp8'])).toBe('fp8');
    expect(precisionOf([], 'Llama-3.1-70B-Instruct-AWQ')).toBe('int4');
    expect(precisionOf([], 'llama-3.1-8b')).toBe('bf16');
  });

  it.each([
    ['512Gi', 512 * 2 ** 30],
    ['2Ti', 2 * 2 ** 40],
    ['80G', 80e9],
    [1024, 1024],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['lots', undefined],
  ])('%s is %s bytes', (q, bytes) => expect(quantityBytes(q)).toBe(bytes));

  it('rounds to whole GiB upwards', () => expect(ceilGiB(80e9)).toBe(75));
});

describe('cache tiers and secrets', () => {
  const policy = (tiers: string) =>
    fleetOf(REGION('r'), `apiVersion: llm-d.ai/v1alpha1\nkind: CachePolicy\nmetadata: { name: p }\nspec:\n${tiers}`).cachePolicies[0];

  it('takes every tier as written, per replica, and names each field it cannot render', () => {
    const p = policy('  tiers:\n    - { name: hbm, type: gpu, size: 40Gi, eviction: fifo, ttl: 1h }\n    - { name: memory, size: 512Gi, evictionPolicy: lfu }\n    - { name: disk, size: 2Ti, eviction: fifo }\n    - { name: redis, size: 1Gi }\n');
    if (!p) throw new Error('fixture');
    const t = cacheTiersFor(p);
    expect(t).toMatchObject({ gpuBytes: 40 * 2 ** 30, memory: { gib: 512, eviction: 'arc' }, disk: { gib: 2048 }, prefixCaching: true });
    const notes = t.notes.join('\n');
    expect(notes).toMatch(/tiers\[0\] \(hbm\)\.ttl 1h: no vLLM equivalent/);
    expect(notes).toMatch(/tiers\[0\] \(hbm\)\.eviction fifo: vLLM's GPU prefix cache always evicts least recently used/);
    expect(notes).toMatch(/tiers\[1\] \(memory\)\.eviction lfu: rendered as arc/);
    expect(notes).toMatch(/tiers\[2\] \(disk\)\.eviction fifo: vLLM's tiering evicts every tier with the memory tier's policy \(arc\)/);
    expect(notes).toMatch(/tiers\[3\] \(redis\) is not a backend KV tier/);
  });

  it('turns prefix sharing off explicitly (vLLM caches prefixes by default)', () => {
    const p = policy('  prefixSharing: { enabled: false }\n');
    if (!p) throw new Error('fixture');
    expect(vllmCacheArgs(cacheTiersFor(p))).toEqual(['--no-enable-prefix-caching']);
  });

  it('names the Kubernetes Secret after the edge secret, and only references it', () => {
    const [region] = fleetOf(REGION('eu-west')).regions;
    if (!region) throw new Error('fixture');
    expect(upstreamSecret(region)).toEqual({ name: 'upstream-key-eu-west', key: 'api-key', edgeSecret: 'UPSTREAM_KEY_EU_WEST' });
  });
});
