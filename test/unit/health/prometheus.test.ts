import { describe, expect, it } from 'vitest';
import { renderMetrics } from '../../../infra/local/sim/metrics.ts';
import { parsePrometheus, parseValue } from '../../../src/health/prometheus.ts';
import { maxOf, parseVllmLoad, readVllmLoad, sumOf, VLLM_METRIC } from '../../../src/health/vllm-metrics.ts';

// What a vLLM server serving two model names prints (trimmed), plus hazards real scrapes
// meet: a histogram, escaped label values, NaN/+Inf, a timestamp, a CRLF line, garbage.
const VLLM_EXPOSITION = [
  '# HELP python_gc_objects_collected_total Objects collected during gc',
  '# TYPE python_gc_objects_collected_total counter',
  'python_gc_objects_collected_total{generation="0"} 12345.0',
  '# HELP vllm:num_requests_running Number of requests in model execution batches.',
  '# TYPE vllm:num_requests_running gauge',
  'vllm:num_requests_running{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 3.0',
  'vllm:num_requests_running{engine="0",model_name="llama-lora"} 2.0',
  '# HELP vllm:num_requests_waiting Number of requests waiting to be processed.',
  '# TYPE vllm:num_requests_waiting gauge',
  'vllm:num_requests_waiting{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 4.0',
  'vllm:num_requests_waiting{engine="0",model_name="llama-lora"} 1.0 1731400000000',
  '# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.',
  '# TYPE vllm:kv_cache_usage_perc gauge',
  'vllm:kv_cache_usage_perc{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.42',
  'vllm:kv_cache_usage_perc{engine="1",model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.61\r',
  '# HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.',
  '# TYPE vllm:time_to_first_token_seconds histogram',
  'vllm:time_to_first_token_seconds_bucket{engine="0",le="0.001",model_name="llama-lora"} 0.0',
  'vllm:time_to_first_token_seconds_bucket{engine="0",le="0.005",model_name="llama-lora"} 2.0',
  'vllm:time_to_first_token_seconds_bucket{engine="0",le="+Inf",model_name="llama-lora"} 9.0',
  'vllm:time_to_first_token_seconds_count{engine="0",model_name="llama-lora"} 9.0',
  'vllm:time_to_first_token_seconds_sum{engine="0",model_name="llama-lora"} 0.173',
  '# HELP vllm:lora_requests_info Running stats on lora requests.',
  '# TYPE vllm:lora_requests_info gauge',
  'vllm:lora_requests_info{max_lora="1",running_lora_adapters="",waiting_lora_adapters="a \\"quoted\\" path\\\\dir\\nline2"} 1.7314e+09',
  'vllm:spec_decode_efficiency{model_name="x"} NaN',
  'vllm:num_requests_waiting{model_name="broken} 99.0',
  'vllm:num_requests_running{model_name="x"} not-a-number',
  'vllm:num_requests_running{model_name="x"} 1.0 2.0 3.0',
  '{"utf8.name"} 5',
  '9bad_name 1',
  'no_space_after_labels{a="b"}1',
  '',
].join('\n');

