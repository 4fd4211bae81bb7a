import type { Continent } from '../fleet/compiled.ts';
import type { CallerGeo } from '../route/types.ts';

const CONTINENTS = new Set<string>(['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA']);

interface CfGeo {
  latitude?: string;
  longitude?: string;
  continent?: string;
  country?: string;
}

const num = (s: string | undefined) => {
  if (s === undefined) return undefined;
  const n = Number.parseFloat(s);
  return Number.isFinite(n) ? n : undefined;
};

/** The caller's location from Cloudflare's `request.cf` (strings there); undefined off Workers. */
export function callerGeo(request: Request): CallerGeo | undefined {
  const cf = (request as Request & { cf?: CfGeo }).cf;
  if (!cf) return undefined;
  const geo: CallerGeo = {};
  const latitude = num(cf.latitude);
  const longitude = num(cf.longitude);
  if (latitude !== undefined && longitude !== undefined) {
    geo.latitude = latitude;
    geo.longitude = longitude;
  }
  if (cf.continent && CONTINENTS.has(cf.continent)) geo.continent = cf.continent as Continent;
  if (cf.country) geo.country = cf.country;
  return geo;
}
