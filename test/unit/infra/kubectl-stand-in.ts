// A kubectl stand-in: an executable script that records every argv it gets (one JSON array per
// line) and answers from a canned config. Tests point $KUBECTL at it; no cluster exists here.
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StandInConfig {
  contexts: string[];
  /** JSON printed for `get inferenceservices…,llminferenceservices… -o json`. */
  get?: unknown;
  /** Secrets that `get secret NAME` finds. */
  secrets?: string[];
  applyExit?: number;
}

const SCRIPT = `
import { appendFileSync, readFileSync } from 'node:fs';
const args = process.argv.slice(2);
appendFileSync(process.env.STANDIN_LOG, JSON.stringify(args) + '\\n');
const config = JSON.parse(readFileSync(process.env.STANDIN_CONFIG, 'utf8'));
const has = (...words) => words.every((w) => args.includes(w));
if (has('version', '--client')) {
  console.log(JSON.stringify({ clientVersion: { gitVersion: 'v1.34.0-standin' } }));
} else if (has('config', 'get-contexts')) {
  console.log(config.contexts.join('\\n'));
} else if (has('apply')) {
  const dry = args.find((a) => a.startsWith('--dry-run='));
  console.log('namespace/llm ' + (dry ? 'created (' + dry.slice(10) + ' dry run)' : 'created'));
  console.log('inferenceservice.serving.kserve.io/llama-3-1-8b ' + (dry ? 'created (' + dry.slice(10) + ' dry run)' : 'created'));
  process.exit(config.applyExit ?? 0);
} else if (has('get', 'secret')) {
  const name = args[args.indexOf('secret') + 1];
  if ((config.secrets ?? []).includes(name)) console.log('secret/' + name);
  else { console.error('Error from server (NotFound): secrets "' + name + '" not found'); process.exit(1); }
} else if (has('get')) {
  console.log(JSON.stringify(config.get ?? { apiVersion: 'v1', kind: 'List', items: [] }));
} else {
  console.error('stand-in: unexpected ' + args.join(' '));
  process.exit(3);
}
`;

export interface StandIn {
  env: NodeJS.ProcessEnv;
  /** Every argv the stand-in received, in order. */
  calls: () => string[][];
}

export function kubectlStandIn(config: StandInConfig): StandIn {
  const dir = mkdtempSync(join(tmpdir(), 'kubectl-stand-in-'));
  const bin = join(dir, 'kubectl');
  // Run by the same Node as the tests: the script is ESM, with no dependency.
  writeFileSync(bin, `#!${process.execPath}\n${SCRIPT}`);
  chmodSync(bin, 0o755);
  const log = join(dir, 'calls.jsonl');
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config));
  return {
    env: { ...process.env, KUBECTL: bin, STANDIN_LOG: log, STANDIN_CONFIG: configFile },
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]) : []),
  };
}
