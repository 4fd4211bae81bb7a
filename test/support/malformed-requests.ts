// Hostile requests as fast-check arbitraries, one generator for the property tests (test/e2e
// and test/workers `malformed-requests.test.ts`) and the fuzz benchmark (bench/fuzz.ts), which
// sends the same inputs at volume. Each case says its input class, and how it must be sent:
// `fetch` (anything a Request can carry) or `raw` (bytes on a socket: CRLF and NULs in header
// lines, headers past the parser's limits, broken framing, bodies that trickle or stop short).
// `judgeAnswer` is the one verdict both apply: a well-formed OpenAI error with a 4xx status, or a
// 2xx when the generator happened to produce a valid request. Runtime-neutral (no `node:`): the
// workerd test imports it too.
import fc from 'fast-check';

/** The fuzz fleet's `limits.maxBodyBytes`: room for JSON nested 10^5 deep, small enough that bodies over it stay cheap. */
export const FUZZ_BODY_LIMIT = 1024 * 1024;

/**
 * The test federation's fleet (test/support/test-federation.ts) as the fuzz runs it, as YAML for
 * `switchyard serve` and compiled for the Worker: the body limit at FUZZ_BODY_LIMIT, and upstream
 * timeouts far past the federation's tight ones (500 ms to connect, 1.5 s to the first byte), so
 * simulators slowed by a busy shared machine (they share one process, and tokenize megabyte
 * prompts) cannot turn a valid request into a 503 or 504 the fuzz would count against the gateway.
 */
export const FUZZ_TIMEOUTS = { connectMs: 5_000, firstByteMs: 15_000, totalMs: 30_000 } as const;

export function fuzzFleetYaml(yaml: string): string {
  const edited = yaml
    .replace(/maxBodyBytes: \d+/, `maxBodyBytes: ${FUZZ_BODY_LIMIT}`)
    .replace(/connectMs: \d+/, `connectMs: ${FUZZ_TIMEOUTS.connectMs}`)
    .replace(/firstByteMs: \d+/, `firstByteMs: ${FUZZ_TIMEOUTS.firstByteMs}`)
    .replace(/totalMs: \d+/, `totalMs: ${FUZZ_TIMEOUTS.totalMs}`);
  if (!edited.includes(`maxBodyBytes: ${FUZZ_BODY_LIMIT}`)) throw new Error('the federation fleet has no maxBodyBytes line to raise');
  return edited;
}

export function fuzzFleet<F extends { routing: { limits: { maxBodyBytes: number }; timeouts: { connectMs: number; firstByteMs: number; totalMs: number } } }>(fleet: F): F {
  const { routing } = fleet;
  return { ...fleet, routing: { ...routing, limits: { ...routing.limits, maxBodyBytes: FUZZ_BODY_LIMIT }, timeouts: { ...routing.timeouts, ...FUZZ_TIMEOUTS } } };
}

/** The federation's models that answer without fault (its other models fail on purpose, for the failover tests). */
export const fuzzTarget = (key: string): FuzzTarget => ({ key, chatModels: ['llama-3.1-8b', 'qwen-hf'], embeddingModels: ['bge-small-en'] });

export const INPUT_CLASSES = [
  'broken-json',
  'truncated-json',
  'wrong-type',
  'huge-number',
  'deep-nesting',
  'long-string',
  'bad-unicode',
  'duplicate-key',
  'proto-key',
  'bad-header',
  'huge-header',
  'many-headers',
  'crlf-header',
  'wrong-method',
  'wrong-path',
  'oversize-declared',
  'oversize-chunked',
  'slow-body',
  'truncated-body',
  'stalled-body',
] as const;
export type InputClass = (typeof INPUT_CLASSES)[number];

/** What a Request can carry. `trickle`: the body goes as a stream (no Content-Length) in `chunks` pieces, `gapMs` apart. */
export interface FetchCase {
  readonly transport: 'fetch';
  readonly inputClass: InputClass;
  readonly method: string;
  readonly path: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body?: Uint8Array;
  readonly trickle?: { readonly chunks: number; readonly gapMs: number };
}

/**
 * Bytes on a socket: `parts` are written in order, `gapMs` apart. `mayGoUnanswered`: the
 * request stops short of what it declared and the client hangs up, so the server may close
 * without an answer (the client left); an answer, if any, is judged as any other.
 */
export interface RawCase {
  readonly transport: 'raw';
  readonly inputClass: InputClass;
  readonly parts: readonly Uint8Array[];
  readonly gapMs: number;
  readonly mayGoUnanswered: boolean;
}

export type MalformedCase = FetchCase | RawCase;

export interface FuzzTarget {
  /** A valid API key: most cases carry it, so what they test is past authentication. */
  readonly key: string;
  /** Models the target serves without fault (the generator's valid requests go to them). */
  readonly chatModels: readonly string[];
  readonly embeddingModels: readonly string[];
}

const utf8 = new TextEncoder();
const bytes = (s: string) => utf8.encode(s);
const concat = (parts: readonly Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
};

// ---------------------------------------------------------------- bodies

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Endpoint = 'chat' | 'completions' | 'embeddings';
const PATHS: Record<Endpoint, string> = { chat: '/v1/chat/completions', completions: '/v1/completions', embeddings: '/v1/embeddings' };

