// Makes scripts written for Upstash run on open-source Redis 7.0.
//
// @upstash/ratelimit >= 2.1 starts its scripts with `#!lua flags=allow-key-locking`, a flag
// Redis 7.0 rejects ("Unexpected flag in script shebang"). The bridge drops flags Redis does
// not know (keeping the line, so error line numbers stay right) and remembers
// sha1(script as sent) → sha1(script as loaded). EVALSHA with the library's own hash then
// runs the rewritten script once EVAL or SCRIPT LOAD has been seen; before that Redis answers
// NOSCRIPT and the library falls back to EVAL, as it does against a fresh Upstash database.
import { createHash } from 'node:crypto';

/** The shebang flags Redis 7.0 accepts. */
const REDIS_FLAGS = new Set(['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys']);

export interface PreparedCommand {
  args: string[];
  /** Set when the caller must see a different reply than Redis gives (SCRIPT LOAD's hash). */
  reply?: string;
}

export class LuaShebangs {
  readonly #aliases = new Map<string, string>();

  prepare(args: string[]): PreparedCommand {
    const name = args[0]?.toUpperCase();
    if ((name === 'EVAL' || name === 'EVAL_RO') && args[1] !== undefined) {
      return { args: [args[0] ?? name, this.#rewrite(args[1]).script, ...args.slice(2)] };
    }
    if (name === 'SCRIPT' && args[1]?.toUpperCase() === 'LOAD' && args[2] !== undefined) {
      const { script, sentSha } = this.#rewrite(args[2]);
      return { args: [...args.slice(0, 2), script, ...args.slice(3)], reply: sentSha };
    }
    if ((name === 'EVALSHA' || name === 'EVALSHA_RO') && args[1] !== undefined) {
      return { args: [args[0] ?? name, this.#resolve(args[1]), ...args.slice(2)] };
    }
    if (name === 'SCRIPT' && args[1]?.toUpperCase() === 'EXISTS') {
      return { args: [...args.slice(0, 2), ...args.slice(2).map((sha) => this.#resolve(sha))] };
    }
    return { args };
  }

  #resolve(sha: string): string {
    return this.#aliases.get(sha.toLowerCase()) ?? sha;
  }

  #rewrite(sent: string): { script: string; sentSha: string } {
    const sentSha = sha1(sent);
    const script = withRedisFlags(sent);
    if (script !== sent) this.#aliases.set(sentSha, sha1(script));
    return { script, sentSha };
  }
}

/** The script with its shebang reduced to the flags Redis 7.0 knows (unchanged if none are unknown). */
export function withRedisFlags(script: string): string {
  const match = /^#!lua([^\n]*)/.exec(script);
  if (match === null) return script;
  const options = (match[1] ?? '').trim().split(/\s+/).filter((option) => option !== '');
  let changed = false;
  const kept = options.flatMap((option) => {
    if (!option.startsWith('flags=')) return [option];
    const flags = option.slice('flags='.length).split(',').filter((flag) => flag !== '');
    const known = flags.filter((flag) => REDIS_FLAGS.has(flag));
    if (known.length === flags.length) return [option];
    changed = true;
    return known.length === 0 ? [] : [`flags=${known.join(',')}`];
  });
  if (!changed) return script;
  return ['#!lua', ...kept].join(' ') + script.slice(match[0].length);
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}