describe('parsePrometheus', () => {
  const samples = parsePrometheus(VLLM_EXPOSITION);

  it('reads names, labels, values and timestamps; skips comments', () => {
    const gc = samples.find((s) => s.name === 'python_gc_objects_collected_total');
    expect(gc?.value).toBe(12345);
    expect({ ...gc?.labels }).toEqual({ generation: '0' });
    const lora = samples.find((s) => s.name === VLLM_METRIC.waiting && s.labels['model_name'] === 'llama-lora');
    expect(lora?.value).toBe(1);
    expect(lora?.timestamp).toBe(1731400000000);
  });

  it('keeps histogram series apart by name and le label, +Inf included', () => {
    const buckets = samples.filter((s) => s.name === 'vllm:time_to_first_token_seconds_bucket');
    expect(buckets.map((b) => b.labels['le'])).toEqual(['0.001', '0.005', '+Inf']);
    expect(samples.find((s) => s.name === 'vllm:time_to_first_token_seconds_sum')?.value).toBe(0.173);
  });

  it('unescapes \\", \\\\ and \\n in label values and reads an empty value', () => {
    const info = samples.find((s) => s.name === 'vllm:lora_requests_info');
    expect(info?.labels['waiting_lora_adapters']).toBe('a "quoted" path\\dir\nline2');
    expect(info?.labels['running_lora_adapters']).toBe('');
    expect(info?.value).toBe(1.7314e9);
  });

  it('reads NaN and tolerates CRLF line ends', () => {
    expect(samples.find((s) => s.name === 'vllm:spec_decode_efficiency')?.value).toBeNaN();
    expect(samples.filter((s) => s.name === VLLM_METRIC.kvCacheUsage).map((s) => s.value)).toEqual([0.42, 0.61]);
  });

  it('skips every malformed line without throwing', () => {
    // 2 running + 2 waiting + 2 kv + 5 histogram + gc + lora info + NaN = 14 good lines.
    expect(samples).toHaveLength(14);
    expect(samples.some((s) => s.value === 99)).toBe(false);
    expect(samples.filter((s) => s.name === VLLM_METRIC.running)).toHaveLength(2);
  });

  it('never throws on garbage', () => {
    const junk = ['{', '}', 'a{', 'a{b', 'a{b=', 'a{b="', 'a{b="\\', 'a{b="c"', 'a{b="c",,} 1', 'a{b="c" d="e"} 1', 'a{b="1",b="2"} 3', '\u0000\uffff', '#', ' ', 'a 1e', 'a 0x10', 'a 1 1.5'];
    for (const line of junk) expect(parsePrometheus(line)).toEqual([]);
    expect(parsePrometheus('x'.repeat(100_000))).toEqual([]);
  });

  it('accepts a trailing comma, spaces around label pairs and a leading-space line', () => {
    const [s] = parsePrometheus('  m{ a = "1" , b="2", } -3.5e2');
    expect(s?.value).toBe(-350);
    expect({ ...s?.labels }).toEqual({ a: '1', b: '2' });
  });

  it('keeps a label named __proto__ as a plain label', () => {
    const [s] = parsePrometheus('m{__proto__="x"} 1');
    expect(s?.labels['__proto__']).toBe('x');
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });

  it('filters by name before parsing labels', () => {
    const only = parsePrometheus(VLLM_EXPOSITION, { only: new Set([VLLM_METRIC.running]) });
    expect(only.map((s) => s.value)).toEqual([3, 2]);
  });

  it('parses values like Go ParseFloat', () => {
    expect(parseValue('+Inf')).toBe(Number.POSITIVE_INFINITY);
    expect(parseValue('-Inf')).toBe(Number.NEGATIVE_INFINITY);
    expect(parseValue('NaN')).toBeNaN();
    expect(parseValue('1.5e-3')).toBe(0.0015);
    expect(parseValue('.5')).toBe(0.5);
    expect(parseValue('')).toBeUndefined();
    expect(parseValue('0x10')).toBeUndefined();
  });
});

describe('vLLM load', () => {
  it('sums waiting and running over model_name labels and takes the fullest KV cache', () => {
    expect(parseVllmLoad(VLLM_EXPOSITION)).toEqual({ waiting: 5, running: 5, kvCacheUsage: 0.61 });
  });

  it('falls back to the legacy gpu_cache_usage_perc name', () => {
    const text = 'vllm:gpu_cache_usage_perc{model_name="m"} 0.25\nvllm:num_requests_running{model_name="m"} 1\n';
    expect(parseVllmLoad(text)).toEqual({ running: 1, kvCacheUsage: 0.25 });
  });

  it('leaves out what is missing or not a finite non-negative number', () => {
    expect(parseVllmLoad('')).toEqual({});
    expect(parseVllmLoad('vllm:num_requests_waiting{model_name="m"} NaN\nvllm:kv_cache_usage_perc 1\nvllm:num_requests_running -1')).toEqual({ kvCacheUsage: 1 });
    const samples = parsePrometheus('g{a="1"} +Inf\ng{a="2"} 2');
    expect(sumOf(samples, 'g')).toBe(2);
    expect(maxOf(samples, 'g')).toBe(2);
    expect(sumOf(samples, 'absent')).toBeUndefined();
  });

  it("reads the simulator's /metrics exactly", () => {
    const text = renderMetrics({
      modelName: 'llama-3.1-8b',
      running: 7,
      waiting: 2,
      kvCacheUsage: 0.375,
      prefixCacheQueries: 100,
      prefixCacheHits: 40,
      blockSize: 16,
      numGpuBlocks: 1024,
      success: { stop: 1, length: 2, abort: 0 },
      promptTokens: 10,
      generationTokens: 20,
    });
    const samples = parsePrometheus(text);
    expect(samples).toHaveLength(11);
    const info = samples.find((s) => s.name === 'vllm:cache_config_info');
    expect({ ...info?.labels }).toEqual({ block_size: '16', num_gpu_blocks: '1024', engine: '0', model_name: 'llama-3.1-8b' });
    expect(readVllmLoad(samples)).toEqual({ waiting: 2, running: 7, kvCacheUsage: 0.375 });
  });
});