/** A valid body for the endpoint: the starting point every body mutation spoils in one way. */
function baseBody(endpoint: Endpoint, model: string, stream: boolean, cacheable: boolean): Record<string, Json> {
  const sampling = { max_tokens: 4, ...(cacheable ? { temperature: 0 } : {}), ...(stream ? { stream: true } : {}) };
  if (endpoint === 'chat') return { model, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say something.' }], ...sampling };
  if (endpoint === 'completions') return { model, prompt: 'Once upon a time', ...sampling };
  return { model, input: 'a sentence to embed' };
}

/** Where a body mutation lands: a path of keys and indexes into the base body (created when missing). */
type FieldPath = readonly (string | number)[];
const FIELDS: Record<Endpoint, readonly FieldPath[]> = {
  chat: [
    ['model'], ['messages'], ['messages', 0], ['messages', 1, 'role'], ['messages', 1, 'content'], ['messages', 1, 'content', 0], ['messages', 1, 'content', 0, 'text'],
    ['messages', 1, 'name'], ['messages', 1, 'tool_calls'], ['max_tokens'], ['max_completion_tokens'], ['temperature'], ['top_p'], ['top_k'], ['n'], ['seed'],
    ['stream'], ['stream_options'], ['stream_options', 'include_usage'], ['stop'], ['user'], ['tools'], ['tools', 0, 'function', 'parameters'], ['tool_choice'],
    ['logit_bias'], ['response_format'], ['response_format', 'json_schema'], ['kv_transfer_params'], ['kv_transfer_params', 'remote_host'], ['cache_salt'],
    ['priority'], ['chat_template_kwargs'], ['guided_json'], ['metadata'], ['logprobs'], ['top_logprobs'],
  ],
  completions: [['model'], ['prompt'], ['prompt', 0], ['prompt', 0, 0], ['max_tokens'], ['temperature'], ['stream'], ['echo'], ['suffix'], ['best_of'], ['logprobs'], ['stop'], ['user'], ['seed'], ['messages']],
  embeddings: [['model'], ['input'], ['input', 0], ['encoding_format'], ['dimensions'], ['user']],
};
const NUMERIC_FIELDS: Record<Endpoint, readonly FieldPath[]> = {
  chat: [['max_tokens'], ['max_completion_tokens'], ['temperature'], ['top_p'], ['top_k'], ['n'], ['seed'], ['priority'], ['logit_bias', '50256'], ['top_logprobs'], ['messages', 1, 'content']],
  completions: [['max_tokens'], ['temperature'], ['seed'], ['prompt', 0], ['prompt', 0, 0], ['best_of'], ['logprobs']],
  embeddings: [['dimensions'], ['input', 0], ['input', 0, 0]],
};

function setAt(body: Record<string, Json>, path: FieldPath, value: Json): void {
  let node: Json = body;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string | number;
    const next = path[i + 1];
    const container = node as Record<string | number, Json>;
    const child = container[key];
    if (typeof child !== 'object' || child === null) container[key] = typeof next === 'number' ? [] : {};
    node = container[key] as Json;
  }
  (node as Record<string | number, Json>)[path[path.length - 1] as string | number] = value;
}

/** A placeholder spliced for raw JSON text that JSON.stringify cannot write (numbers past a double, deep nesting, duplicate keys). */
const SPLICE = '\u0001splice\u0001';
/** The placeholder as JSON.stringify writes it (control characters escaped). */
const MARK = JSON.stringify(SPLICE);

/** The base body with `raw` JSON text at `path`. */
function withRaw(body: Record<string, Json>, path: FieldPath, raw: string): string {
  const copy = structuredClone(body);
  setAt(copy, path, SPLICE);
  const text = JSON.stringify(copy);
  if (!text.includes(MARK)) throw new Error(`no placeholder in ${text.slice(0, 200)}`);
  return text.replace(MARK, () => raw);
}

const endpoint = fc.constantFrom<Endpoint>('chat', 'chat', 'chat', 'completions', 'embeddings');

/** A valid body as text plus where it goes, before any mutation. */
const request = (t: FuzzTarget) =>
  endpoint.chain((ep) =>
    fc
      .record({
        model: fc.constantFrom(...(ep === 'embeddings' ? t.embeddingModels : [...t.chatModels, 'auto'])),
        stream: fc.boolean(),
        cacheable: fc.boolean(),
        field: fc.constantFrom(...FIELDS[ep]),
        numeric: fc.constantFrom(...NUMERIC_FIELDS[ep]),
      })
      .map((r) => ({ endpoint: ep, path: PATHS[ep], body: baseBody(ep, r.model, ep !== 'embeddings' && r.stream, r.cacheable), field: r.field, numeric: r.numeric })),
  );

const anyJson: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, -1, 1.5, '', 'x', [], {}, [null], [[]], { type: 'text' }, [{ role: 'user' }]),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
);

const HUGE_NUMBERS = [
  '1e308', '-1e308', '1e400', '-1e400', '1e-400', '9007199254740993', '-9007199254740993', '18446744073709551616', '123456789012345678901234567890123456789012345678901234567890',
  '-0', '0.0000000000000000000000000000001', '4294967296', '2147483648', '-2147483649', `1${'0'.repeat(400)}`, `0.${'0'.repeat(400)}1`, '1E+308', '5e-324',
];

/** A JSON value nested `depth` deep, as text (arrays, objects, or both alternating). */
function nested(depth: number, shape: 'array' | 'object' | 'mixed'): string {
  if (shape === 'array') return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
  if (shape === 'object') return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  const half = Math.floor(depth / 2);
  return `${'[{"a":'.repeat(half)}1${'}]'.repeat(half)}`;
}

/** Strings past anything a field needs; the longest ones nearly fill the body limit. */
const longString = fc
  .record({ length: fc.constantFrom(5_000, 70_000, 300_000, FUZZ_BODY_LIMIT - 2_000), unit: fc.constantFrom('a', 'é', '\u{1F600}', '\\', '"', ' ', '\n') })
  .map(({ length, unit }) => unit.repeat(Math.max(1, Math.floor(length / bytes(unit).byteLength / (unit === '\\' || unit === '"' || unit === '\n' ? 2 : 1)))));

/** JSON string literals (raw text) with lone surrogates, NULs and escapes that decode to them. */
const badUnicodeLiteral = fc.constantFrom(
  '"\\ud800"', '"\\udfff"', '"a\\ud83dz"', '"\\udc00\\ud800"', '"\\u0000"', '"llama-3.1-8b\\u0000"', '"\\u0000llama-3.1-8b"', '"\\ufeff"', '"\\uffff"', '"\\u202e"',
  '"\\ud800\\u0000\\udfff"', '"\\u001b[31m"',
);

