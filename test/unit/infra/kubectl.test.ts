import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFleet } from '../../../src/fleet/compile.ts';
import { applyRegion, type ApplyRequest } from '../../../infra/k8s/kubectl/apply-region.ts';
import { applyArgs, statusArgs } from '../../../infra/k8s/kubectl/kubectl-argv.ts';
import type { Io } from '../../../infra/k8s/kubectl/progress.ts';
import { regionStatus } from '../../../infra/k8s/kubectl/region-status.ts';
import { kubectl } from '../../../infra/k8s/kubectl/run-kubectl.ts';
import { DEFAULT_RENDER_OPTIONS } from '../../../infra/k8s/render/render-options.ts';
import { realCrds } from './crds.ts';
import { FLEET_FILE, loadFleet } from './fixtures.ts';
import { kubectlStandIn } from './kubectl-stand-in.ts';

const fleet = loadFleet(FLEET_FILE);
const US = 'gke_switchyard_us-east4_inference';

const captureIo = () => {
  const lines: string[] = [];
  const io: Io = { out: (l) => lines.push(l), err: (l) => lines.push(`ERR ${l}`) };
  return { io, text: () => lines.join('\n') };
};

const request = (over: Partial<ApplyRequest> = {}): ApplyRequest => ({
  fleet,
  region: 'us-east',
  outDir: mkdtempSync(join(tmpdir(), 'switchyard-apply-')),
  options: DEFAULT_RENDER_OPTIONS,
  confirm: () => Promise.resolve({ granted: false, why: 'stdin is not a terminal' }),
  ...over,
});

describe('kubectl argv', () => {
  it('names the context in every command', () => {
    expect(applyArgs(US, '/m/us-east', 'server')).toEqual(['--context', US, 'apply', '-k', '/m/us-east', '--dry-run=server']);
    expect(applyArgs(US, '/m/us-east')).toEqual(['--context', US, 'apply', '-k', '/m/us-east']);
    expect(statusArgs(US, 'llm')).toEqual(['--context', US, 'get', 'inferenceservices.serving.kserve.io,llminferenceservices.serving.kserve.io', '-n', 'llm', '-o', 'json']);
  });
});

