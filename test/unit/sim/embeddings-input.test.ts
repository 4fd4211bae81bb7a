// The simulator's /v1/embeddings refuses a `dimensions` the model cannot give, as vLLM does (400),
// instead of building a vector that long (a 500 at 1e308, minutes of CPU and gigabytes at 2^31).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimServer, startSim } from '../../../infra/local/sim/server.ts';
import { post } from './sim-client.ts';

let sim: SimServer;
beforeAll(async () => {
  sim = await startSim({ profile: 'fast', models: ['bge-small-en'], task: 'embed' });
});
afterAll(() => sim.close());

describe('embeddings dimensions', () => {
  it.each([1e308, 2 ** 31, 9007199254740993, 17, 0, -1, 1.5, 'x', [8]])('answers dimensions %s with a 400 naming the parameter', async (dimensions) => {
    const res = await post(`${sim.url}/v1/embeddings`, { model: 'bge-small-en', input: 'a sentence', dimensions });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe('dimensions');
  });

  it('gives a vector of the dimensions asked, up to the model size', async () => {
    const res = await post(`${sim.url}/v1/embeddings`, { model: 'bge-small-en', input: 'a sentence', dimensions: 8 });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { embedding: number[] }[] }).data[0]?.embedding).toHaveLength(8);
  });
});
