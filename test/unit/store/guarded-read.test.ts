import { describe, expect, it } from 'vitest';
import { GuardedRead, StoreUnavailableError } from '../../../src/store/guarded-read.ts';

const never = () => new Promise<string>(() => {});
const fail = () => Promise.reject(new Error('ECONNREFUSED'));
const ok = (v = 'v') => () => Promise.resolve(v);

async function error(p: Promise<unknown>): Promise<StoreUnavailableError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(StoreUnavailableError);
    return e as StoreUnavailableError;
  }
  throw new Error('expected a rejection');
}

describe('GuardedRead', () => {
  it('passes answers through while the store answers', async () => {
    const guard = new GuardedRead({ timeoutMs: 50, restMs: 1_000 });
    expect(await guard.run(ok('a'))).toBe('a');
    expect(await guard.run(ok('b'))).toBe('b');
  });

  it('gives up on a read past its timeout, then rests: reads fail at once with the time left', async () => {
    let now = 0;
    const guard = new GuardedRead({ timeoutMs: 30, restMs: 1_000, now: () => now });
    const first = await error(guard.run(never));
    expect(first.message).toMatch(/no answer within 30 ms/);
    now = 400;
    let called = false;
    const resting = await error(
      guard.run(() => {
        called = true;
        return Promise.resolve('x');
      }),
    );
    expect(called).toBe(false);
    expect(resting.retryAfterMs).toBe(600);
  });

  it('after the rest lets one read try while the others still fail fast, and is back once it succeeds', async () => {
    let now = 0;
    const guard = new GuardedRead({ timeoutMs: 1_000, restMs: 100, now: () => now });
    await error(guard.run(fail));
    now = 150;
    let release: (v: string) => void = () => {};
    const probe = guard.run(() => new Promise<string>((r) => (release = r)));
    await error(guard.run(ok()));
    release('back');
    expect(await probe).toBe('back');
    expect(await guard.run(ok('again'))).toBe('again');
  });

  it('rests again when the read after the rest fails too', async () => {
    let now = 0;
    const guard = new GuardedRead({ timeoutMs: 1_000, restMs: 100, now: () => now });
    await error(guard.run(fail));
    now = 150;
    await error(guard.run(fail));
    now = 200;
    expect((await error(guard.run(ok()))).retryAfterMs).toBe(50);
  });
});