describe('infra apply, against a kubectl stand-in', () => {
  it('applies nothing without consent, and says how to apply', async () => {
    const k = kubectlStandIn({ contexts: ['kind-dev', US] });
    const { io, text } = captureIo();
    const outcome = await applyRegion(request(), kubectl(k.env), io);
    expect(outcome).toBe('refused');
    expect(k.calls().some((argv) => argv.includes('apply'))).toBe(false);
    expect(text()).toMatch(/\[5\/6\] apply\s+not applied: stdin is not a terminal/);
    expect(text()).toContain(`apply -k`);
  });

  it('runs a server dry run with visible progress, then checks the upstream key Secret', async () => {
    const k = kubectlStandIn({ contexts: [US], secrets: [] });
    const { io, text } = captureIo();
    const req = request({ dryRun: 'server', catalog: realCrds() });
    const outcome = await applyRegion(req, kubectl(k.env), io);
    expect(outcome).toBe('dry-run');
    expect(k.calls()).toEqual([
      ['version', '--client', '-o', 'json'],
      ['config', 'get-contexts', '-o', 'name'],
      ['--context', US, 'apply', '-k', join(req.outDir, 'us-east'), '--dry-run=server'],
      ['--context', US, '-n', 'llm', 'get', 'secret', 'upstream-key-us-east', '-o', 'name'],
    ]);
    const out = text();
    for (const step of ['[1/6] kubectl', '[2/6] context', '[3/6] render', '[4/6] validate', '[5/6] apply', '[6/6] upstream key']) expect(out).toContain(step);
    expect(out).toContain('v1.34.0-standin');
    expect(out).toMatch(/\[4\/6\] validate\s+every manifest matches the CRDs/);
    expect(out).toContain('created (server dry run)');
    expect(out).toContain(`create secret generic upstream-key-us-east --from-literal=api-key="$UPSTREAM_KEY_US_EAST"`);
  });

  it('applies with consent and finds the Secret', async () => {
    const k = kubectlStandIn({ contexts: [US], secrets: ['upstream-key-us-east'] });
    const { io, text } = captureIo();
    const outcome = await applyRegion(request({ confirm: () => Promise.resolve({ granted: true, how: '--yes' }) }), kubectl(k.env), io);
    expect(outcome).toBe('applied');
    expect(k.calls()[2]).toEqual(['--context', US, 'apply', '-k', expect.stringMatching(/us-east$/)]);
    expect(text()).toContain('Secret upstream-key-us-east present in llm');
  });

  it('stops with a clear error when kubectl is missing', async () => {
    const env = { ...process.env, KUBECTL: '/nonexistent/bin/kubectl' };
    await expect(applyRegion(request({ dryRun: 'client' }), kubectl(env), captureIo().io)).rejects.toThrow(
      'kubectl not found: "/nonexistent/bin/kubectl" does not exist. Install kubectl, or set KUBECTL=/path/to/kubectl.',
    );
  });

  it('says when kubectl is not on PATH', async () => {
    const env = { ...process.env, KUBECTL: 'kubectl-that-is-not-installed' };
    await expect(applyRegion(request({ dryRun: 'client' }), kubectl(env), captureIo().io)).rejects.toThrow('"kubectl-that-is-not-installed" is not on PATH');
  });

  it('stops before rendering when the region’s context is not in the kubeconfig, listing the known ones', async () => {
    const k = kubectlStandIn({ contexts: ['kind-dev', 'minikube'] });
    await expect(applyRegion(request({ dryRun: 'server' }), kubectl(k.env), captureIo().io)).rejects.toThrow(
      `kube context "${US}" (Region us-east, spec.kubeContext) is not in your kubeconfig. Known contexts: kind-dev, minikube.`,
    );
    expect(k.calls().map((c) => c[0])).toEqual(['version', 'config']);
  });

  it('reports a failed apply', async () => {
    const k = kubectlStandIn({ contexts: [US], applyExit: 1 });
    await expect(applyRegion(request({ dryRun: 'server' }), kubectl(k.env), captureIo().io)).rejects.toThrow(/kubectl apply failed \(exit 1\)/);
  });

  it('refuses from the command line when stdin is not a terminal and --yes is not given', () => {
    const k = kubectlStandIn({ contexts: [US] });
    const run = spawnSync(process.execPath, ['cli/main.ts', 'infra', 'apply', '--region', 'us-east', '--fleet', FLEET_FILE], { env: k.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('not applied: stdin is not a terminal, so there is no one to ask: pass --yes to apply, or --dry-run to preview');
    expect(k.calls().some((argv) => argv.includes('apply'))).toBe(false);
  });
});

describe('infra status, against a kubectl stand-in', () => {
  it('shows readiness and URLs next to where the edge routes', async () => {
    const k = kubectlStandIn({
      contexts: [US],
      get: {
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            kind: 'InferenceService',
            metadata: { name: 'llama-3-1-8b', namespace: 'llm' },
            status: { url: 'https://llama-3-1-8b.llm.us-east.inference.switchyard.example', conditions: [{ type: 'Ready', status: 'True' }] },
          },
          {
            kind: 'InferenceService',
            metadata: { name: 'qwen2-5-32b', namespace: 'llm' },
            status: { url: 'https://qwen2-5-32b-llm.us-east.inference.switchyard.example', conditions: [{ type: 'Ready', status: 'True' }] },
          },
          {
            kind: 'LLMInferenceService',
            metadata: { name: 'llama-3-1-70b', namespace: 'llm' },
            status: { conditions: [{ type: 'Ready', status: 'False', reason: 'PrefillWorkloadNotReady', message: '0/2 replicas available' }] },
          },
        ],
      },
    });
    const { io, text } = captureIo();
    const rows = await regionStatus(fleet, compileFleet(fleet), 'us-east', kubectl(k.env), io);
    expect(k.calls().at(-1)).toEqual(statusArgs(US, 'llm'));
    expect(rows.map((r) => [r.name, r.ready, r.edge])).toEqual([
      ['llama-3-1-8b', 'True', 'https://llama-3-1-8b.llm.us-east.inference.switchyard.example/openai/v1 ✓'],
      // KServe's default domain template ({name}-{namespace}): the edge would miss it.
      ['qwen2-5-32b', 'True', 'https://qwen2-5-32b.llm.us-east.inference.switchyard.example/v1 ≠ cluster host qwen2-5-32b-llm.us-east.inference.switchyard.example'],
      ['llama-3-1-70b', 'False', 'https://llama-3-1-70b.llm.us-east.inference.switchyard.example/v1 (no URL yet)'],
    ]);
    expect(text()).toContain('PrefillWorkloadNotReady: 0/2 replicas available');
    expect(text()).toMatch(/KIND\s+NAME\s+NAMESPACE\s+READY\s+URL\s+EDGE ROUTES TO\s+REASON/);
  });
});
