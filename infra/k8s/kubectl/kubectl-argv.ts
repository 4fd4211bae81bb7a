/**
 * kubectl command lines, built in one place so tests can read them and users can copy them.
 * Every command names its context explicitly: the region's kube context from the fleet, never
 * whatever `kubectl config current-context` happens to be.
 */
export const DRY_RUN_MODES = ['server', 'client'] as const;
export type DryRun = (typeof DRY_RUN_MODES)[number];

/** The model resources infra renders, as kubectl names them (group-qualified: no short-name clashes). */
export const MODEL_RESOURCES = 'inferenceservices.serving.kserve.io,llminferenceservices.serving.kserve.io';

export const versionArgs = (): string[] => ['version', '--client', '-o', 'json'];

export const contextsArgs = (): string[] => ['config', 'get-contexts', '-o', 'name'];

/** `apply -k`: the region folder's kustomization.yaml lists the files, Namespace first. */
export const applyArgs = (context: string, dir: string, dryRun?: DryRun): string[] => [
  '--context',
  context,
  'apply',
  '-k',
  dir,
  ...(dryRun ? [`--dry-run=${dryRun}`] : []),
];

export const statusArgs = (context: string, namespace: string): string[] => ['--context', context, 'get', MODEL_RESOURCES, '-n', namespace, '-o', 'json'];

export const secretArgs = (context: string, namespace: string, name: string): string[] => ['--context', context, '-n', namespace, 'get', 'secret', name, '-o', 'name'];

/** For display: the argv as one shell line. */
export const shellLine = (binary: string, args: readonly string[]): string =>
  [binary, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
