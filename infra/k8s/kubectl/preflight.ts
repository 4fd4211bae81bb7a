import { contextsArgs, versionArgs } from './kubectl-argv.ts';
import { KubectlError, type Kubectl } from './run-kubectl.ts';

/** kubectl runs at all; returns its client version for the progress line. */
export async function checkKubectl(k: Kubectl): Promise<string> {
  const r = await k.run(versionArgs());
  if (r.code !== 0) throw new KubectlError(`${k.binary} version failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  try {
    const v = JSON.parse(r.stdout) as { clientVersion?: { gitVersion?: string } };
    return v.clientVersion?.gitVersion ?? 'unknown version';
  } catch {
    return r.stdout.trim().split('\n')[0] ?? 'unknown version';
  }
}

/** The region's context exists in the kubeconfig kubectl reads; the error lists the ones that do. */
export async function checkContext(k: Kubectl, context: string, region: string): Promise<void> {
  const r = await k.run(contextsArgs());
  if (r.code !== 0) throw new KubectlError(`cannot list kube contexts (exit ${r.code}): ${r.stderr.trim()}`);
  const known = r.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  if (!known.includes(context)) {
    throw new KubectlError(
      `kube context "${context}" (Region ${region}, spec.kubeContext) is not in your kubeconfig. Known contexts: ${known.join(', ') || '(none)'}. ` +
        'Fetch its credentials (e.g. gcloud container clusters get-credentials, aws eks update-kubeconfig) or fix spec.kubeContext.',
    );
  }
}
