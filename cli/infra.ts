// `switchyard infra plan|render|validate|apply|status`: provisioning of the regional GPU
// clusters from the fleet file. The work lives in infra/k8s/; this file only reads flags.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { askConsent } from '../infra/k8s/kubectl/consent.ts';
import { applyRegion } from '../infra/k8s/kubectl/apply-region.ts';
import { DRY_RUN_MODES, type DryRun } from '../infra/k8s/kubectl/kubectl-argv.ts';
import { consoleIo } from '../infra/k8s/kubectl/progress.ts';
import { regionStatus } from '../infra/k8s/kubectl/region-status.ts';
import { kubectl } from '../infra/k8s/kubectl/run-kubectl.ts';
import { DEFAULT_GPU, GPU_NAMES, gpuShape, type GpuName } from '../infra/k8s/plan/gpus.ts';
import { PRECISIONS, type Precision } from '../infra/k8s/plan/memory.ts';
import { planFleet } from '../infra/k8s/plan/plan-fleet.ts';
import { PROMPT_PROFILE_NAMES, PROMPT_PROFILES, TRAFFIC_PATTERNS, type PromptProfile, type Traffic } from '../infra/k8s/plan/plan-input.ts';
import { antiPatterns } from '../infra/k8s/plan/anti-patterns.ts';
import { USE_CASE_NAMES, type UseCase } from '../infra/k8s/plan/patterns.ts';
import { fleetReport, matrixReport, standaloneReport, useCaseReport } from '../infra/k8s/plan/plan-report.ts';
import { LABEL } from '../src/fleet/schema.ts';
import { recommend } from '../infra/k8s/plan/recommend.ts';
import { renderFleet } from '../infra/k8s/render/render-fleet.ts';
import { DEFAULT_RENDER_OPTIONS, type RenderOptions } from '../infra/k8s/render/render-options.ts';
import { writeRegion } from '../infra/k8s/render/write-manifests.ts';
import { CrdCatalog } from '../infra/k8s/validate/crd-catalog.ts';
import { crdDir, DEFAULT_CRD_DIR } from '../infra/k8s/validate/crd-dir.ts';
import { formatFinding, validateFiles } from '../infra/k8s/validate/validate-manifests.ts';
import { loadFleetFile } from './fleet-file.ts';

const DEFAULT_FLEET = 'infra/fleet.yaml';

