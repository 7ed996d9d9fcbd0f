import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { formatMicros, type Message } from './api';
import { Markdown, parseBlocks } from './markdown';
import { SseParser } from './sse';
import { toTurns } from './thread-model';

const html = (text: string) => renderToStaticMarkup(createElement(Markdown, { text }));

describe('chat: SSE parsing', () => {
  it('parses events split across chunks, skips comments, keeps ids and joins multi-line data', () => {
    const p = new SseParser();
    expect(p.push(': keep-alive\n\nevent: text.delta\ndata: {"te')).toEqual([]);
    expect(p.push('xt":"Hi"}\n\nid: 7\r\nevent: run.finished\r\ndata: {"status":"succeeded"}\r\n\r\n')).toEqual([
      { event: 'text.delta', data: { text: 'Hi' } },
      { event: 'run.finished', data: { status: 'succeeded' }, id: '7' },
    ]);
    expect(p.push('data: line one\ndata: line two\n\n')).toEqual([{ event: 'message', data: 'line one\nline two' }]);
  });
});

describe('chat: markdown', () => {
  it('renders blocks and inline marks as elements, never raw HTML', () => {
    const out = html('# Title\n\nSome **bold**, *em*, `code` and [a link](https://example.com).\n\n- one\n- two\n\n1. first\n2. second\n\n> quoted\n\n```ts\nconst a = "x"; // note\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |');
    expect(out).toContain('<h3>Title</h3>');
    expect(out).toContain('<strong>bold</strong>');
    expect(out).toContain('<em>em</em>');
    expect(out).toContain('<code>code</code>');
    expect(out).toContain('<a href="https://example.com" target="_blank" rel="noopener noreferrer nofollow">a link</a>');
    expect(out).toContain('<ul><li>one</li><li>two</li></ul>');
    expect(out).toContain('<ol><li>first</li><li>second</li></ol>');
    expect(out).toContain('<blockquote><p>quoted</p></blockquote>');
    expect(out).toContain('<span class="tok-keyword">const</span> a = <span class="tok-string">&quot;x&quot;</span>; <span class="tok-comment">// note</span>');
    expect(out).toContain('<th>a</th>');
    expect(out).toContain('<td>2</td>');
  });

  it('escapes HTML and refuses unsafe link targets', () => {
    const out = html('<script>alert(1)</script> <img src=x onerror=alert(1)> [click](javascript:alert(1))');
    expect(out).not.toContain('<script');
    expect(out).not.toContain('<img');
    expect(out).toContain('&lt;script&gt;');
    expect(out).not.toContain('href="javascript');
    expect(out).toContain('<span>click</span>');
  });

  it('keeps an unclosed code fence (a reply still streaming) as code', () => {
    expect(parseBlocks('Here:\n```py\nprint(1)')).toEqual([
      { kind: 'paragraph', text: 'Here:' },
      { kind: 'code', lang: 'py', text: 'print(1)' },
    ]);
  });
});

describe('chat: turns and costs', () => {
  const msg = (m: Partial<Message>): Message => ({ id: `m${m.seq}`, seq: 0, role: 'user', content: '', text: '', runId: null, inputTokens: null, outputTokens: null, costMicros: null, createdAt: '', ...m });

  it('groups a run’s assistant and tool messages into one reply with its tool calls and cost', () => {
    const turns = toTurns([
      msg({ seq: 1, role: 'user', content: 'What is 2+2?', text: 'What is 2+2?' }),
      msg({ seq: 2, role: 'assistant', runId: 'r1', content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'calculator', input: { expression: '2+2' } }] }),
      msg({ seq: 3, role: 'tool', runId: 'r1', content: [{ type: 'tool-result', toolCallId: 'c1', toolName: 'calculator', output: { type: 'json', value: { result: 4 } } }] }),
      msg({ seq: 4, role: 'assistant', runId: 'r1', content: [{ type: 'text', text: 'It is 4.' }], costMicros: 1234 }),
    ]);
    expect(turns).toHaveLength(2);
    expect(turns[1]).toMatchObject({ role: 'assistant', text: 'It is 4.', costMicros: 1234, seq: 4, runId: 'r1' });
    expect(turns[1]!.tools).toEqual([{ id: 'c1', name: 'calculator', args: { expression: '2+2' }, output: { result: 4 }, status: 'done' }]);
  });

  it('shows micro-dollars as dollars', () => {
    expect(formatMicros(0)).toBe('$0.00');
    expect(formatMicros(12)).toBe('$0.000012');
    expect(formatMicros(1500)).toBe('$0.0015');
    expect(formatMicros(50_000)).toBe('$0.05');
    expect(formatMicros(1_234_567)).toBe('$1.2346');
    expect(formatMicros(250_000_000)).toBe('$250.00');
  });
});
