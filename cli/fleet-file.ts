import { readFileSync } from 'node:fs';
import { compileFleet } from '../src/fleet/compile.ts';
import type { CompiledFleet } from '../src/fleet/compiled.ts';
import { parseFleet, type Fleet } from '../src/fleet/load.ts';

/** Reads, validates and compiles a fleet file; FleetError names file, document and field. */
export function loadFleetFile(path: string): { fleet: Fleet; compiled: CompiledFleet } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${path}: cannot read fleet file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const fleet = parseFleet(text, path);
  return { fleet, compiled: compileFleet(fleet) };
}
