import { GatewayError } from './errors.ts';

/** Members of `kv_transfer_params` that name where KV blocks come from or go to (NIXL's `remote_host`, Mooncake's bootstrap address, …). */
const HOST_MEMBER = /(?:hosts?|addr(?:ess)?(?:es)?|addrs|urls?|endpoints?|ips?)$/i;

const refused = (message: string) => new GatewayError(400, message, { code: 'kv_transfer_not_allowed', param: 'kv_transfer_params' });

/** The host of `host`, `host:port`, `[v6]:port` or a URL, lower-cased. */
function hostOf(value: string): string {
  const v = value.trim();
  if (v.includes('://')) {
    try {
      return new URL(v).hostname.replace(/^\[|\]$/g, '').toLowerCase();
    } catch {
      return v.toLowerCase();
    }
  }
  const bracketed = /^\[([^\]]+)\]/.exec(v);
  if (bracketed?.[1]) return bracketed[1].toLowerCase();
  // One colon: host:port. More: a bare IPv6 address.
  return (v.split(':').length === 2 ? (v.split(':')[0] ?? v) : v).toLowerCase();
}

/**
 * A client's `kv_transfer_params`, checked against the routing policy: refused unless the policy
 * allows it from clients, and then only when every host it names is allowed (`allowedHosts`: the
 * fleet's endpoints and the policy's `remoteHosts`). Absent or null passes: there is no transfer.
 */
export function checkKvTransfer(body: unknown, allowedHosts: ReadonlySet<string> | undefined): void {
  if (typeof body !== 'object' || body === null) return;
  const params = (body as { kv_transfer_params?: unknown }).kv_transfer_params;
  if (params === undefined || params === null) return;
  if (allowedHosts === undefined) {
    throw refused('`kv_transfer_params` is not accepted from clients by this gateway (its RoutingPolicy does not set kvTransfer.fromClients).');
  }
  if (typeof params !== 'object' || Array.isArray(params)) throw refused('`kv_transfer_params` must be an object.');
  // Bodies are depth-checked on arrival: this walk is bounded. An array's items go by its member's name.
  const stack: [unknown, string][] = [[params, '']];
  while (stack.length > 0) {
    const [value, name] = stack.pop() as [unknown, string];
    if (typeof value === 'string') {
      if (HOST_MEMBER.test(name) && !allowedHosts.has(hostOf(value))) throw refused(`\`kv_transfer_params.${name}\` names a host outside this fleet.`);
    } else if (Array.isArray(value)) {
      for (const item of value) stack.push([item, name]);
    } else if (typeof value === 'object' && value !== null) {
      for (const [member, v] of Object.entries(value)) stack.push([v, member]);
    }
  }
}

/** The hosts a client's `kv_transfer_params` may name, or undefined when the policy does not accept them from clients. */
export function kvTransferHosts(policy: { fromClients: boolean; remoteHosts: readonly string[] } | undefined, endpointUrls: readonly string[]): ReadonlySet<string> | undefined {
  if (policy?.fromClients !== true) return undefined;
  const hosts = new Set(policy.remoteHosts.map(hostOf));
  for (const url of endpointUrls) hosts.add(hostOf(url));
  return hosts;
}
