import { describe, expect, it } from 'vitest';
import { REQUEST_SCHEMAS, type Endpoint } from '../../../../src/api/schemas.ts';
import { requestPrefix } from '../../../../src/route/prefix/request-prefix.ts';

const FLEET = { routing: { weights: { 'prefix-affinity': 1 } }, prefixSharing: { m: { enabled: true, blockSize: 16, minLength: 100 } } };
const SYSTEM = 'You answer questions about the Acme returns policy. '.repeat(40);

/** As the completions handler has it: the body parsed by the schema of its route. */
function parsed(kind: Endpoint, body: unknown) {
  const result = REQUEST_SCHEMAS[kind].safeParse(body);
  if (!result.success) throw new Error(result.error.message);
  return result.data;
}

describe('requestPrefix on parsed request bodies (the handler integration)', () => {
  it('gives every turn of a chat conversation, and every conversation with the same system prompt, one anchor', () => {
    const turn = (messages: { role: string; content: string }[]) => requestPrefix(FLEET, 'm', parsed('chat', { model: 'm', messages }));
    const first = turn([{ role: 'system', content: SYSTEM }, { role: 'user', content: 'Can I return shoes?' }]);
    const later = turn([
      { role: 'system', content: SYSTEM },
      { role: 'user', content: 'Can I return shoes?' },
      { role: 'assistant', content: 'Yes, within 30 days.' },
      { role: 'user', content: 'And sandals?' },
    ]);
    const other = turn([{ role: 'system', content: SYSTEM }, { role: 'user', content: 'Where is my refund?' }]);
    expect(first).toBeDefined();
    expect(later?.anchor).toBe(first?.anchor);
    expect(other?.anchor).toBe(first?.anchor);
  });

  it('reads a completion prompt, text or token ids', () => {
    expect(requestPrefix(FLEET, 'm', parsed('completions', { model: 'm', prompt: SYSTEM }))?.anchorBlocks).toBe(6);
    expect(requestPrefix(FLEET, 'm', parsed('completions', { model: 'm', prompt: Array.from({ length: 300 }, (_, i) => i) }))?.promptTokens).toBe(300);
    expect(requestPrefix(FLEET, 'm', parsed('completions', { model: 'm', prompt: 'short' }))).toBeUndefined();
  });

  it("keeps vLLM's cache_salt in the chain: differently salted requests never share an anchor", () => {
    const body = (salt?: string) => parsed('chat', { model: 'm', messages: [{ role: 'system', content: SYSTEM }], ...(salt ? { cache_salt: salt } : {}) });
    expect(requestPrefix(FLEET, 'm', body('a'))?.anchor).not.toBe(requestPrefix(FLEET, 'm', body())?.anchor);
    expect(requestPrefix(FLEET, 'm', body('a'))?.anchor).toBe(requestPrefix(FLEET, 'm', body('a'))?.anchor);
  });
});
