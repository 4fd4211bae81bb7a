// gen_ai.operation.name for each API route; the gateway's own routes are not operations.
import { describe, expect, it } from 'vitest';
import { operationOf } from '../../../../src/observe/metrics/operation.ts';

describe('operationOf', () => {
  it.each([
    ['/v1/chat/completions', 'chat'],
    ['/v1/completions', 'text_completion'],
    ['/v1/embeddings', 'embeddings'],
    ['/v1/responses', 'responses'],
    ['/v1/audio/transcriptions', 'transcription'],
    ['/v1/models', 'models'],
    ['/v1/models/llama-3.1-8b', 'models'],
  ])('%s is %s', (path, operation) => {
    expect(operationOf(path)).toBe(operation);
  });

  it.each(['/metrics', '/healthz', '/dashboard', '/v1/usage', '/admin/keys', '/v1/chat/completions/extra'])('%s is none', (path) => {
    expect(operationOf(path)).toBeUndefined();
  });
});
