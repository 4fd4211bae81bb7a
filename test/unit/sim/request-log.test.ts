import { describe, expect, it } from 'vitest';
import { RequestLog } from '../../../infra/local/sim/request-log.ts';

const entry = (body: unknown) => ({ at: 0, method: 'POST', path: '/v1/completions', headers: {}, body });

describe('RequestLog', () => {
  it('keeps the last N requests, oldest first, numbered in arrival order', () => {
    const log = new RequestLog(3);
    for (const n of [1, 2]) log.add(entry({ n }));
    expect(log.list().map((r) => r.seq)).toEqual([1, 2]);
    for (const n of [3, 4, 5]) log.add(entry({ n }));
    expect(log.list().map((r) => [r.seq, r.body])).toEqual([
      [3, { n: 3 }],
      [4, { n: 4 }],
      [5, { n: 5 }],
    ]);
    log.clear();
    expect(log.list()).toEqual([]);
    log.add(entry('raw text'));
    expect(log.list()).toMatchObject([{ seq: 6, body: 'raw text' }]);
    expect(() => new RequestLog(0)).toThrow(/capacity/);
  });
});
