import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { treeCpuMs } from '../../../bench/lib/cpu-usage.ts';
import { machineLoadNote } from '../../../bench/lib/machine-load.ts';

describe('treeCpuMs', () => {
  it('counts this process and the CPU of children it has reaped', () => {
    const before = treeCpuMs();
    expect(before).toBeGreaterThan(0);
    // A child that burns ~300 ms of CPU, waited for: its time lands in our cutime.
    spawnSync(process.execPath, ['-e', 'const t = Date.now(); while (Date.now() - t < 300);']);
    expect(treeCpuMs() - before).toBeGreaterThanOrEqual(200);
  });

  it('is NaN for a process that does not exist', () => {
    expect(treeCpuMs(2 ** 22 + 7)).toBeNaN();
  });
});

describe('machineLoadNote', () => {
  it('says shared only when the load average held more than the run itself used', () => {
    const shared = machineLoadNote({ loads: [4.1, 6.2, 5.0], ownCores: 1.2, cores: 2 });
    expect(shared).toMatch(/^\*\*The machine was shared\*\*: the 1-minute load average ran 4\.10–6\.20 \(mean 5\.10 over 3 samples/);
    expect(shared).toContain('about 3.9 runnable tasks on average were other work');
    const quiet = machineLoadNote({ loads: [1.1, 1.4, 1.3], ownCores: 1.2, cores: 2 });
    expect(quiet).toMatch(/^The machine was not noticeably shared: /);
    expect(quiet).not.toContain('**The machine was shared**');
  });

  it("says it does not know when the run's own CPU could not be read", () => {
    expect(machineLoadNote({ loads: [2], ownCores: Number.NaN, cores: 2 })).toMatch(/is not known\.$/);
  });
});
