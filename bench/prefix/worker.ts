// A worker thread of the prefix benchmark: runs the simulations it is sent, one at a time, and
// posts each result back. Workloads are generated here from their parameters (deterministic),
// so only small messages cross threads.
import { parentPort } from 'node:worker_threads';
import { POLICIES } from './policies.ts';
import { simulate, type PolicyResult, type SimOptions } from './simulate.ts';
import { generateWorkload, type Workload, type WorkloadParams } from './workload.ts';

export interface Job {
  readonly key: number;
  readonly workload: WorkloadParams;
  readonly policyId: string;
  readonly options: SimOptions;
}

export type JobResult = { readonly key: number; readonly result: PolicyResult } | { readonly key: number; readonly error: string };

const workloads = new Map<string, Workload>();

parentPort?.on('message', (job: Job) => {
  try {
    const id = JSON.stringify(job.workload);
    let workload = workloads.get(id);
    if (!workload) {
      workload = generateWorkload(job.workload);
      workloads.clear();
      workloads.set(id, workload);
    }
    const policy = POLICIES.find((p) => p.id === job.policyId);
    if (!policy) throw new Error(`unknown policy ${job.policyId}`);
    parentPort?.postMessage({ key: job.key, result: simulate(workload, policy, job.options) } satisfies JobResult);
  } catch (error) {
    parentPort?.postMessage({ key: job.key, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies JobResult);
  }
});
