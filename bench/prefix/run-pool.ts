// Runs simulation jobs on a pool of worker threads (the simulations are CPU-bound and
// independent); results come back in job order, so the report does not depend on timing.
import { Worker } from 'node:worker_threads';
import type { PolicyResult } from './simulate.ts';
import type { Job, JobResult } from './worker.ts';

export async function runJobs(jobs: readonly Omit<Job, 'key'>[], threads: number, onDone: (job: Omit<Job, 'key'>, result: PolicyResult) => void): Promise<PolicyResult[]> {
  const results = new Array<PolicyResult | undefined>(jobs.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(threads, jobs.length)) }, () => new Worker(new URL('./worker.ts', import.meta.url)));
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const send = () => {
              const key = next++;
              const job = jobs[key];
              if (job) worker.postMessage({ ...job, key } satisfies Job);
              else resolve();
            };
            worker.on('message', (m: JobResult) => {
              if ('error' in m) {
                reject(new Error(m.error));
                return;
              }
              results[m.key] = m.result;
              onDone(jobs[m.key] as Omit<Job, 'key'>, m.result);
              send();
            });
            worker.on('error', reject);
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results.map((r, i) => {
    if (!r) throw new Error(`bench prefix: job ${i} returned no result`);
    return r;
  });
}
