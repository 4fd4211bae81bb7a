import { describe, expect, it } from 'vitest';
import { extractFeatures } from '../../../src/classify/features.ts';
import type { ClassifyRequest } from '../../../src/classify/request.ts';
import { firedSignals, type SignalName } from '../../../src/classify/signals.ts';

const ask = (content: string, extra: Partial<ClassifyRequest> = {}): ClassifyRequest => ({
  messages: [{ role: 'user', content }],
  ...extra,
});
const signalsOf = (request: ClassifyRequest) => firedSignals(extractFeatures(request));

const LONG_DOC = Array.from({ length: 300 }, (_, i) => `Paragraph ${i} of the quarterly report describes revenue and costs.`).join('\n');
const CONVERSATION: ClassifyRequest = {
  messages: [
    { role: 'user', content: 'Recommend a book about the sea.' },
    { role: 'assistant', content: 'Try "The Old Man and the Sea" by Hemingway.' },
    { role: 'user', content: 'Something longer, please.' },
  ],
};

// Each signal: a request where a reader would say it applies, and a close one where it does not.
const CASES: { signal: SignalName; positive: ClassifyRequest; negative: ClassifyRequest }[] = [
  { signal: 'long-prompt', positive: ask(LONG_DOC), negative: ask('Summarize the quarterly report in two lines.') },
  {
    signal: 'code',
    positive: ask('Why does this fail?\n```js\nconst total = items.reduce((a, b) => a + b.price, 0);\n```'),
    negative: ask('Why does my sourdough bread fail to rise?'),
  },
  {
    signal: 'code-block',
    positive: ask('Why does this fail?\n```\nitems.reduce((a, b) => a + b.price, 0)\n```'),
    negative: ask('Why does `items.reduce` fail here?'),
  },
  {
    signal: 'code',
    positive: ask('Write a Python function that parses ISO dates.'),
    negative: ask('Write a short poem about the autumn rain.'),
  },
  {
    signal: 'code',
    positive: ask('def area(r):\n    return 3.14 * r * r\n\nprint(area(2))'),
    negative: ask('The garden area is two by three metres.'),
  },
  { signal: 'math', positive: ask('Solve for x: 3x + 5 = 20.'), negative: ask('What is the capital of Peru?') },
  { signal: 'math', positive: ask('Compute $\\int_0^1 x^2 \\, dx$ and simplify \\frac{1}{3}.'), negative: ask('Compute the mood of this poem.') },
  { signal: 'math', positive: ask('Is ∑ 1/n² ≤ 2? Prove it.'), negative: ask('Is this email too formal?') },
  {
    signal: 'reasoning',
    positive: ask('Explain step by step how to migrate the database, and compare the two approaches.'),
    negative: ask('Translate "good morning" to Italian.'),
  },
  {
    signal: 'reasoning',
    positive: ask('First outline a plan for the launch, then list the risks and their trade-offs.'),
    negative: ask('List three colours of the rainbow.'),
  },
  {
    signal: 'constraints',
    positive: ask('Write a product description in exactly 50 words. Do not mention the price and use a formal tone.'),
    negative: ask('Write a product description for a kettle.'),
  },
  { signal: 'multi-turn', positive: CONVERSATION, negative: ask('Recommend a book about the sea.') },
  {
    signal: 'tools',
    positive: ask('What is the weather in Oslo?', { tools: [{ type: 'function', function: { name: 'get_weather' } }] }),
    negative: ask('What is the weather in Oslo?', { tools: [] }),
  },
  {
    signal: 'json-schema',
    positive: ask('Extract the names.', { response_format: { type: 'json_schema', json_schema: { name: 'names', schema: {} } } }),
    negative: ask('Extract the names.', { response_format: { type: 'text' } }),
  },
  {
    signal: 'json-mode',
    positive: ask('Extract the names.', { response_format: { type: 'json_object' } }),
    negative: ask('Extract the names.'),
  },
  { signal: 'long-output', positive: ask('Write a detailed essay on the history of Rome.'), negative: ask('Briefly, who founded Rome?') },
  { signal: 'long-output', positive: ask('Write a 1500-word story about a lighthouse.'), negative: ask('Write a 100-word story about a lighthouse.') },
  { signal: 'long-output', positive: ask('Tell me about Rome.', { max_tokens: 4096 }), negative: ask('Tell me about Rome.', { max_tokens: 256 }) },
  { signal: 'non-english', positive: ask('请用简单的语言解释一下量子纠缠是什么意思。'), negative: ask('Explain quantum entanglement in simple words.') },
  { signal: 'non-english', positive: ask('量子もつれとは何ですか？簡単に説明してください。'), negative: ask('What is quantum entanglement?') },
  { signal: 'non-english', positive: ask('¿Cómo puedo mejorar el rendimiento de mi aplicación móvil?'), negative: ask('How can I improve the performance of my mobile app?') },
  { signal: 'non-english', positive: ask('Écris une lettre à ma grand-mère pour son anniversaire.'), negative: ask('Write a letter to my grandmother for her birthday.') },
  { signal: 'non-english', positive: ask('Wie kann ich die Leistung meiner Anwendung verbessern? Für größere Dateien ist sie zu langsam.'), negative: ask('How do I make my app faster for larger files?') },
  { signal: 'non-english', positive: ask('Объясните, пожалуйста, как работает квантовая запутанность.'), negative: ask('Please explain how quantum entanglement works.') },
];