/** Raw bytes spliced where a JSON string goes: NUL, invalid UTF-8, an encoded surrogate, an overlong slash. */
const badUnicodeBytes = fc.constantFrom(
  Uint8Array.of(0x22, 0x00, 0x22), Uint8Array.of(0x22, 0xff, 0xfe, 0x22), Uint8Array.of(0x22, 0xed, 0xa0, 0x80, 0x22), Uint8Array.of(0x22, 0xc0, 0xaf, 0x22),
  Uint8Array.of(0x22, 0xf4, 0x90, 0x80, 0x80, 0x22), Uint8Array.of(0x22, 0xe2, 0x82, 0x22), Uint8Array.of(0x00), Uint8Array.of(0x22, 0x80, 0x22),
);

/** Duplicated members: the later one wins in JSON.parse; what each part of the gateway reads must agree. */
const duplicateKeyBody = (body: Record<string, Json>) =>
  fc.constantFrom<(b: Record<string, Json>) => string>(
    (b) => JSON.stringify(b).replace(/^\{/, '{"model":"not-a-model",'),
    (b) => JSON.stringify(b).replace(/\}$/, ',"model":"not-a-model"}'),
    (b) => JSON.stringify(b).replace(/\}$/, ',"model":null}'),
    (b) => JSON.stringify(b).replace(/\}$/, ',"stream":true,"stream":"yes"}'),
    (b) => JSON.stringify(b).replace(/\}$/, ',"messages":[],"prompt":[]}'),
    (b) => JSON.stringify(b).replace(/\}$/, ',"mod\\u0065l":"llama-3.1-8b\\u0000","mod\\u0065l":{"model":"x"}}'),
    (b) => JSON.stringify(b).replace(/"role":"user"/, '"role":"user","role":7'),
    (b) => JSON.stringify(b).replace(/\}$/, ',"max_tokens":4,"max_tokens":-4}'),
    (b) => JSON.stringify(b).replace(/\}$/, `,${Array.from({ length: 2_000 }, () => '"user":"u"').join(',')}}`),
  ).map((f) => f(body));

