import { createInterface } from 'node:readline/promises';

/**
 * Nothing is applied unless asked: `--yes`, or a "y" typed at a terminal. Without a terminal
 * (CI, pipes) there is no one to ask, so the answer is no.
 */
export type Consent = { granted: true; how: string } | { granted: false; why: string };

export async function askConsent(question: string, yes: boolean, stdin: NodeJS.ReadStream = process.stdin, stdout: NodeJS.WriteStream = process.stdout): Promise<Consent> {
  if (yes) return { granted: true, how: '--yes' };
  if (!stdin.isTTY) return { granted: false, why: 'stdin is not a terminal, so there is no one to ask: pass --yes to apply, or --dry-run to preview' };
  const rl = createInterface({ input: stdin, output: stdout });
  try {
    const answer = (await rl.question(`${question} [y/N] `)).trim().toLowerCase();
    return answer === 'y' || answer === 'yes' ? { granted: true, how: 'confirmed at the terminal' } : { granted: false, why: 'not confirmed' };
  } finally {
    rl.close();
  }
}
