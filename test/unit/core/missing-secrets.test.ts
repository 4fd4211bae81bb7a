// A region whose upstream secret is missing is said out loud, by name, where the operator
// looks: `fleet check`, and the gateway's start.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { buildGateway } from '../../../src/gateway.ts';
import { ApiKeys } from '../../../src/auth/api-keys.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { localFleet } from './fixtures.ts';

describe('missing upstream secrets', () => {
  it('are listed by name by `switchyard fleet check`', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, UPSTREAM_KEY_US_EAST: 'set', UPSTREAM_KEY_EU_WEST: 'set' };
    delete env['UPSTREAM_KEY_APAC'];
    const { stdout } = await promisify(execFile)('node_modules/.bin/node', ['cli/main.ts', 'fleet', 'check', '--fleet', 'infra/fleet.local.yaml'], { env, encoding: 'utf8' });
    expect(stdout).toContain('secrets not set in this environment (1):');
    expect(stdout).toContain('UPSTREAM_KEY_APAC (region apac): requests there will be refused rather than sent without credentials');
  });

  it('are warned about by name when the gateway starts, and reported (without names) by /healthz', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const gw = buildGateway({ fleet: localFleet(), keys: new ApiKeys(new MemoryStore()), transport: async () => { throw new Error('unused'); }, secret: (n) => (n === 'UPSTREAM_KEY_APAC' ? undefined : 'x') });
      expect(gw.missingCredentials).toEqual([{ region: 'apac', secret: 'UPSTREAM_KEY_APAC' }]);
      expect(warn).toHaveBeenCalledWith('switchyard: region apac needs secret UPSTREAM_KEY_APAC, which is not set; it will not be called until it is');
    } finally {
      warn.mockRestore();
    }
  });
});