/** `__proto__`, `constructor` and `prototype` members at the top level and inside objects the gateway reads. */
const protoKeyBody = (body: Record<string, Json>) =>
  fc
    .record({
      where: fc.constantFrom('top', 'message', 'logit_bias', 'metadata', 'response_format', 'tool-parameters', 'kv_transfer_params', 'stream_options'),
      member: fc.constantFrom(
        '"__proto__":{"model":"x","stream":true,"isAdmin":true}',
        '"__proto__":null',
        '"__proto__":"llama-3.1-8b"',
        '"__proto__":[1,2,3]',
        '"__proto__":{"__proto__":{"polluted":1}}',
        '"constructor":{"prototype":{"polluted":1}}',
        '"constructor":"x"',
        '"prototype":{"model":"x"}',
        '"toString":1,"valueOf":"x","hasOwnProperty":null',
        '"\\u005f_proto__":{"model":"x"}',
      ),
    })
    .map(({ where, member }) => {
      const text = JSON.stringify(body);
      const inside = (key: string, open: string) => withRaw(body, [key], `${open}${member}}`);
      switch (where) {
        case 'top':
          return text.replace(/^\{/, `{${member},`);
        case 'message':
          return text.includes('"role":"user"') ? text.replace('"role":"user"', `"role":"user",${member}`) : text.replace(/^\{/, `{${member},`);
        case 'tool-parameters':
          return withRaw(body, ['tools'], `[{"type":"function","function":{"name":"f","parameters":{"type":"object",${member}}}}]`);
        default:
          return inside(where, '{');
      }
    });

// ---------------------------------------------------------------- header and socket cases

/** Headers the gateway reads, forwards upstream or echoes back. */
export const HEADERS_READ = [
  'authorization', 'content-type', 'x-request-id', 'x-session-id', 'x-max-latency-ms', 'x-min-quality', 'cache-control', 'traceparent', 'tracestate',
  'openai-organization', 'openai-project', 'x-stainless-retry-count', 'x-stainless-timeout', 'origin', 'x-gateway-inference-objective', 'accept', 'user-agent',
] as const;

const BAD_HEADER_VALUES: Readonly<Record<string, readonly string[]>> = {
  'content-type': ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/json; charset=utf-16', 'application/jsonp', '', 'json', `application/json; ${'x'.repeat(4_000)}`, '*/*', 'application/xml'],
  'x-max-latency-ms': ['-1', 'NaN', '1e309', '0', 'abc', '99999999999999999999', '1.5', ' ', '-0', '0x10'],
  'x-min-quality': ['-1', 'NaN', '2', 'best', '1e309', ''],
  'x-session-id': ['', 'x'.repeat(8_000), '\u00e9t\u00e9', '../../etc', '__proto__', 'constructor'],
  'x-request-id': ['', 'x'.repeat(5_000), '../admin', '__proto__', '<script>'],
  'cache-control': ['no-store, max-age=-1', 'max-age=1e309', 'only-if-cached', 'no-cache'.repeat(500), 'max-age=abc'],
  traceparent: ['00-00000000000000000000000000000000-0000000000000000-01', 'ff-' + 'a'.repeat(32) + '-' + 'b'.repeat(16) + '-01', 'garbage', 'x'.repeat(6_000)],
  tracestate: ['a=b,'.repeat(2_000), '=', ',,,,'],
  'x-stainless-timeout': ['-1', 'NaN', '1e309'],
  'x-gateway-inference-objective': ['x'.repeat(3_000), '../other', 'premium'],
  origin: ['null', 'https://evil.example', 'x'.repeat(4_000)],
  accept: ['text/event-stream', 'application/xml', '*/*;q=abc'],
  'content-encoding': ['gzip', 'br', 'deflate', 'identity, gzip'],
};

const badAuthorization = (key: string) =>
  fc.constantFrom<string | undefined>(undefined, '', 'Bearer', 'Bearer ', `Basic ${key}`, `bearer ${key}`, `Bearer  ${key}`, `Bearer ${key} extra`, `Bearer ${key.slice(0, -1)}`, `Bearer ${'x'.repeat(6_000)}`, `Bearer sk-${'0'.repeat(64)}`, key, `Bearer ${key},Bearer ${key}`);

function rawRequest(method: string, target: string, headers: readonly (readonly [string, string])[] | string, body?: Uint8Array): Uint8Array {
  const lines = typeof headers === 'string' ? headers : headers.map(([n, v]) => `${n}: ${v}\r\n`).join('');
  const head = bytes(`${method} ${target} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n${lines}\r\n`);
  return body ? concat([head, body]) : head;
}

/** A CR, LF or NUL where a header value (or name) goes: in every header the gateway reads, forwards or echoes. */
const crlfHeader = (t: FuzzTarget) =>
  fc
    .record({
      name: fc.constantFrom(...HEADERS_READ),
      injection: fc.constantFrom('v\r\nx-injected: 1', 'v\rx-injected: 1', 'v\nx-injected: 1', 'v\r\n\r\nGET /admin/keys HTTP/1.1', 'v\u0000x', 'v\r\n x-folded', '\r\n', 'v%0d%0ax-injected:%201', 'v\u000bx', 'v\u007fx'),
      where: fc.constantFrom('value', 'name', 'target'),
      req: request(t),
    })
    .map(({ name, injection, where, req }): RawCase => {
      const body = bytes(JSON.stringify(req.body));
      const base: [string, string][] = [['authorization', `Bearer ${t.key}`], ['content-type', 'application/json'], ['content-length', String(body.byteLength)]];
      let head: string;
      let target = req.path;
      if (where === 'target') {
        target = `${req.path}?${injection.replace(/ /g, '%20')}`;
        head = base.map(([n, v]) => `${n}: ${v}\r\n`).join('');
      } else {
        const others = base.filter(([n]) => n !== name).map(([n, v]) => `${n}: ${v}\r\n`).join('');
        const value = name === 'authorization' ? `Bearer ${t.key}${injection}` : name === 'content-type' ? `application/json${injection}` : injection;
        head = where === 'name' ? `${others}${name}${injection}: v\r\n` : `${others}${name}: ${value}\r\n`;
        if (name === 'content-type' || name === 'authorization') head = head.replace(/^/, where === 'name' ? base.filter(([n]) => n === name).map(([n, v]) => `${n}: ${v}\r\n`).join('') : '');
      }
      return { transport: 'raw', inputClass: 'crlf-header', parts: [rawRequest('POST', target, head, body)], gapMs: 0, mayGoUnanswered: false };
    });

/** One header far past Node's 16 KiB header limit, or close under it. */
const hugeHeader = (t: FuzzTarget) =>
  fc
    .record({ name: fc.constantFrom(...HEADERS_READ, 'x-padding'), size: fc.constantFrom(8_000, 15_000, 17_000, 64_000, 1_000_000), req: request(t) })
    .map(({ name, size, req }): RawCase => {
      const body = bytes(JSON.stringify(req.body));
      const headers: [string, string][] = [['authorization', `Bearer ${t.key}`], ['content-type', 'application/json'], ['content-length', String(body.byteLength)]];
      const kept = headers.filter(([n]) => n !== name);
      const value = name === 'authorization' ? `Bearer ${t.key}${' '.repeat(size)}` : 'h'.repeat(size);
      return { transport: 'raw', inputClass: 'huge-header', parts: [rawRequest('POST', req.path, [...kept, [name, value]], body)], gapMs: 0, mayGoUnanswered: false };
    });

/** Hundreds to thousands of headers, repeated ones among them. */
const manyHeaders = (t: FuzzTarget) =>
  fc
    .record({ count: fc.constantFrom(100, 500, 1_999, 2_500, 10_000), repeat: fc.constantFrom('x-h', 'authorization', 'content-type', 'x-session-id', 'content-length'), req: request(t) })
    .map(({ count, repeat, req }): RawCase => {
      const body = bytes(JSON.stringify(req.body));
      const lines: [string, string][] = [['authorization', `Bearer ${t.key}`], ['content-type', 'application/json'], ['content-length', String(body.byteLength)]];
      for (let i = 0; i < count; i++) lines.push(repeat === 'x-h' ? [`x-h-${i}`, String(i)] : [repeat, repeat === 'content-length' ? String(body.byteLength + (i % 3)) : `${i}`]);
      return { transport: 'raw', inputClass: 'many-headers', parts: [rawRequest('POST', req.path, lines, body)], gapMs: 0, mayGoUnanswered: false };
    });

const API_PATHS = ['/v1/chat/completions', '/v1/completions', '/v1/embeddings', '/v1/responses', '/v1/rerank', '/v1/score', '/v1/audio/transcriptions', '/tokenize', '/detokenize', '/v1/models', '/v1/models/llama-3.1-8b', '/v1/usage', '/admin/keys', '/admin/tenants', '/admin/stats', '/metrics', '/healthz', '/dashboard'];
const WRONG_PATHS = [
  '/v1/chat/completion', '/v1/chat/completions/', '//v1/chat/completions', '/v1//chat/completions', '/V1/CHAT/COMPLETIONS', '/v1/chat/completions?x=%zz', '/v1/%00', '/v1/models/%00',
  '/v1/models/..%2f..%2fadmin%2fkeys', '/v1/models/%ZZ', '/v1/../admin/keys', '/v1/chat/completions%2f..%2f..%2fadmin', '/v2/chat/completions', '/', '/favicon.ico', '/admin', '/admin/keys/../../v1/models',
  `/v1/models/${'m'.repeat(10_000)}`, `/${'a/'.repeat(3_000)}`, '/v1/chat/completions;x=1', '/v1/chat/completions#frag', '/v1/models/%E2%82', '/v1/models/%F0%9F%98%80', '/dashboard/../admin/stats', '/v1/models/llama-3.1-8b/../../admin/keys',
];

const wrongMethod = (t: FuzzTarget) =>
  fc
    .record({ method: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'POST'), path: fc.constantFrom(...API_PATHS), withBody: fc.boolean(), auth: fc.boolean() })
    .map(({ method, path, withBody, auth }): FetchCase => {
      const body = withBody && method !== 'GET' && method !== 'HEAD' ? bytes(JSON.stringify(baseBody('chat', t.chatModels[0] ?? 'x', false, false))) : undefined;
      return {
        transport: 'fetch', inputClass: 'wrong-method', method, path,
        headers: [...(auth ? [['authorization', `Bearer ${t.key}`] as const] : []), ...(body ? [['content-type', 'application/json'] as const] : [])],
        ...(body ? { body } : {}),
      };
    });

/** Methods, request targets and Host headers only a socket can send, and protocol switches the gateway does not offer. */
const rawMethodOrTarget = (t: FuzzTarget) =>
  fc
    .record({
      method: fc.constantFrom('TRACE', 'CONNECT', 'PROPFIND', 'FOO', 'GET', 'POST', 'post', 'P\u0000ST', 'G ET'),
      target: fc.constantFrom('*', 'http://evil.example/v1/chat/completions', '127.0.0.1:80', '/v1/chat/completions', '/v1/models/\u0000', '/v1/ chat', '/v1/models/\u00e9', 'v1/models', '/v1\\models', `/${'x'.repeat(70_000)}`),
      extra: fc.constantFrom<readonly [string, string][]>(
        [],
        [['upgrade', 'websocket'], ['connection', 'upgrade'], ['sec-websocket-key', 'dGhlIHNhbXBsZSBub25jZQ=='], ['sec-websocket-version', '13']],
        [['upgrade', 'h2c'], ['http2-settings', 'AAMAAABkAARAAAAAAAIAAAAA']],
        [['host', 'evil.example']],
        [['host', 'a/b@c']],
        [['expect', '100-continue']],
        [['expect', 'something-else']],
      ),
    })
    .map(({ method, target, extra }): RawCase => ({
      transport: 'raw', inputClass: method === 'GET' || method === 'POST' ? 'wrong-path' : 'wrong-method',
      parts: [rawRequest(method, target, [['authorization', `Bearer ${t.key}`], ...extra])], gapMs: 0, mayGoUnanswered: false,
    }));

/** A request line or head Node's parser must refuse or route: HTTP/1.0 without Host, an unknown version, no Host at all. */
const rawHead = (t: FuzzTarget) =>
  fc.constantFrom(
    `GET /v1/models HTTP/1.0\r\nauthorization: Bearer ${t.key}\r\n\r\n`,
    `GET /v1/models HTTP/1.1\r\nauthorization: Bearer ${t.key}\r\nconnection: close\r\n\r\n`,
    `GET /v1/models HTTP/2.0\r\nhost: x\r\n\r\n`,
    `GET /v1/models HTTP/1.1\r\nhost: x\r\nhost: y\r\nconnection: close\r\n\r\n`,
    `GET /v1/models\r\n\r\n`,
    `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`,
    `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\ncontent-length: 6\r\nconnection: close\r\n\r\n{}{}{}`,
    `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: -1\r\nconnection: close\r\n\r\n`,
    `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 1e3\r\nconnection: close\r\n\r\n`,
    `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ntransfer-encoding: gzip, chunked\r\nconnection: close\r\n\r\n0\r\n\r\n`,
    `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ntransfer-encoding: identity\r\nconnection: close\r\n\r\n`,
  ).map((head): RawCase => ({ transport: 'raw', inputClass: 'wrong-path', parts: [bytes(head)], gapMs: 0, mayGoUnanswered: false }));

// ---------------------------------------------------------------- the classes

const postJson = (key: string | undefined, path: string, body: Uint8Array | string, inputClass: InputClass, extra: readonly (readonly [string, string])[] = []): FetchCase => ({
  transport: 'fetch', inputClass, method: 'POST', path,
  headers: [...(key === undefined ? [] : [['authorization', `Bearer ${key}`] as const]), ['content-type', 'application/json'], ...extra],
  body: typeof body === 'string' ? bytes(body) : body,
});

const brokenJson = (t: FuzzTarget) =>
  fc
    .record({ req: request(t), at: fc.nat(), edit: fc.constantFrom('insert', 'replace', 'delete', 'append', 'prefix', 'literal'), ch: fc.constantFrom('{', '}', '[', ']', '"', ',', ':', '\\', 'x', ' ', '\u0000', '\u00ff', "'"), literal: fc.constantFrom('', ' ', 'null', '[]', '"x"', '123', 'true', '{', '{"model":', '{"model":"llama-3.1-8b",}', "{'model':'x'}", '{"model":NaN}', '{"model":Infinity}', '{"a":1 /* c */}', '\ufeff{}', '{}{}', '{"model":"x"}garbage', '[{"model":"llama-3.1-8b"}]') })
    .map(({ req, at, edit, ch, literal }) => {
      const text = JSON.stringify(req.body);
      const i = at % (text.length + 1);
      const spoiled =
        edit === 'insert' ? text.slice(0, i) + ch + text.slice(i)
        : edit === 'replace' ? text.slice(0, i) + ch + text.slice(i + 1)
        : edit === 'delete' ? text.slice(0, i) + text.slice(i + 1)
        : edit === 'append' ? text + ch
        : edit === 'prefix' ? ch + text
        : literal;
      return postJson(t.key, req.path, spoiled, 'broken-json');
    });

const truncatedJson = (t: FuzzTarget) =>
  fc.record({ req: request(t), at: fc.nat() }).map(({ req, at }) => {
    const text = JSON.stringify(req.body);
    return postJson(t.key, req.path, text.slice(0, at % text.length), 'truncated-json');
  });

const wrongType = (t: FuzzTarget) =>
  fc.record({ req: request(t), value: anyJson }).map(({ req, value }) => {
    const body = structuredClone(req.body);
    setAt(body, req.field, value);
    return postJson(t.key, req.path, JSON.stringify(body), 'wrong-type');
  });

const hugeNumber = (t: FuzzTarget) =>
  fc
    .record({ req: request(t), n: fc.constantFrom(...HUGE_NUMBERS), header: fc.constantFrom(undefined, undefined, undefined, 'x-max-latency-ms', 'x-min-quality', 'x-stainless-timeout') })
    .map(({ req, n, header }) =>
      header === undefined
        ? postJson(t.key, req.path, withRaw(req.body, req.numeric, n), 'huge-number')
        : postJson(t.key, req.path, JSON.stringify(req.body), 'huge-number', [[header, n]]),
    );

const deepNesting = (t: FuzzTarget) =>
  fc
    .record({ req: request(t), depth: fc.constantFrom(129, 1_000, 3_000, 10_000, 100_000), shape: fc.constantFrom<'array' | 'object' | 'mixed'>('array', 'object', 'mixed'), whole: fc.boolean() })
    .map(({ req, depth, shape, whole }) => postJson(t.key, req.path, whole ? nested(depth, shape) : withRaw(req.body, req.field, nested(depth, shape)), 'deep-nesting'));

const longStringCase = (t: FuzzTarget) =>
  fc
    .record({ req: request(t), s: longString, asKey: fc.boolean(), many: fc.constantFrom(0, 0, 0, 50_000) })
    .map(({ req, s, asKey, many }) => {
      if (many > 0) {
        // Many tiny elements instead of one long one: a messages / prompt array of 50,000.
        const body = structuredClone(req.body);
        if (req.endpoint === 'chat') body['messages'] = Array.from({ length: many }, () => ({ role: 'user', content: 'a' }));
        else if (req.endpoint === 'completions') body['prompt'] = Array.from({ length: many }, (_, i) => i % 50_000);
        else body['input'] = Array.from({ length: many }, () => 'a');
        return postJson(t.key, req.path, JSON.stringify(body), 'long-string');
      }
      const text = asKey ? JSON.stringify(req.body).replace(/\}$/, `,${JSON.stringify(s)}:1}`) : withRaw(req.body, req.field, JSON.stringify(s));
      return postJson(t.key, req.path, text, 'long-string');
    });

