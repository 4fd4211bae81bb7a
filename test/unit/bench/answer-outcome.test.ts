// The chaos and soak benchmarks judge every answer with these: a wrong verdict would hide a
// silent truncation, so each way a stream can end is pinned here.
import { describe, expect, it } from 'vitest';
import { answerProblem, choicesProblem, countOutcomes, outcomeOf, SILENT } from '../../../bench/lib/answer-outcome.ts';

const chunk = (content: string) => `data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"${content}"}}]}\n\n`;
const judge = (streaming: boolean, status: number, body: string) => {
  const problem = status >= 200 && status < 300 ? answerProblem(streaming)(body) : `HTTP ${status}: ${body}`;
  return outcomeOf({ status, ...(problem === undefined ? {} : { error: problem }) });
};

describe('answer outcomes', () => {
  it('a stream ending in [DONE] is complete, with or without CRLF', () => {
    expect(judge(true, 200, `${chunk('He')}${chunk('llo')}data: [DONE]\n\n`)).toBe('ok');
    expect(judge(true, 200, `${chunk('He')}data: [DONE]\r\n\r\n`)).toBe('ok');
  });

  it('a stream ending in an error event is told, not silent', () => {
    const body = `${chunk('He')}event: error\ndata: {"error":{"message":"cut","type":"server_error"}}\n\n`;
    expect(judge(true, 200, body)).toBe('error-event');
    expect(SILENT.has('error-event')).toBe(false);
  });

  it('a stream that just stops, or stops after an error event that is not the last, is a silent truncation', () => {
    expect(judge(true, 200, `${chunk('He')}${chunk('llo')}`)).toBe('truncated');
    expect(judge(true, 200, `event: error\ndata: {}\n\n${chunk('more')}`)).toBe('truncated');
    expect(judge(true, 200, '')).toBe('truncated');
    expect(SILENT.has('truncated')).toBe(true);
  });

  it('a dropped connection mid-body is a silent truncation; no response at all is not', () => {
    expect(outcomeOf({ status: 200, error: 'the body was cut: UND_ERR_SOCKET: other side closed' })).toBe('connection-cut');
    expect(SILENT.has('connection-cut')).toBe(true);
    expect(outcomeOf({ status: 0, error: 'ECONNREFUSED' })).toBe('no-response');
  });

  it('JSON answers need choices; errors are errors whatever their body', () => {
    expect(judge(false, 200, '{"choices":[{"index":0,"message":{"content":"hi"}}]}')).toBe('ok');
    expect(judge(false, 200, '{"choices":[]}')).toBe('malformed');
    expect(judge(false, 200, '<html>')).toBe('malformed');
    expect(judge(false, 503, '{"error":{"message":"down"}}')).toBe('http-error');
    expect(judge(true, 502, 'data: [DONE]\n\n')).toBe('http-error');
  });

  it('counts every outcome, zero where none', () => {
    expect(countOutcomes(['ok', 'ok', 'truncated'])).toEqual({ ok: 2, 'http-error': 0, 'no-response': 0, 'error-event': 0, truncated: 1, 'connection-cut': 0, malformed: 0 });
  });

  it('n choices with logprobs: whole only when every choice finished and its logprob tokens spell its text', () => {
    const piece = (index: number, tokens: string[], finish: string | null = null) =>
      `data: ${JSON.stringify({ choices: [{ index, delta: { content: tokens.join('') }, logprobs: { content: tokens.map((token) => ({ token, logprob: -1 })) }, finish_reason: finish }] })}\n\n`;
    const whole = `${piece(0, ['A', ' b'])}${piece(1, ['C'])}${piece(0, [' d'], 'stop')}${piece(1, [' e'], 'length')}data: [DONE]\n\n`;
    expect(choicesProblem(whole, 2)).toBeUndefined();
    // Choice 1 never finished: silent, though the stream ended in [DONE].
    const unfinished = `${piece(0, ['A'], 'stop')}${piece(1, ['C'])}data: [DONE]\n\n`;
    expect(outcomeOf({ status: 200, error: choicesProblem(unfinished, 2)! })).toBe('truncated');
    // A piece relayed twice: the text no longer matches the tokens sampled.
    const doubled = `${piece(0, ['A'], null)}data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'AA' }, logprobs: { content: [{ token: 'A', logprob: -1 }] }, finish_reason: 'stop' }] })}\n\n${piece(1, ['C'], 'stop')}data: [DONE]\n\n`;
    expect(choicesProblem(doubled, 2)).toMatch(/choice 0 finished, its logprob tokens differ from its text/);
    expect(choicesProblem(`${piece(2, ['x'], 'stop')}data: [DONE]\n\n`, 2)).toMatch(/out of range/);
  });
});
