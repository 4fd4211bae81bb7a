import type { CallerGeo, Candidate, Scorer } from '../types.ts';

export const GEO = 'geo';

const EARTH_RADIUS_KM = 6371;
/** Half the earth's circumference: the farthest two points can be. */
const MAX_DISTANCE_KM = Math.PI * EARTH_RADIUS_KM;
const rad = (deg: number) => (deg * Math.PI) / 180;

export function distanceKm(aLat: number, aLon: number, bLat: number, bLon: number): number {
  const dLat = rad(bLat - aLat);
  const dLon = rad(bLon - aLon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(aLat)) * Math.cos(rad(bLat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

const score = (caller: CallerGeo | undefined, c: Candidate): number => {
  if (caller?.latitude !== undefined && caller.longitude !== undefined) {
    const { latitude, longitude } = c.region.location;
    return 1 - distanceKm(caller.latitude, caller.longitude, latitude, longitude) / MAX_DISTANCE_KM;
  }
  // Without coordinates, the continent is the best proximity signal we have.
  if (caller?.continent) return caller.continent === c.region.location.continent ? 1 : 0;
  return 1;
};

/**
 * Geographic proximity: 1 at the caller's location, falling linearly with great-circle
 * distance to 0 at the antipode; same continent = 1 when only the continent is known.
 * Every candidate scores 1 when the caller's location is unknown.
 */
export const geoScorer = (): Scorer => ({
  type: GEO,
  category: 'affinity',
  scope: 'region',
  score: (request, candidates) => candidates.map((c) => score(request.caller, c)),
});
