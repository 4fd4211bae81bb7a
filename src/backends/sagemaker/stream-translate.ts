import { chunkEvent, DONE_EVENT, finishReasonOf, type FinishReason, type ResponseMeta } from './openai-shapes.ts';
import type { OpenAIRequest } from './request.ts';
import { lmiUsage } from './response-body.ts';
import { estimateTokens, usageOf, type Usage } from './usage.ts';
import { isObject, type Json } from './json.ts';

/**
 * PayloadPart bytes in, OpenAI SSE out. SageMaker cuts parts anywhere (mid-line, mid-UTF-8
 * character), so bytes are decoded in streaming mode and only whole lines are translated.
 */
export interface StreamTranslator {
  /** OpenAI SSE text for these bytes ('' while no line is complete). */
  push(bytes: Uint8Array): string;
  /** What follows a clean end of the event stream: the finish, usage when asked, [DONE]. */
  end(): string;
}

/** An error the container wrote into its own stream (a line with an `error` member). */
export class ContainerStreamError extends Error {
  override readonly name = 'ContainerStreamError';
}

/**
 * The data of one line, or undefined for lines that carry none. Both styles may come framed
 * as SSE (`data: …`, blank lines, `:` comments, `event:`) or as bare JSON lines.
 */
function dataOf(raw: string): string | undefined {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (line === '' || line.startsWith(':') || /^(event|id|retry):/.test(line)) return undefined;
  if (line.startsWith('data:')) return line.slice(line.startsWith('data: ') ? 6 : 5);
  return line;
}

function parse(data: string): Json {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new ContainerStreamError(`the container streamed a line that is not JSON: ${data.slice(0, 100)}`);
  }
  if (!isObject(json)) throw new ContainerStreamError('the container streamed a line that is not a JSON object');
  if ('error' in json && json.error !== null && json.error !== undefined) {
    const e = json.error;
    throw new ContainerStreamError(`the container reported an error mid-stream: ${typeof e === 'string' ? e : isObject(e) && typeof e.message === 'string' ? e.message : JSON.stringify(e)}`);
  }
  return json;
}

function lineTranslator(onData: (data: string) => string, onEnd: () => string): StreamTranslator {
  const decoder = new TextDecoder();
  let pending = '';
  const lines = (text: string): string => {
    pending += text;
    let out = '';
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const data = dataOf(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
      if (data !== undefined) out += onData(data);
    }
    return out;
  };
  return {
    push: (bytes) => lines(decoder.decode(bytes, { stream: true })),
    end: () => {
      // A last line without its newline still counts.
      const out = lines(`${decoder.decode()}\n`);
      return out + onEnd();
    },
  };
}

/**
 * LMI's OpenAI-compatible style: the chunks are already OpenAI's. They get our model id, and
 * a usage chunk is added when the client asked for one and the container sent none. Our own
 * [DONE] closes the stream: SageMaker ending its event stream cleanly is what says complete.
 */
export function openAISseTranslator(request: OpenAIRequest, meta: ResponseMeta): StreamTranslator {
  let done = false;
  let usageSeen = false;
  let text = '';
  return lineTranslator(
    (data) => {
      if (done) return '';
      if (data.trim() === '[DONE]') {
        done = true;
        return '';
      }
      const chunk = parse(data);
      chunk.model = meta.model;
      if (isObject(chunk.usage)) usageSeen = true;
      if (Array.isArray(chunk.choices)) {
        for (const c of chunk.choices) {
          if (!isObject(c)) continue;
          const piece = isObject(c.delta) ? c.delta.content : c.text;
          if (typeof piece === 'string') text += piece;
        }
      }
      return `data: ${JSON.stringify(chunk)}\n\n`;
    },
    () => (request.includeUsage && !usageSeen ? chunkEvent(meta, { usage: usageOf(request.promptTokens, estimateTokens(text)) }) : '') + DONE_EVENT,
  );
}

/**
 * LMI's JSON-lines style: one `{"token": {...}}` line per token, the last one also carrying
 * `generated_text` and `details`. Each token becomes a content chunk (chat: after the
 * assistant role chunk), the details the finish chunk and, when asked, the usage chunk.
 */
export function jsonLinesTranslator(request: OpenAIRequest, meta: ResponseMeta): StreamTranslator {
  let started = false;
  let text = '';
  let tokens = 0;
  let finished: { finish: FinishReason; usage: Usage } | undefined;
  const start = (): string => {
    if (started) return '';
    started = true;
    return meta.kind === 'chat' ? chunkEvent(meta, { role: true }) : '';
  };
  return lineTranslator(
    (data) => {
      if (finished) return '';
      const line = parse(data);
      let out = start();
      const token = line.token;
      if (isObject(token) && token.special !== true && typeof token.text === 'string') {
        tokens += 1;
        text += token.text;
        if (token.text !== '') out += chunkEvent(meta, { text: token.text });
      }
      if ((line.generated_text !== null && line.generated_text !== undefined) || isObject(line.details)) {
        const details = isObject(line.details) ? line.details : {};
        finished = { finish: finishReasonOf(details.finish_reason), usage: lmiUsage(request, details, text, tokens) };
      }
      return out;
    },
    () => {
      // No details line: the container finished without them; the streamed tokens were counted one per line.
      const f = finished ?? { finish: 'stop', usage: usageOf(request.promptTokens, tokens) };
      return start() + chunkEvent(meta, { finish: f.finish }) + (request.includeUsage ? chunkEvent(meta, { usage: f.usage }) : '') + DONE_EVENT;
    },
  );
}