const badUnicode = (t: FuzzTarget) =>
  fc.oneof(
    fc.record({ req: request(t), literal: badUnicodeLiteral, asKey: fc.boolean() }).map(({ req, literal, asKey }) =>
      postJson(t.key, req.path, asKey ? JSON.stringify(req.body).replace(/^\{/, `{${literal}:1,`) : withRaw(req.body, req.field, literal), 'bad-unicode'),
    ),
    fc.record({ req: request(t), raw: badUnicodeBytes }).map(({ req, raw }) => {
      const [before, after] = withRaw(req.body, req.field, MARK).split(MARK) as [string, string];
      return postJson(t.key, req.path, concat([bytes(before), raw, bytes(after)]), 'bad-unicode');
    }),
  );

const duplicateKey = (t: FuzzTarget) => request(t).chain((req) => duplicateKeyBody(req.body).map((text) => postJson(t.key, req.path, text, 'duplicate-key')));
const protoKey = (t: FuzzTarget) => request(t).chain((req) => protoKeyBody(req.body).map((text) => postJson(t.key, req.path, text, 'proto-key')));

const badHeader = (t: FuzzTarget) =>
  fc.oneof(
    fc.record({ req: request(t), auth: badAuthorization(t.key) }).map(({ req, auth }): FetchCase => ({
      transport: 'fetch', inputClass: 'bad-header', method: 'POST', path: req.path,
      headers: [...(auth === undefined ? [] : [['authorization', auth] as const]), ['content-type', 'application/json']], body: bytes(JSON.stringify(req.body)),
    })),
    fc
      .record({ req: request(t), name: fc.constantFrom(...Object.keys(BAD_HEADER_VALUES)) })
      .chain(({ req, name }) => fc.constantFrom(...(BAD_HEADER_VALUES[name] ?? [''])).map((value): FetchCase => ({
        transport: 'fetch', inputClass: 'bad-header', method: 'POST', path: req.path,
        headers: [['authorization', `Bearer ${t.key}`], ...(name === 'content-type' ? [] : [['content-type', 'application/json'] as const]), [name, value]],
        body: bytes(JSON.stringify(req.body)),
      }))),
  );

const wrongPath = (t: FuzzTarget) =>
  fc.record({ path: fc.constantFrom(...WRONG_PATHS), method: fc.constantFrom('GET', 'POST'), req: request(t) }).map(({ path, method, req }): FetchCase => ({
    transport: 'fetch', inputClass: 'wrong-path', method, path, headers: [['authorization', `Bearer ${t.key}`], ['content-type', 'application/json']],
    ...(method === 'POST' ? { body: bytes(JSON.stringify(req.body)) } : {}),
  }));

/** A valid body padded past the limit (a long `user`), so only its size is wrong. */
const oversizeBody = (req: { body: Record<string, Json> }, over: number) => {
  const text = JSON.stringify(req.body);
  return bytes(text.replace(/\}$/, `,"user":"${'u'.repeat(FUZZ_BODY_LIMIT - text.length + over)}"}`));
};

