/**
 * The OpenAI and vLLM routes the gateway serves, as data: what each one needs from a model
 * (its capability), where it lives upstream, how its body arrives and whether it streams.
 * Chat and text completions also classify and cache (src/handlers/completions.ts); every
 * other route goes through the one generic handler (src/handlers/proxy.ts).
 */
export const CAPABILITIES = ['chat', 'completions', 'responses', 'embeddings', 'rerank', 'score', 'transcription', 'tokenize'] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** Where an upstream serves a route: under its OpenAI prefix (`/v1`, `/openai/v1`), or at the server root (vLLM's /tokenize). */
export type UpstreamPath = { readonly under: 'openai' | 'root'; readonly path: string };

export interface OpenAIEndpoint {
  readonly path: string;
  readonly capability: Capability;
  readonly upstream: UpstreamPath;
  readonly body: 'json' | 'multipart';
  /** The client may ask for a stream (`stream: true`); the relay ends it on this marker. */
  readonly stream?: 'done-marker' | 'responses-events';
  /** `model: "auto"` and tier names go through the classifier (generation routes). */
  readonly tiers: boolean;
}

const openai = (path: string): UpstreamPath => ({ under: 'openai', path });

export const OPENAI_ENDPOINTS = {
  chat: { path: '/v1/chat/completions', capability: 'chat', upstream: openai('chat/completions'), body: 'json', stream: 'done-marker', tiers: true },
  completions: { path: '/v1/completions', capability: 'completions', upstream: openai('completions'), body: 'json', stream: 'done-marker', tiers: true },
  responses: { path: '/v1/responses', capability: 'responses', upstream: openai('responses'), body: 'json', stream: 'responses-events', tiers: true },
  embeddings: { path: '/v1/embeddings', capability: 'embeddings', upstream: openai('embeddings'), body: 'json', tiers: false },
  rerank: { path: '/v1/rerank', capability: 'rerank', upstream: openai('rerank'), body: 'json', tiers: false },
  score: { path: '/v1/score', capability: 'score', upstream: openai('score'), body: 'json', tiers: false },
  transcriptions: { path: '/v1/audio/transcriptions', capability: 'transcription', upstream: openai('audio/transcriptions'), body: 'multipart', stream: 'done-marker', tiers: false },
  tokenize: { path: '/tokenize', capability: 'tokenize', upstream: { under: 'root', path: '/tokenize' }, body: 'json', tiers: false },
  detokenize: { path: '/detokenize', capability: 'tokenize', upstream: { under: 'root', path: '/detokenize' }, body: 'json', tiers: false },
} as const satisfies Record<string, OpenAIEndpoint>;

export type EndpointName = keyof typeof OPENAI_ENDPOINTS;

/** What a model serves when the fleet does not say: by what vLLM would run it as. */
export const GENERATE: readonly Capability[] = ['chat', 'completions', 'responses', 'tokenize'];
export const EMBED: readonly Capability[] = ['embeddings', 'score', 'tokenize'];
export const RERANK: readonly Capability[] = ['rerank', 'score', 'tokenize'];
export const TRANSCRIBE: readonly Capability[] = ['transcription'];

/**
 * A model's capabilities from how it is run: vLLM's `--task` / `--runner` / `--convert` flags
 * first, then the names (weights URI, served id) that say what kind of model it is.
 */
export function capabilitiesFrom(args: readonly string[], ...names: (string | undefined)[]): readonly Capability[] {
  const flag = (name: string) => {
    for (let i = 0; i < args.length; i++) {
      const a = args[i] ?? '';
      if (a.startsWith(`${name}=`)) return a.slice(name.length + 1).toLowerCase();
      if (a === name) return (args[i + 1] ?? '').toLowerCase();
    }
    return undefined;
  };
  const task = flag('--task') ?? flag('--convert');
  if (task === 'embed' || task === 'embedding') return EMBED;
  if (task === 'score' || task === 'classify' || task === 'reward') return RERANK;
  if (task === 'transcription') return TRANSCRIBE;
  if (task === 'generate') return GENERATE;
  const joined = names.filter(Boolean).join(' ').toLowerCase();
  if (/whisper|voxtral|\basr\b|transcri/.test(joined)) return TRANSCRIBE;
  if (/rerank|cross-encoder|ms-marco/.test(joined)) return RERANK;
  if (/embed|\be5-|bge-|gte-|minilm|mpnet|nomic-embed|snowflake-arctic-embed/.test(joined)) return EMBED;
  if (flag('--runner') === 'pooling') return EMBED;
  return GENERATE;
}
