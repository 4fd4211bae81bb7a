// Fleets for the infra tests: the repository's production fleet, and small fleets built here.
import { readFileSync } from 'node:fs';
import { parseFleet, type Fleet } from '../../../src/fleet/load.ts';

export const FLEET_FILE = 'infra/fleet.yaml';
export const SHAPES_FLEET_FILE = 'test/unit/infra/kserve-shapes.fleet.yaml';

export const loadFleet = (path: string): Fleet => parseFleet(readFileSync(path, 'utf8'), path);

export const REGION = (name: string, extra = '') => `apiVersion: switchyard.dev/v1alpha1
kind: Region
metadata: { name: ${name} }
spec:
  location: { latitude: 38.9, longitude: -77.4, continent: NA }
  residency: us
  kubeContext: ctx-${name}
  ingress: { domain: ${name}.example.com }
  credentials: { secretName: UPSTREAM_KEY_${name.toUpperCase().replace(/-/g, '_')} }
${extra}`;

export const fleetOf = (...docs: string[]): Fleet => parseFleet(docs.join('---\n'), 'test.fleet.yaml');