const oversize = (t: FuzzTarget) =>
  fc.oneof(
    fc.record({ req: request(t), over: fc.constantFrom(1, 100, 1_000_000) }).map(({ req, over }) => postJson(t.key, req.path, oversizeBody(req, over), 'oversize-declared')),
    fc.record({ req: request(t), over: fc.constantFrom(1, 100, 1_000_000), chunks: fc.integer({ min: 1, max: 64 }) }).map(({ req, over, chunks }): FetchCase => ({
      ...postJson(t.key, req.path, oversizeBody(req, over), 'oversize-chunked'), trickle: { chunks, gapMs: 0 },
    })),
    // On a socket: a Content-Length that lies low about a body past the limit, and chunked framing with no length at all.
    fc.record({ req: request(t), over: fc.constantFrom(1, 100_000), lie: fc.boolean() }).map(({ req, over, lie }): RawCase => {
      const body = oversizeBody(req, over);
      const head: [string, string][] = [['authorization', `Bearer ${t.key}`], ['content-type', 'application/json'], lie ? ['content-length', '10'] : ['transfer-encoding', 'chunked']];
      const framed = lie ? body : concat([bytes(`${body.byteLength.toString(16)}\r\n`), body, bytes('\r\n0\r\n\r\n')]);
      return { transport: 'raw', inputClass: lie ? 'oversize-declared' : 'oversize-chunked', parts: [rawRequest('POST', req.path, head, framed)], gapMs: 0, mayGoUnanswered: false };
    }),
  );

