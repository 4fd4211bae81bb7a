// The REST bridge spoken to with raw fetch, as the Upstash protocol defines it.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { withRedisFlags } from '../../../infra/local/lua-shebang.ts';
import { startRealRedis, type RealRedis } from './real-redis.ts';

let redis: RealRedis;
beforeAll(async () => {
  redis = await startRealRedis();
});
afterAll(async () => {
  await redis?.close();
});
beforeEach(async () => {
  await redis.command(['FLUSHDB']);
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${redis.bridge.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${redis.bridge.token}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

const b64 = (text: string) => Buffer.from(text).toString('base64');
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

describe('redis bridge: single commands', () => {
  it('runs a command and answers {"result"}', async () => {
    expect(await post('/', ['SET', 'k', 'v'])).toEqual({ status: 200, body: { result: 'OK' } });
    expect(await post('/', ['GET', 'k'])).toEqual({ status: 200, body: { result: 'v' } });
    expect(await post('/', ['GET', 'missing'])).toEqual({ status: 200, body: { result: null } });
    expect(await post('/', ['INCRBY', 'n', 5])).toEqual({ status: 200, body: { result: 5 } });
  });

  it("returns Redis's own flat replies whatever the command's case", async () => {
    await post('/', ['HSET', 'h', 'a', '1', 'b', '2']);
    await post('/', ['ZADD', 'z', '1.5', 'm']);
    expect((await post('/', ['hgetall', 'h'])).body).toEqual({ result: ['a', '1', 'b', '2'] });
    expect((await post('/', ['zrange', 'z', 0, -1, 'withscores'])).body).toEqual({ result: ['m', '1.5'] });
  });

  it('answers a Redis error with 400 {"error"}', async () => {
    expect(await post('/', ['NOSUCHCOMMAND'])).toEqual({ status: 400, body: { error: expect.stringMatching(/^ERR unknown command/) } });
    await post('/', ['SET', 's', 'text']);
    expect(await post('/', ['INCR', 's'])).toEqual({ status: 400, body: { error: 'ERR value is not an integer or out of range' } });
    expect((await post('/', ['HGET', 's', 'f'])).body).toEqual({ error: expect.stringMatching(/^WRONGTYPE/) });
  });

  it('refuses malformed bodies and commands that would take over the shared connection', async () => {
    expect((await post('/', 'not json')).status).toBe(400);
    expect((await post('/', [])).status).toBe(400);
    expect((await post('/', [['GET', 'k']])).status).toBe(400);
    expect((await post('/', { command: 'GET' })).status).toBe(400);
    expect(await post('/', ['SUBSCRIBE', 'channel'])).toEqual({ status: 400, body: { error: expect.stringMatching(/^ERR command SUBSCRIBE is not supported/) } });
    expect((await post('/', ['select', '1'])).status).toBe(400);
  });

  it('answers unknown paths with 404 and other methods with 405', async () => {
    expect((await post('/nope', ['GET', 'k'])).status).toBe(404);
    const response = await fetch(redis.bridge.url, { headers: { authorization: `Bearer ${redis.bridge.token}` } });
    expect(response.status).toBe(405);
  });
});

describe('redis bridge: authorization', () => {
  it('answers 401 without a token, with a wrong one, or with another scheme', async () => {
    for (const authorization of [undefined, 'Bearer wrong', `Basic ${redis.bridge.token}`, 'Bearer ', `Bearer ${redis.bridge.token}x`]) {
      const response = await fetch(`${redis.bridge.url}/pipeline`, {
        method: 'POST',
        headers: authorization === undefined ? {} : { authorization },
        body: JSON.stringify([['SET', 'k', 'v']]),
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: 'Unauthorized' });
    }
    expect((await post('/', ['EXISTS', 'k'])).body).toEqual({ result: 0 });
  });
});

describe('redis bridge: pipeline', () => {
  it('runs every command in order, each answering {"result"} or {"error"}', async () => {
    const { status, body } = await post('/pipeline', [
      ['SET', 'k', 'v'],
      ['INCR', 'k'],
      ['GET', 'k'],
      ['SUBSCRIBE', 'x'],
      ['RPUSH', 'l', 'a', 'b'],
    ]);
    expect(status).toBe(200);
    expect(body).toEqual([
      { result: 'OK' },
      { error: 'ERR value is not an integer or out of range' },
      { result: 'v' },
      { error: expect.stringMatching(/not supported/) },
      { result: 2 },
    ]);
    expect((await post('/pipeline', [])).body).toEqual([]);
  });

  it('is not atomic: commands before and after a failing one still apply', async () => {
    await post('/pipeline', [['SET', 'a', '1'], ['INCR', 'not-a-number-please'], ['HSET', 'a', 'f', 'v'], ['SET', 'b', '2']]);
    expect((await post('/', ['MGET', 'a', 'b'])).body).toEqual({ result: ['1', '2'] });
  });
});

describe('redis bridge: multi-exec', () => {
  it('runs the commands as one transaction and reports each', async () => {
    const { status, body } = await post('/multi-exec', [['SET', 'k', '1'], ['INCR', 'k'], ['HSET', 'k', 'f', 'v'], ['GET', 'k']]);
    expect(status).toBe(200);
    expect(body).toEqual([{ result: 'OK' }, { result: 2 }, { error: expect.stringMatching(/^WRONGTYPE/) }, { result: '2' }]);
  });

  it('applies nothing when a command is rejected while queueing', async () => {
    await post('/', ['SET', 'k', 'before']);
    const { status, body } = await post('/multi-exec', [['SET', 'k', 'after'], ['NOSUCHCOMMAND']]);
    expect(status).toBe(400);
    expect(body).toEqual({ error: expect.stringMatching(/^EXECABORT/) });
    expect((await post('/', ['GET', 'k'])).body).toEqual({ result: 'before' });
  });

  it('refuses the whole transaction when one command is not allowed', async () => {
    const { status } = await post('/multi-exec', [['SET', 'k', 'v'], ['WATCH', 'k']]);
    expect(status).toBe(400);
    expect((await post('/', ['EXISTS', 'k'])).body).toEqual({ result: 0 });
  });

  it('is atomic: concurrent transactions never interleave', async () => {
    const runs = Array.from({ length: 20 }, (_, i) =>
      post('/multi-exec', [['DEL', 'list'], ['RPUSH', 'list', `${i}a`, `${i}b`], ['LRANGE', 'list', 0, -1]]),
    );
    for (const [i, { body }] of (await Promise.all(runs)).entries()) {
      expect(body).toEqual([expect.anything(), { result: 2 }, { result: [`${i}a`, `${i}b`] }]);
    }
  });
});

describe('redis bridge: Upstash-Encoding: base64', () => {
  const base64 = { 'upstash-encoding': 'base64' };

  it('encodes every string, recursively, and leaves numbers and nulls alone', async () => {
    const { body } = await post(
      '/pipeline',
      [['SET', 'k', 'héllo ✓'], ['GET', 'k'], ['GET', 'missing'], ['RPUSH', 'l', 'a', '', 'ü'], ['LRANGE', 'l', 0, -1], ['INCR', 'n']],
      base64,
    );
    expect(body).toEqual([
      { result: b64('OK') },
      { result: b64('héllo ✓') },
      { result: null },
      { result: 3 },
      { result: [b64('a'), '', b64('ü')] },
      { result: 1 },
    ]);
    expect((await post('/', ['GET', 'k'], base64)).body).toEqual({ result: b64('héllo ✓') });
    expect((await post('/multi-exec', [['GET', 'k']], base64)).body).toEqual([{ result: b64('héllo ✓') }]);
  });

  it('encodes nested arrays and is byte-exact for values that are not UTF-8', async () => {
    // Bytes 0x00 0xFF 0x80 0x0A cannot travel in a JSON string: a script writes them.
    await post('/', ['EVAL', "redis.call('SET', KEYS[1], string.char(0, 255, 128, 10)); return {KEYS[1], {1, 'x'}}", 1, 'bin']);
    expect((await post('/', ['GET', 'bin'], base64)).body).toEqual({ result: Buffer.from([0, 255, 128, 10]).toString('base64') });
    expect((await post('/', ['EVAL', "return {KEYS[1], {1, 'x', false}}", 1, 'key'], base64)).body).toEqual({
      result: [b64('key'), [1, b64('x'), null]],
    });
    // Without base64 the same bytes are decoded as UTF-8, so they are not preserved.
    expect((await post('/', ['GET', 'bin'])).body).not.toEqual({ result: Buffer.from([0, 255, 128, 10]).toString('latin1') });
  });

  it('does not encode errors', async () => {
    expect((await post('/', ['NOSUCHCOMMAND'], base64)).body).toEqual({ error: expect.stringMatching(/^ERR unknown command/) });
  });
});

describe('redis bridge: scripts written for Upstash', () => {
  const script = "#!lua flags=allow-key-locking\nreturn redis.call('INCR', KEYS[1])";

  it('drops shebang flags Redis 7.0 rejects and keeps those it knows', () => {
    expect(withRedisFlags(script)).toBe("#!lua\nreturn redis.call('INCR', KEYS[1])");
    expect(withRedisFlags('#!lua flags=no-writes,allow-key-locking\nreturn 1')).toBe('#!lua flags=no-writes\nreturn 1');
    expect(withRedisFlags('#!lua flags=no-writes\nreturn 1')).toBe('#!lua flags=no-writes\nreturn 1');
    expect(withRedisFlags('return 1')).toBe('return 1');
  });

  it('answers EVALSHA of an unseen script with NOSCRIPT, then runs it by its original hash after EVAL', async () => {
    expect(await post('/', ['EVALSHA', sha1(script), 1, 'counter'])).toEqual({ status: 400, body: { error: expect.stringMatching(/^NOSCRIPT/) } });
    expect((await post('/', ['EVAL', script, 1, 'counter'])).body).toEqual({ result: 1 });
    expect((await post('/', ['evalsha', sha1(script), 1, 'counter'])).body).toEqual({ result: 2 });
    expect((await post('/', ['SCRIPT', 'EXISTS', sha1(script), sha1('unknown')])).body).toEqual({ result: [1, 0] });
  });

  it('answers SCRIPT LOAD with the hash of the script as sent', async () => {
    const other = '#!lua flags=allow-key-locking\nreturn 7';
    expect((await post('/', ['SCRIPT', 'LOAD', other])).body).toEqual({ result: sha1(other) });
    expect((await post('/', ['EVALSHA', sha1(other), 0])).body).toEqual({ result: 7 });
    expect((await post('/pipeline', [['SCRIPT', 'LOAD', other]], { 'upstash-encoding': 'base64' })).body).toEqual([{ result: b64(sha1(other)) }]);
  });
});
