// The prefix benchmark's workload, shaped like llm-d's published one (many tenants, each with a
// long shared context, whose users hold multi-turn conversations): every tenant has a long
// system prompt; conversations start as a Poisson process, each with one tenant picked at
// random; each turn adds a user message, waits for the reply, and the user thinks before the
// next. Generated once from a seed and replayed identically under every routing policy (only
// the arrival times of later turns depend on how fast earlier ones were answered).
import { seededRandom } from '../../infra/local/sim/hash.ts';
import { applyChatTemplate, SPECIAL, tokenize } from '../../infra/local/sim/tokenizer.ts';

export interface WorkloadParams {
  readonly seed: number;
  readonly tenants: number;
  /** System prompt length per tenant, tokens, uniform in [min, max]. */
  readonly systemTokens: readonly [number, number];
  /** New conversations per second (Poisson). */
  readonly conversationRate: number;
  /** Conversations start in [0, duration); turns after it are not sent. */
  readonly durationS: number;
  readonly turns: readonly [number, number];
  readonly userTokens: readonly [number, number];
  readonly outputTokens: readonly [number, number];
  /** Mean of the exponential pause between a reply and the user's next message. */
  readonly thinkS: number;
}

export interface Turn {
  readonly user: string;
  readonly reply: string;
  /** Tokens the engine generates for this turn (the reply's length). */
  readonly outputTokens: number;
  /** Token ids of the user message and of the assistant reply as the chat template renders them. */
  readonly userIds: readonly number[];
  readonly replyIds: readonly number[];
  /** Pause after this turn's reply before the next turn is sent. */
  readonly thinkMs: number;
}

export interface Tenant {
  readonly system: string;
  readonly systemIds: readonly number[];
}

export interface Conversation {
  readonly id: number;
  readonly tenant: number;
  readonly startMs: number;
  readonly turns: readonly Turn[];
}

export interface Workload {
  readonly params: WorkloadParams;
  readonly tenants: readonly Tenant[];
  readonly conversations: readonly Conversation[];
}

const WORDS = ('policy contract invoice shipment customer ledger account refund warranty region tariff clause ' +
  'schedule report metric latency cluster replica deploy rollback incident ticket review budget forecast ' +
  'supplier order balance payment audit compliance quarterly revenue margin churn retention cohort pipeline')
  .split(' ');

/** Text of exactly `tokens` × 4 characters: the simulator's tokenizer reads it as `tokens` tokens. */
function prose(random: () => number, tokens: number): string {
  const target = tokens * 4;
  const parts: string[] = [];
  let length = 0;
  while (length < target) {
    const word = `${WORDS[Math.floor(random() * WORDS.length)]}${Math.floor(random() * 100)} `;
    parts.push(word);
    length += word.length;
  }
  return parts.join('').slice(0, target);
}

const uniformInt = (random: () => number, [min, max]: readonly [number, number]) => min + Math.floor(random() * (max - min + 1));

/** One chat message as Llama 3's template renders it (see infra/local/sim/tokenizer.ts). */
export function messageIds(role: string, content: string): number[] {
  const ids: number[] = [SPECIAL.startHeader];
  tokenize(role, ids);
  ids.push(SPECIAL.endHeader);
  tokenize('\n\n', ids);
  tokenize(content, ids);
  ids.push(SPECIAL.endOfTurn);
  return ids;
}

/** The template's closing header that asks for the assistant's reply. */
export const GENERATION_PROMPT: readonly number[] = (() => {
  const ids: number[] = [SPECIAL.startHeader];
  tokenize('assistant', ids);
  ids.push(SPECIAL.endHeader);
  tokenize('\n\n', ids);
  return ids;
})();

const BOS: readonly number[] = [SPECIAL.beginOfText];

/** Token ids of turn `k`'s prompt: the system prompt, every earlier turn with its reply, the new message. */
export function promptIds(tenant: Tenant, turns: readonly Turn[], k: number): number[] {
  const parts: (readonly number[])[] = [tenant.systemIds];
  for (let j = 0; j < k; j++) {
    const t = turns[j] as Turn;
    parts.push(t.userIds, t.replyIds);
  }
  parts.push((turns[k] as Turn).userIds, GENERATION_PROMPT);
  return BOS.concat(...parts);
}

/** Turn `k`'s chat messages, as the client sends them to the gateway. */
export function promptMessages(tenant: Tenant, turns: readonly Turn[], k: number): { role: string; content: string }[] {
  const messages = [{ role: 'system', content: tenant.system }];
  for (let j = 0; j < k; j++) {
    const t = turns[j] as Turn;
    messages.push({ role: 'user', content: t.user }, { role: 'assistant', content: t.reply });
  }
  messages.push({ role: 'user', content: (turns[k] as Turn).user });
  return messages;
}

export function generateWorkload(params: WorkloadParams): Workload {
  const random = seededRandom(params.seed);
  const tenants: Tenant[] = [];
  for (let i = 0; i < params.tenants; i++) {
    const system = prose(random, uniformInt(random, params.systemTokens));
    tenants.push({ system, systemIds: messageIds('system', system) });
  }
  const conversations: Conversation[] = [];
  const durationMs = params.durationS * 1000;
  for (let at = 0, id = 0; ; id++) {
    at += (-Math.log(1 - random()) / params.conversationRate) * 1000;
    if (at >= durationMs) break;
    const tenant = Math.floor(random() * params.tenants);
    const turns: Turn[] = [];
    const count = uniformInt(random, params.turns);
    for (let k = 0; k < count; k++) {
      const user = prose(random, uniformInt(random, params.userTokens));
      const outputTokens = uniformInt(random, params.outputTokens);
      const reply = prose(random, outputTokens);
      turns.push({
        user,
        reply,
        outputTokens,
        userIds: messageIds('user', user),
        replyIds: messageIds('assistant', reply),
        thinkMs: -Math.log(1 - random()) * params.thinkS * 1000,
      });
    }
    conversations.push({ id, tenant, startMs: at, turns });
  }
  const workload = { params, tenants, conversations };
  checkTemplate(workload);
  return workload;
}

/** The prompts built here must be exactly what the simulator's own chat template produces. */
function checkTemplate(w: Workload): void {
  const c = w.conversations.find((x) => x.turns.length > 1);
  if (!c) return;
  const tenant = w.tenants[c.tenant] as Tenant;
  const expected = applyChatTemplate(promptMessages(tenant, c.turns, 1));
  const actual = promptIds(tenant, c.turns, 1);
  if (expected.length !== actual.length || expected.some((id, i) => id !== actual[i])) {
    throw new Error('bench prefix: the workload prompt differs from the simulator chat template');
  }
}