/** A body that arrives in pieces with pauses between them: as a stream (fetch) or on a socket, chunked or with a length. */
const slowBody = (t: FuzzTarget) =>
  fc.oneof(
    fc.record({ req: request(t), chunks: fc.integer({ min: 2, max: 6 }), gapMs: fc.integer({ min: 5, max: 150 }) }).map(({ req, chunks, gapMs }): FetchCase => ({
      ...postJson(t.key, req.path, JSON.stringify(req.body), 'slow-body'), trickle: { chunks, gapMs },
    })),
    fc.record({ req: request(t), pieces: fc.integer({ min: 2, max: 6 }), gapMs: fc.integer({ min: 5, max: 150 }), chunked: fc.boolean() }).map(({ req, pieces, gapMs, chunked }): RawCase => {
      const body = bytes(JSON.stringify(req.body));
      const head = rawRequest('POST', req.path, [['authorization', `Bearer ${t.key}`], ['content-type', 'application/json'], chunked ? ['transfer-encoding', 'chunked'] : ['content-length', String(body.byteLength)]]);
      const cut = splitEvenly(body, pieces).map((p) => (chunked ? concat([bytes(`${p.byteLength.toString(16)}\r\n`), p, bytes('\r\n')]) : p));
      return { transport: 'raw', inputClass: 'slow-body', parts: [head, ...cut, ...(chunked ? [bytes('0\r\n\r\n')] : [])], gapMs, mayGoUnanswered: false };
    }),
  );

/** A body that stops short of its framing (a Content-Length not reached, a chunk cut off, chunk sizes that are not hex) before the client hangs up. */
const truncatedBody = (t: FuzzTarget) =>
  fc.record({ req: request(t), keep: fc.double({ min: 0, max: 0.99, noNaN: true }), framing: fc.constantFrom('length', 'chunk-cut', 'no-last-chunk', 'bad-size', 'both') }).map(({ req, keep, framing }): RawCase => {
    const body = bytes(JSON.stringify(req.body));
    const part = body.slice(0, Math.floor(body.byteLength * keep));
    const auth: [string, string][] = [['authorization', `Bearer ${t.key}`], ['content-type', 'application/json']];
    if (framing === 'length') return { transport: 'raw', inputClass: 'truncated-body', parts: [rawRequest('POST', req.path, [...auth, ['content-length', String(body.byteLength)]], part)], gapMs: 0, mayGoUnanswered: true };
    const chunked: [string, string] = ['transfer-encoding', 'chunked'];
    const framed =
      framing === 'chunk-cut' ? concat([bytes(`${body.byteLength.toString(16)}\r\n`), part])
      : framing === 'no-last-chunk' ? concat([bytes(`${body.byteLength.toString(16)}\r\n`), body, bytes('\r\n')])
      : framing === 'bad-size' ? concat([bytes('zz\r\n'), body, bytes('\r\n0\r\n\r\n')])
      : body;
    const headers: [string, string][] = framing === 'both' ? [...auth, chunked, ['content-length', String(body.byteLength)]] : [...auth, chunked];
    return { transport: 'raw', inputClass: 'truncated-body', parts: [rawRequest('POST', req.path, headers, framed)], gapMs: 0, mayGoUnanswered: framing === 'chunk-cut' || framing === 'no-last-chunk' };
  });

/**
 * A body that stops partway and never goes on, the client staying connected (a Content-Length
 * not reached, or chunks without the last one): the gateway must answer 408 once its body timeout
 * passes. Not in `malformedRequest`'s mix: each case takes the whole body timeout, so the fuzz
 * benchmark sends its own small count of them at a gateway with a short one.
 */
export const stalledBody = (t: FuzzTarget): fc.Arbitrary<RawCase> =>
  fc.record({ req: request(t), keep: fc.double({ min: 0, max: 0.99, noNaN: true }), chunked: fc.boolean() }).map(({ req, keep, chunked }): RawCase => {
    const body = bytes(JSON.stringify(req.body));
    const part = body.slice(0, Math.floor(body.byteLength * keep));
    const framing: [string, string] = chunked ? ['transfer-encoding', 'chunked'] : ['content-length', String(body.byteLength)];
    const sent = chunked && part.byteLength > 0 ? concat([bytes(`${part.byteLength.toString(16)}\r\n`), part, bytes('\r\n')]) : part;
    const head = rawRequest('POST', req.path, [['authorization', `Bearer ${t.key}`], ['content-type', 'application/json'], framing], sent);
    return { transport: 'raw', inputClass: 'stalled-body', parts: [head], gapMs: 0, mayGoUnanswered: false };
  });

function splitEvenly(body: Uint8Array, pieces: number): Uint8Array[] {
  const size = Math.max(1, Math.ceil(body.byteLength / pieces));
  const out: Uint8Array[] = [];
  for (let at = 0; at < body.byteLength; at += size) out.push(body.slice(at, at + size));
  return out;
}

