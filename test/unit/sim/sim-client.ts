// Helpers for the simulator's HTTP tests: JSON posts and an SSE reader that keeps what arrived
// before a connection failed.

export function post(url: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(signal === undefined ? {} : { signal }),
  });
}

export interface SseRead {
  /** `data:` payloads in order, `[DONE]` included as the string. */
  readonly events: string[];
  /** The error that ended the body early, if any. */
  readonly error: unknown;
}

export async function readSse(res: Response): Promise<SseRead> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let error: unknown;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch (err) {
    error = err;
  }
  const events = text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length));
  return { events, error };
}

/** The value of one sample line of Prometheus text, matched by metric name and a label fragment. */
export function metricValue(metrics: string, name: string, labelFragment = ''): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labelFragment));
  if (line === undefined) throw new Error(`metric ${name} ${labelFragment} not found`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}
