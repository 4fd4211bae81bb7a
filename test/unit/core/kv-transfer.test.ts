// vLLM's kv_transfer_params from clients: refused unless the routing policy accepts them, and
// then never naming a host outside the fleet (a client must not steer KV transfers elsewhere).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.ts';
import { ApiKeys } from '../../../src/auth/api-keys.ts';
import type { Transport, UpstreamRequest } from '../../../src/backends/transport.ts';
import type { CompiledFleet } from '../../../src/fleet/compiled.ts';
import { compileFleet } from '../../../src/fleet/compile.ts';
import { parseFleet } from '../../../src/fleet/load.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { upstreamResponse } from '../../support/upstream.ts';
import { LOCAL_FLEET_FILE, localFleet } from './fixtures.ts';

const SECRETS: Readonly<Record<string, string>> = { UPSTREAM_KEY_US_EAST: 'a-secret', UPSTREAM_KEY_EU_WEST: 'b-secret', UPSTREAM_KEY_APAC: 'c-secret' };
const CHAT_OK = '{"id":"c","object":"chat.completion","created":1,"model":"llama-3.1-8b","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';

const keys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
let key = '';
beforeAll(async () => {
  key = (await keys.create({ tenant: 'acme' })).key;
});

const DEFAULT = localFleet();
/** The local fleet with a RoutingPolicy that accepts kv_transfer_params from clients, and the P/D pods' addresses. */
function allowingFleet(): CompiledFleet {
  const yaml = readFileSync(LOCAL_FLEET_FILE, 'utf8').replace(
    'kind: RoutingPolicy\nmetadata: { name: default }\nspec:\n',
    'kind: RoutingPolicy\nmetadata: { name: default }\nspec:\n  kvTransfer: { fromClients: true, remoteHosts: ["10.42.0.17", "decode-0.llm-d.svc.cluster.local"] }\n',
  );
  return compileFleet(parseFleet(yaml, 'fleet.local.yaml'));
}

async function ask(fleet: CompiledFleet, body: Record<string, unknown>, path = '/v1/chat/completions') {
  const sent: UpstreamRequest[] = [];
  const transport: Transport = async (request) => {
    sent.push(request);
    return upstreamResponse(200, CHAT_OK, { 'content-type': 'application/json' });
  };
  const app = createApp({ fleet, keys, transport, secret: (n) => SECRETS[n], metrics: false });
  const text = JSON.stringify({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'Hi' }], ...body });
  const response = await app.request(path, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: text });
  return { status: response.status, body: (await response.json()) as { error?: { code: string; param: string | null; message: string } }, sent, text };
}

const NIXL = (host: string) => ({ do_remote_prefill: true, remote_engine_id: 'e1', remote_block_ids: [1, 2, 3], remote_host: host, remote_port: 5600 });

describe('kv_transfer_params from clients, by default', () => {
  it.each([
    ['a remote host outside the fleet', NIXL('attacker.example.com')],
    ['no host at all', { do_remote_decode: true }],
  ])('is refused with 400 and nothing is sent upstream: %s', async (_what, params) => {
    const { status, body, sent } = await ask(DEFAULT, { kv_transfer_params: params });
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 'kv_transfer_not_allowed', param: 'kv_transfer_params' });
    expect(sent).toHaveLength(0);
  });

  it('is refused on the other JSON routes too (the Responses API)', async () => {
    const { status, sent } = await ask(DEFAULT, { input: 'hi', kv_transfer_params: NIXL('attacker.example.com') }, '/v1/responses');
    expect(status).toBe(400);
    expect(sent).toHaveLength(0);
  });

  it('lets a null through: it asks for no transfer', async () => {
    expect((await ask(DEFAULT, { kv_transfer_params: null })).status).toBe(200);
  });
});

describe('kv_transfer_params from clients, where the routing policy accepts them', () => {
  it.each([
    ['a host the policy lists', NIXL('10.42.0.17')],
    ['a cluster host the policy lists', NIXL('decode-0.llm-d.svc.cluster.local')],
    ["one of the fleet's own endpoints", NIXL('127.0.0.1')],
    ['no host at all', { do_remote_decode: true }],
  ])('forwards them as sent when they name %s', async (_what, params) => {
    const { status, sent, text } = await ask(allowingFleet(), { kv_transfer_params: params });
    expect(status).toBe(200);
    expect(sent[0]?.body).toBe(text);
  });

  it.each([
    ['remote_host', NIXL('attacker.example.com')],
    ['remote_host (with a port)', NIXL('203.0.113.9:5600')],
    ['remote_bootstrap_addr', { remote_bootstrap_addr: 'http://attacker.example.com:8998' }],
    ['remote_hosts', { remote_hosts: ['10.42.0.17', '198.51.100.3'] }],
  ])('refuses a host outside the fleet in %s', async (member, params) => {
    const { status, body, sent } = await ask(allowingFleet(), { kv_transfer_params: params });
    expect(status).toBe(400);
    expect(body.error?.code).toBe('kv_transfer_not_allowed');
    expect(body.error?.message).toContain(member.split(' ')[0]);
    expect(sent).toHaveLength(0);
  });

  it('refuses kv_transfer_params that are not an object', async () => {
    expect((await ask(allowingFleet(), { kv_transfer_params: 'remote_host=attacker' })).status).toBe(400);
  });
});

describe('the RoutingPolicy setting', () => {
  it('defaults to off, and names a typo', () => {
    expect(DEFAULT.routing.kvTransfer).toEqual({ fromClients: false, remoteHosts: [] });
    const yaml = 'apiVersion: switchyard.dev/v1alpha1\nkind: RoutingPolicy\nmetadata: { name: p }\nspec: { kvTransfer: { fromClient: true } }';
    expect(() => parseFleet(yaml, 'typo.yaml')).toThrow(/kvTransfer/);
  });
});