/** Every class, weighted toward the body mutations (the most numerous ways to be wrong). */
export function malformedRequest(t: FuzzTarget, options: { transports?: readonly MalformedCase['transport'][] } = {}): fc.Arbitrary<MalformedCase> {
  const raw = options.transports === undefined || options.transports.includes('raw');
  const arbitraries: fc.WeightedArbitrary<MalformedCase>[] = [
    { arbitrary: brokenJson(t), weight: 10 },
    { arbitrary: truncatedJson(t), weight: 6 },
    { arbitrary: wrongType(t), weight: 14 },
    { arbitrary: hugeNumber(t), weight: 6 },
    { arbitrary: deepNesting(t), weight: 4 },
    { arbitrary: longStringCase(t), weight: 3 },
    { arbitrary: badUnicode(t), weight: 6 },
    { arbitrary: duplicateKey(t), weight: 5 },
    { arbitrary: protoKey(t), weight: 6 },
    { arbitrary: badHeader(t), weight: 8 },
    { arbitrary: wrongMethod(t), weight: 5 },
    { arbitrary: wrongPath(t), weight: 5 },
    { arbitrary: oversize(t).filter((c) => raw || c.transport === 'fetch'), weight: 3 },
    { arbitrary: slowBody(t).filter((c) => raw || c.transport === 'fetch'), weight: 3 },
  ];
  if (raw) {
    arbitraries.push(
      { arbitrary: crlfHeader(t), weight: 6 },
      { arbitrary: hugeHeader(t), weight: 3 },
      { arbitrary: manyHeaders(t), weight: 2 },
      { arbitrary: rawMethodOrTarget(t), weight: 2 },
      { arbitrary: rawHead(t), weight: 1 },
      { arbitrary: truncatedBody(t), weight: 3 },
    );
  }
  // A counterexample prints as its label, not as megabytes of body bytes.
  return fc.oneof(...arbitraries).map((c) => Object.assign(c, { [fc.toStringMethod]: () => describeCase(c) }));
}

// ---------------------------------------------------------------- the verdict

export interface Answer {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

export type Verdict = { readonly ok: true; readonly kind: 'error' | 'valid' } | { readonly ok: false; readonly reason: string };

/**
 * A well-formed OpenAI error (`{error:{message,type,param,code}}`, JSON, a 4xx status), or a 2xx
 * to a request that happened to be valid. Anything else — a 5xx, a 3xx, an error in another
 * shape, a header the request injected — is a failure with its reason.
 */
export function judgeAnswer(method: string, answer: Answer): Verdict {
  for (const name of answer.headers.keys()) {
    if (name.startsWith('x-injected') || name === 'x-folded') return { ok: false, reason: `the answer carries a header the request injected (${name})` };
  }
  if (answer.status >= 200 && answer.status < 300) return { ok: true, kind: 'valid' };
  if (answer.status < 400 || answer.status >= 500) return { ok: false, reason: `status ${answer.status}: ${answer.body.slice(0, 300)}` };
  if (method === 'HEAD') return { ok: true, kind: 'error' };
  const type = answer.headers.get('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) return { ok: false, reason: `status ${answer.status} with content-type "${type}": ${answer.body.slice(0, 200)}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    return { ok: false, reason: `status ${answer.status} with a body that is not JSON: ${answer.body.slice(0, 200)}` };
  }
  if (!isOpenAiError(parsed)) return { ok: false, reason: `status ${answer.status} with a body not in OpenAI's error shape: ${answer.body.slice(0, 300)}` };
  return { ok: true, kind: 'error' };
}

function isOpenAiError(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Object.keys(value).join() !== 'error') return false;
  const e = (value as { error: unknown }).error;
  if (typeof e !== 'object' || e === null) return false;
  const { message, type, param, code } = e as Record<string, unknown>;
  return (
    Object.keys(e).sort().join() === 'code,message,param,type' &&
    typeof message === 'string' && message !== '' &&
    typeof type === 'string' && type !== '' &&
    (param === null || typeof param === 'string') &&
    (code === null || typeof code === 'string')
  );
}

/** A short label of a case for failure messages and the results table (the body's start, not its megabytes). */
export function describeCase(c: MalformedCase): string {
  if (c.transport === 'raw') {
    const head = new TextDecoder().decode(c.parts[0]?.slice(0, 160) ?? new Uint8Array());
    return `${c.inputClass} raw ${JSON.stringify(head)}${c.parts.length > 1 ? ` +${c.parts.length - 1} parts ${c.gapMs} ms apart` : ''}`;
  }
  const body = c.body ? new TextDecoder().decode(c.body.slice(0, 160)) : '';
  return `${c.inputClass} ${c.method} ${c.path.slice(0, 100)} ${JSON.stringify(c.headers.map(([n, v]) => [n, v.slice(0, 60)]))} ${JSON.stringify(body)}${c.body && c.body.byteLength > 160 ? `… (${c.body.byteLength} bytes)` : ''}${c.trickle ? ` trickled in ${c.trickle.chunks}` : ''}`;
}

/** The case as a Request (fetch cases only): a trickled body is a stream that pauses between its pieces. */
export function toRequest(origin: string, c: FetchCase): Request {
  const init: RequestInit & { duplex?: 'half' } = { method: c.method, headers: c.headers.map(([n, v]) => [n, v] as [string, string]) };
  if (c.body && c.trickle) {
    const pieces = splitEvenly(c.body, c.trickle.chunks);
    const gapMs = c.trickle.gapMs;
    let i = 0;
    init.body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (i > 0 && gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
        const piece = pieces[i++];
        if (piece) controller.enqueue(piece);
        else controller.close();
      },
    });
    init.duplex = 'half';
  } else if (c.body) {
    init.body = c.body as Uint8Array<ArrayBuffer>;
  }
  return new Request(`${origin}${c.path}`, init);
}
