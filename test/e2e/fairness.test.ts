// Fairness under saturation: one tenant floods a small endpoint, another sends a request now and
// then. Without fairness the flood fills the server's queue, it answers 429 and the quiet
// tenant is refused too; with the RoutingPolicy's fairness, the flood is held to its share at
// the edge and the quiet tenant's requests all succeed. Real simulated vLLM server (its queue
// limit answers 429 like vLLM's), the gateway's own code in process.
import { afterEach, describe, expect, it } from 'vitest';
import { startSim, type SimServer } from '../../infra/local/sim/server.ts';
import { PROFILES } from '../../infra/local/sim/latency-model.ts';
import { startNodeGateway, type NodeGateway } from '../../node/server.ts';
import { ApiKeys } from '../../src/auth/api-keys.ts';
import { compileFleet } from '../../src/fleet/compile.ts';
import { parseFleet } from '../../src/fleet/load.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { regionDoc } from '../support/region-doc.ts';

/** A small server: 4 decoding, 4 waiting, then 429 (as vLLM's queue limit does). */
const SMALL = { ...PROFILES.fast, name: 'small', maxNumSeqs: 4, maxWaitingQueueLength: 4, interTokenLatencyMs: 4 };

let sim: SimServer | undefined;
let gateway: NodeGateway | undefined;

afterEach(async () => {
  await gateway?.close();
  await sim?.close();
  gateway = undefined;
  sim = undefined;
});

async function stack(fairness: string) {
  sim = await startSim({ models: ['llama-3.1-8b'], profile: SMALL });
  const fleet = compileFleet(
    parseFleet(
      [
        regionDoc('us-east', 38.9, -77.4, 'NA', `endpoints: [{ model: llama-3.1-8b, url: "${sim.url}" }]`),
        'apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: { name: llama-3.1-8b }\nspec: { predictor: { model: { modelFormat: { name: vLLM } } } }\n',
        `apiVersion: switchyard.dev/v1alpha1\nkind: RoutingPolicy\nmetadata: { name: p }\nspec:\n  environment: development\n${fairness}`,
      ].join('---\n'),
      'fairness.yaml',
    ),
  );
  const keys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
  const [loud, quiet] = await Promise.all([keys.create({ tenant: 'loud' }), keys.create({ tenant: 'quiet' })]);
  gateway = await startNodeGateway({ fleet, keys: [loud.record, quiet.record], env: {}, probeIntervalMs: 0, metrics: false });
  return { url: gateway.url, loud: loud.key, quiet: quiet.key };
}

const ask = (url: string, key: string, maxTokens: number) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'hi' }], max_tokens: maxTokens }),
  }).then(async (r) => ({ status: r.status, code: r.status === 200 ? null : ((await r.json()) as { error: { code: string } }).error.code }));

/** The loud tenant keeps 24 long requests going while the quiet one sends 8, one after another. */
async function flood(s: Awaited<ReturnType<typeof stack>>) {
  let flooding = true;
  const loud: { status: number; code: string | null }[] = [];
  const workers = Array.from({ length: 24 }, async () => {
    while (flooding) loud.push(await ask(s.url, s.loud, 60));
  });
  await new Promise((r) => setTimeout(r, 150)); // the flood is on
  const quiet: { status: number; code: string | null }[] = [];
  for (let i = 0; i < 8; i++) {
    quiet.push(await ask(s.url, s.quiet, 4));
    await new Promise((r) => setTimeout(r, 30));
  }
  flooding = false;
  await Promise.all(workers);
  return { loud, quiet };
}

describe('fairness under saturation', () => {
  it('without fairness, the flood fills the server and the quiet tenant is refused as well', async () => {
    const { quiet, loud } = await flood(await stack(''));
    expect(loud.some((r) => r.status === 429)).toBe(true);
    expect(quiet.filter((r) => r.status === 200).length).toBeLessThan(quiet.length);
  });

  it('with fairness, the flood is held to its share at the edge and every quiet request succeeds', async () => {
    const { quiet, loud } = await flood(await stack('  fairness: { endpointConcurrency: 6, weights: { quiet: 1, loud: 1 } }\n'));
    expect(quiet.map((r) => r.status)).toEqual(quiet.map(() => 200));
    // The loud tenant was refused by the edge's share, never by the server's full queue.
    const refusals = loud.filter((r) => r.status !== 200);
    expect(refusals.length).toBeGreaterThan(0);
    expect(new Set(refusals.map((r) => r.code))).toEqual(new Set(['tenant_share_exceeded']));
    expect(loud.filter((r) => r.status === 200).length).toBeGreaterThan(0);
  });

  it('tells the cluster scheduler whose request it is, and its objective', async () => {
    const s = await stack('  fairness: { objectives: { quiet: premium, default: standard } }\n');
    await ask(s.url, s.quiet, 2);
    await ask(s.url, s.loud, 2);
    const [first, second] = (sim as SimServer).requests().filter((r) => r.path.endsWith('/chat/completions'));
    expect(first?.headers['x-gateway-inference-fairness-id']).toBe('quiet');
    expect(first?.headers['x-gateway-inference-objective']).toBe('premium');
    expect(second?.headers['x-gateway-inference-fairness-id']).toBe('loud');
    expect(second?.headers['x-gateway-inference-objective']).toBe('standard');
  });
});