describe('signals', () => {
  it.each(CASES.map((c, i) => [c.signal, i, c] as const))('%s fires on its positive example (#%i)', (signal, _i, c) => {
    expect(signalsOf(c.positive)).toContain(signal);
  });

  it.each(CASES.map((c, i) => [c.signal, i, c] as const))('%s stays quiet on its negative example (#%i)', (signal, _i, c) => {
    expect(signalsOf(c.negative)).not.toContain(signal);
  });

  it('fires nothing on a trivial question', () => {
    expect(signalsOf(ask('What is the capital of France?'))).toEqual([]);
  });

  it('does not take English with a few accented names for another language', () => {
    expect(signalsOf(ask('Summarize the paper by José García and Zoë Müller on café supply chains for the team.'))).not.toContain('non-english');
  });

  it('reads cues from the user, not from an earlier assistant answer', () => {
    const answerOnly: ClassifyRequest = {
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Explain step by step, analyze, compare and evaluate: you must never ever avoid the format.' },
      ],
    };
    const features = extractFeatures(answerOnly);
    expect(features.reasoning).toBe(0);
    expect(features.constraints).toBe(0);
    // ... but the answer still counts towards the prompt the model has to read.
    expect(features.promptTokens).toBeGreaterThan(extractFeatures(ask('Hi')).promptTokens + 15);
  });

  it('treats words inside a code block as code, not instructions', () => {
    const features = extractFeatures(ask('```\n// you must always explain step by step\nlet x = 1;\n```'));
    expect(features.reasoning).toBe(0);
    expect(features.constraints).toBe(0);
    expect(features.code).toBeGreaterThanOrEqual(2);
  });

  it('does not count dates and hyphenated words as arithmetic', () => {
    expect(signalsOf(ask('The well-known meeting on 2024-05-06 moved to 2024-05-13.'))).not.toContain('math');
  });
});

describe('request shapes', () => {
  it('reads text parts and ignores other part types', () => {
    const parts: ClassifyRequest = {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Solve for x: 3x + 5 = 20.' },
            { type: 'image_url', image_url: { url: 'https://example.com/x.png' } },
          ],
        },
      ],
    };
    expect(signalsOf(parts)).toContain('math');
  });

  it('tolerates null content and unknown roles', () => {
    const request: ClassifyRequest = {
      messages: [
        { role: 'user', content: 'Call the tool.' },
        { role: 'assistant', content: null },
        { role: 'tool', content: '{"ok":true}' },
        { role: 'critic', content: 42 },
      ],
    };
    expect(() => extractFeatures(request)).not.toThrow();
    expect(extractFeatures(request).depth).toBe(3);
  });

  it('reads completion prompts, single and batched', () => {
    expect(signalsOf({ prompt: 'Solve for x: 3x + 5 = 20.' })).toContain('math');
    expect(signalsOf({ prompt: ['Hello', 'def f(x):\n    return x;\n'] })).toContain('code');
  });

  it('does not count the system prompt as a conversation turn', () => {
    const request: ClassifyRequest = {
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Hi' },
      ],
    };
    expect(extractFeatures(request).depth).toBe(0);
  });
});