const positive = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number > 0');
  return n;
};
const positiveInt = (value: string) => {
  const n = positive(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be a whole number');
  return n;
};
const oneOf = <T extends string>(known: readonly T[]) => (value: string): T => {
  if (!(known as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${known.join(', ')}`);
  return value as T;
};
const gatewayRef = (value: string) => {
  const [namespace, name] = value.includes('/') ? value.split('/', 2) : ['kserve', value];
  if (!namespace || !name) throw new InvalidArgumentError('must be NAMESPACE/NAME');
  return { namespace, name };
};

interface RenderFlags {
  gpusPerNode: number;
  vllmImage: string;
  gateway: RenderOptions['gateway'];
}

/** Flags shared by render and apply: cluster facts the fleet file does not carry. */
const withRenderFlags = (c: Command) =>
  c
    .option('--gpus-per-node <n>', 'GPUs per node: beyond it a replica needs a multi-node workerSpec', positiveInt, DEFAULT_RENDER_OPTIONS.gpusPerNode)
    .option('--vllm-image <image>', 'image of the kserve-vllmserver runtime', DEFAULT_RENDER_OPTIONS.vllmImage)
    .option('--gateway <ns/name>', 'Gateway the llm-d routes attach to', gatewayRef, DEFAULT_RENDER_OPTIONS.gateway);

const renderOptions = (f: RenderFlags): RenderOptions => ({ gpusPerNode: f.gpusPerNode, vllmImage: f.vllmImage, gateway: f.gateway });

function planCommand(): Command {
  return new Command('plan')
    .description("recommend an architecture pattern per model and region, or for --params alone: the reference's decision matrix (size × traffic) first, then the memory-fit refinement; warns on the reference's anti-patterns")
    .option('--fleet <file>', 'fleet file (default when --params is not given: infra/fleet.yaml)')
    .option('--model <id>', 'only this model of the fleet')
    .option('--params <billions>', 'model size in billions of parameters (standalone, or to override the fleet)', positive)
    .addOption(new Option('--precision <p>', 'weight precision').choices(PRECISIONS))
    .addOption(new Option('--gpu <name>', 'accelerator').choices(GPU_NAMES).default(DEFAULT_GPU))
    .option('--gpu-memory <GiB>', 'memory per GPU, overriding the preset', positive)
    .option('--gpus-per-node <n>', 'GPUs per node', positiveInt, 8)
    .addOption(new Option('--traffic <pattern>', `traffic shape, as the decision matrix names them (fleet default: the ${LABEL.traffic} annotation, else the replica bounds)`).choices(TRAFFIC_PATTERNS))
    .addOption(new Option('--use-case <case>', "the reference's \"Optimize for your use case\" row").choices(USE_CASE_NAMES))
    .option('--rps <n>', 'peak requests per second per region', positive)
    .addOption(new Option('--prompt <profile>', `prompt lengths: ${PROMPT_PROFILE_NAMES.map((p) => `${p} ~${PROMPT_PROFILES[p].promptTokens}`).join(', ')} tokens`).choices(PROMPT_PROFILE_NAMES).default('mixed'))
    .option('--max-model-len <tokens>', 'longest sequence one request may use', positiveInt)
    .option('--ttft-ms <ms>', 'time-to-first-token target', positive)
    .option('--itl-ms <ms>', 'inter-token latency target', positive)
    .option('--json', 'print the plan as JSON')
    .option('--matrix', 'print the decision matrix (every size × traffic cell), the pattern comparison matrix and the use-case table')
    .action(
      (o: {
        fleet?: string; model?: string; params?: number; precision?: Precision; gpu: GpuName; gpuMemory?: number; gpusPerNode: number;
        traffic?: Traffic; rps?: number; prompt: PromptProfile; maxModelLen?: number; ttftMs?: number; itlMs?: number; json?: boolean; matrix?: boolean;
        useCase?: UseCase;
      }) => {
        if (o.matrix) {
          console.log(matrixReport());
          if (o.params === undefined && o.fleet === undefined && o.useCase === undefined) return;
        }
        if (o.useCase !== undefined) {
          console.log(useCaseReport(o.useCase));
          if (o.params === undefined && o.fleet === undefined) return;
        }
        const flags = {
          gpu: gpuShape(o.gpu, o.gpuMemory),
          gpusPerNode: o.gpusPerNode,
          prompt: o.prompt,
          ...(o.traffic !== undefined ? { traffic: o.traffic } : {}),
          ...(o.rps !== undefined ? { rps: o.rps } : {}),
          ...(o.maxModelLen !== undefined ? { maxModelLen: o.maxModelLen } : {}),
          ...(o.ttftMs !== undefined ? { ttftMs: o.ttftMs } : {}),
          ...(o.itlMs !== undefined ? { itlMs: o.itlMs } : {}),
          ...(o.params !== undefined ? { paramsB: o.params } : {}),
          ...(o.precision !== undefined ? { precision: o.precision } : {}),
        };
        if (o.params !== undefined && o.fleet === undefined) {
          const profile = PROMPT_PROFILES[o.prompt];
          const input = {
            paramsB: o.params,
            precision: o.precision ?? 'bf16',
            gpu: flags.gpu,
            gpusPerNode: o.gpusPerNode,
            traffic: o.traffic ?? 'any',
            rps: o.rps ?? 1,
            promptTokens: profile.promptTokens,
            outputTokens: profile.outputTokens,
            maxModelLen: o.maxModelLen ?? 8192,
            ...(o.ttftMs !== undefined ? { ttftMs: o.ttftMs } : {}),
            ...(o.itlMs !== undefined ? { itlMs: o.itlMs } : {}),
          };
          const r = recommend(input);
          console.log(o.json ? JSON.stringify({ input, recommendation: r }, null, 2) : standaloneReport(input, r));
          return;
        }
        const { fleet } = loadFleetFile(o.fleet ?? DEFAULT_FLEET);
        const plans = planFleet(fleet, flags, o.model);
        const warnings = antiPatterns(fleet).filter((a) => o.model === undefined || a.model === o.model);
        if (o.json) {
          console.log(JSON.stringify({ plans, antiPatterns: warnings }, null, 2));
          return;
        }
        console.log(fleetReport(plans));
        for (const w of warnings) console.log(`anti-pattern (${w.id}): ${w.message}`);
      },
    );
}

function renderCommand(): Command {
  return withRenderFlags(
    new Command('render')
      .description('write Kubernetes manifests per region: DIR/<region>/{namespace,inferenceservice-*,llminferenceservice-*,servingruntime-*}.yaml, kustomization.yaml, NOTES.md')
      .requiredOption('--fleet <file>', 'fleet file')
      .requiredOption('--out <dir>', 'output folder')
      .option('--region <id>', 'only this region'),
  ).action((o: RenderFlags & { fleet: string; out: string; region?: string }) => {
    const { fleet } = loadFleetFile(o.fleet);
    const renders = renderFleet(fleet, renderOptions(o)).filter((r) => o.region === undefined || r.region === o.region);
    if (renders.length === 0) throw new Error(`no Region "${o.region ?? ''}" in ${o.fleet}`);
    for (const r of renders) {
      const written = writeRegion(o.out, r);
      console.log(`${r.region}: ${written.length} files → ${join(o.out, r.region)} (context ${r.kubeContext ?? 'unset'})`);
      for (const f of r.files) console.log(`  ${f.file.padEnd(44)} ${f.manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ')}`);
      for (const s of r.steps) console.log(`  before applying: ${s}`);
      for (const w of r.warnings) console.log(`  warning: ${w}`);
    }
  });
}

function validateCommand(): Command {
  return new Command('validate')
    .description('validate manifests offline against CRD schemas (JSON Schema); exits 1 with file, line, field and message for each error')
    .argument('<paths...>', 'manifest files or folders (searched for .yaml, .yml, .json)')
    .option('--crds <dir>', `folder of CustomResourceDefinitions (default: $SWITCHYARD_CRDS or ${DEFAULT_CRD_DIR})`)
    .option('--quiet', 'print errors and warnings only')
    .action((paths: string[], o: { crds?: string; quiet?: boolean }) => {
      const { dir, from } = crdDir(o.crds);
      const catalog = CrdCatalog.open(dir, from);
      const findings = validateFiles(paths, catalog);
      for (const f of findings) if (!o.quiet || f.severity !== 'note') console.log(formatFinding(f));
      const errors = findings.filter((f) => f.severity === 'error').length;
      const warnings = findings.filter((f) => f.severity === 'warning').length;
      console.log(
        `${errors === 0 ? 'ok' : 'FAILED'}: ${errors} error(s), ${warnings} warning(s) against ${catalog.headers.length} CRDs in ${dir}. ` +
          'CEL rules (x-kubernetes-validations) are not evaluated offline: `infra apply --dry-run=server` has the API server check them.',
      );
      if (errors > 0) process.exitCode = 1;
    });
}

function applyCommand(): Command {
  return withRenderFlags(
    new Command('apply')
      .description("render one region and apply it with kubectl to the region's kube context; asks first (or --yes), --dry-run previews")
      .requiredOption('--region <id>', 'region to apply')
      .option('--fleet <file>', 'fleet file', DEFAULT_FLEET)
      .option('--out <dir>', 'where to render (default: a new temporary folder)')
      .option('--crds <dir>', 'validate against these CRDs first (default: $SWITCHYARD_CRDS or ../shared/crds when present)')
      .addOption(new Option('--dry-run [mode]', 'kubectl dry run: server (default) or client').choices(DRY_RUN_MODES).preset('server'))
      .option('--yes', 'apply without asking'),
  ).action(async (o: RenderFlags & { region: string; fleet: string; out?: string; crds?: string; dryRun?: DryRun; yes?: boolean }) => {
    const { fleet } = loadFleetFile(o.fleet);
    const { dir, from } = crdDir(o.crds);
    let catalog: CrdCatalog | undefined;
    try {
      catalog = CrdCatalog.open(dir, from);
    } catch (error) {
      if (o.crds !== undefined || process.env['SWITCHYARD_CRDS']) throw error; // asked for explicitly: a missing folder is an error
    }
    const outcome = await applyRegion(
      {
        fleet,
        region: o.region,
        outDir: o.out ?? mkdtempSync(join(tmpdir(), 'switchyard-manifests-')),
        options: renderOptions(o),
        ...(o.dryRun ? { dryRun: o.dryRun } : {}),
        ...(catalog ? { catalog } : {}),
        confirm: (q) => askConsent(q, o.yes === true),
      },
      kubectl(),
      consoleIo,
    );
    if (outcome === 'refused') process.exitCode = 1;
  });
}

function statusCommand(): Command {
  return new Command('status')
    .description("what each region's cluster runs (Ready, URL) next to where the edge routes")
    .option('--fleet <file>', 'fleet file', DEFAULT_FLEET)
    .option('--region <id>', 'only this region (default: every region with a kube context)')
    .action(async (o: { fleet: string; region?: string }) => {
      const { fleet, compiled } = loadFleetFile(o.fleet);
      const regions = o.region ? [o.region] : fleet.regions.filter((r) => r.spec.kubeContext).map((r) => r.metadata.name);
      for (const region of regions) {
        console.log(`region ${region}`);
        await regionStatus(fleet, compiled, region, kubectl(), consoleIo);
      }
    });
}

export function infraCommand(): Command {
  return new Command('infra')
    .description('provision the regional GPU clusters from the fleet file: plan, render, validate, apply, status')
    .addCommand(planCommand())
    .addCommand(renderCommand())
    .addCommand(validateCommand())
    .addCommand(applyCommand())
    .addCommand(statusCommand());
}
