// Shared fixtures for the core unit tests: the repository's real fleet files, compiled,
// and the routing candidates the gateway builds from them.
import { readFileSync } from 'node:fs';
import { compileFleet } from '../../../src/fleet/compile.ts';
import type { CompiledFleet, CompiledModel } from '../../../src/fleet/compiled.ts';
import { parseFleet } from '../../../src/fleet/load.ts';
import { UNKNOWN_ENDPOINT } from '../../../src/route/endpoint-view.ts';
import type { Candidate, RouteRequest, RouteState } from '../../../src/route/types.ts';

export const FLEET_FILE = 'infra/fleet.yaml';
export const LOCAL_FLEET_FILE = 'infra/fleet.local.yaml';

export const compileFile = (path: string): CompiledFleet => compileFleet(parseFleet(readFileSync(path, 'utf8'), path));

export const localFleet = (): CompiledFleet => compileFile(LOCAL_FLEET_FILE);

export function modelOf(fleet: CompiledFleet, id: string): CompiledModel {
  const model = fleet.models.find((m) => m.id === id);
  if (!model) throw new Error(`fixture: no model ${id}`);
  return model;
}

/** Every endpoint of the fleet (all models) paired with its region, in fleet order. */
export function candidatesOf(fleet: CompiledFleet, model?: string): Candidate[] {
  return fleet.endpoints
    .filter((endpoint) => model === undefined || endpoint.model === model)
    .map((endpoint) => {
      const region = fleet.regions.find((r) => r.id === endpoint.region);
      if (!region) throw new Error(`fixture: no region ${endpoint.region}`);
      return { endpoint, region };
    });
}

export function routeRequest(fleet: CompiledFleet, model: string, extra: Partial<Omit<RouteRequest, 'model'>> = {}): RouteRequest {
  return { ...extra, model: modelOf(fleet, model), key: extra.key ?? {}, caller: extra.caller };
}

/** A routing state with no live data: every endpoint unknown (healthy by default, idle). */
export const ROUTE_STATE: RouteState = { now: 0, probeIntervalMs: 60_000, endpoint: () => UNKNOWN_ENDPOINT };
