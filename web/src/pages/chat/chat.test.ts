import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { Message } from './api';
import { Markdown } from './markdown';
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

describe('chat: markdown (react-markdown + remark-gfm + rehype-highlight)', () => {
  it('renders blocks and inline marks as elements', () => {
    const out = html('# Title\n\nSome **bold**, *em*, ~~gone~~, `code` and [a link](https://example.com).\n\n- one\n- two\n\n1. first\n2. second\n\n> quoted\n\n---');
    expect(out).toContain('<h3>Title</h3>');
    expect(out).toContain('<strong>bold</strong>');
    expect(out).toContain('<em>em</em>');
    expect(out).toContain('<del>gone</del>');
    expect(out).toContain('<code>code</code>');
    expect(out).toContain('<a href="https://example.com" target="_blank" rel="noopener noreferrer nofollow">a link</a>');
    expect(out).toContain('<ul>\n<li>one</li>\n<li>two</li>\n</ul>');
    expect(out).toContain('<ol>\n<li>first</li>\n<li>second</li>\n</ol>');
    expect(out).toContain('<blockquote>\n<p>quoted</p>\n</blockquote>');
    expect(out).toContain('<hr/>');
  });

  it('keeps headings below the page’s own h1 and h2', () => {
    expect(html('## Two\n\n###### Six')).toBe('<div class="md"><h4>Two</h4>\n<h6>Six</h6></div>');
  });

  it('nests lists (the old renderer flattened them) and keeps an ordered list’s start', () => {
    const out = html('1. Prepare\n   - wash\n   - chop\n     1. onions\n     2. garlic\n2. Cook\n\nThen:\n\n7. seven\n8. eight');
    expect(out).toBe(
      '<div class="md"><ol>\n<li>Prepare\n<ul>\n<li>wash</li>\n<li>chop\n<ol>\n<li>onions</li>\n<li>garlic</li>\n</ol>\n</li>\n</ul>\n</li>\n<li>Cook</li>\n</ol>\n' +
        '<p>Then:</p>\n<ol start="7">\n<li>seven</li>\n<li>eight</li>\n</ol></div>',
    );
  });

  it('renders GitHub tables with alignment, and task lists as read-only boxes', () => {
    const out = html('| Model | Cost |\n|:--|--:|\n| mini | $0.15 |\n| **big** | $2.50 |\n\n- [x] done\n- [ ] todo');
    expect(out).toContain('<div class="md-table"><table><thead>');
    expect(out).toContain('<th style="text-align:left">Model</th>');
    expect(out).toContain('<td style="text-align:right">$2.50</td>');
    expect(out).toContain('<td style="text-align:left"><strong>big</strong></td>');
    expect(out).toContain('<li class="task-list-item"><input type="checkbox" disabled="" readOnly="" aria-label="Done" checked=""/> done</li>');
    expect(out).toContain('aria-label="Not done"');
  });

  it('highlights fenced code by its language, with the language and a copy button above it', () => {
    const out = html('```ts\nconst a = "x"; // note\n```');
    expect(out).toContain('<span>ts</span><button type="button" class="md-code-copy">Copy code</button>');
    expect(out).toContain('<code class="hljs language-ts"><span class="hljs-keyword">const</span> a = <span class="hljs-string">&quot;x&quot;</span>; <span class="hljs-comment">// note</span>\n</code>');
    // An unknown language is shown as plain code, not an error.
    expect(html('```nosuchlang\nx = 1\n```')).toContain('<code class="hljs language-nosuchlang">x = 1\n</code>');
    // No language: no guessing.
    expect(html('```\nplain <b>\n```')).toContain('<pre><code>plain &lt;b&gt;\n</code></pre>');
  });

  it('keeps an unclosed code fence (a reply still streaming) as code', () => {
    const out = html('Here:\n```py\nprint(1)');
    expect(out).toContain('<p>Here:</p>');
    expect(out).toContain('<code class="hljs language-py"><span class="hljs-built_in">print</span>(<span class="hljs-number">1</span>)\n</code>');
  });

  it('shows raw HTML as text, never markup', () => {
    const out = html('<script>alert(1)</script>\n\nHi <img src=x onerror=alert(1)> <b onclick="x()">b</b>\n\n<iframe src="https://evil.example"></iframe>');
    expect(out).not.toMatch(/<(script|img|b|iframe)[\s>]/);
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;');
    // No element carries an event handler: the attributes are only in the escaped text.
    expect(out).not.toMatch(/<[a-z][^>]*\son\w+=/i);
  });

  it('refuses unsafe link targets and never loads images', () => {
    for (const target of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html;base64,PHNjcmlwdD4=', 'vbscript:msgbox(1)', '/settings/api-keys', '//evil.example/x']) {
      const out = html(`[click](${target})`);
      expect(out, target).not.toContain('href=');
      expect(out, target).toContain('<span>click</span>');
    }
    expect(html('[mail](mailto:a@example.com)')).toContain('href="mailto:a@example.com"');
    // Reference links and bare URLs (GFM autolinks) get the same treatment.
    expect(html('[x][r]\n\n[r]: javascript:alert(1)')).not.toContain('href=');
    expect(html('see https://example.com/a')).toContain('<a href="https://example.com/a" target="_blank" rel="noopener noreferrer nofollow">');
    // Images: a link to the image, nothing fetched; an unsafe source is just its alt text.
    const img = html('![a cat](https://example.com/cat.png) ![x](javascript:alert(1))');
    expect(img).not.toContain('<img');
    expect(img).toContain('<a href="https://example.com/cat.png" target="_blank" rel="noopener noreferrer nofollow" class="md-image-link">Image: a cat</a>');
    expect(img).toContain('<span>x</span>');
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
});
