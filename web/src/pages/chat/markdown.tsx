import { useState, type ReactNode } from 'react';
import { highlight } from './highlight';

/*
 * A minimal Markdown renderer for replies, building React elements (never HTML strings, so
 * nothing in a reply can inject markup or scripts): headings, paragraphs, lists, quotes, rules,
 * fenced code blocks (highlighted, with a copy button), tables, and inline code, bold, italics,
 * strike-through and links (http, https and mailto only; they open in a new tab).
 */

type Block =
  | { kind: 'code'; lang: string; text: string }
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'list'; ordered: boolean; start: number; items: string[] }
  | { kind: 'quote'; text: string }
  | { kind: 'rule' }
  | { kind: 'table'; head: string[]; rows: string[][] }
  | { kind: 'paragraph'; text: string };

const FENCE = /^\s{0,3}(```+|~~~+)\s*([\w+#.-]*)/;
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const BULLET = /^\s{0,3}[-*+]\s+(.*)$/;
const NUMBERED = /^\s{0,3}(\d{1,9})[.)]\s+(.*)$/;
const RULE = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;
const QUOTE = /^\s{0,3}>\s?(.*)$/;
const TABLE_SEP = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

const cells = (line: string) => line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());

/** Splits Markdown text into blocks. An unclosed fence (a reply still streaming) runs to the end. */
export function parseBlocks(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  const startsBlock = (line: string) => FENCE.test(line) || HEADING.test(line) || BULLET.test(line) || NUMBERED.test(line) || RULE.test(line) || QUOTE.test(line);
  while (i < lines.length) {
    const line = lines[i]!;
    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1]!;
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.trimStart().startsWith(marker)) body.push(lines[i++]!);
      i++;
      blocks.push({ kind: 'code', lang: fence[2] ?? '', text: body.join('\n') });
      continue;
    }
    if (!line.trim()) {
      i++;
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push({ kind: 'heading', level: heading[1]!.length, text: heading[2]! });
      i++;
      continue;
    }
    if (RULE.test(line)) {
      blocks.push({ kind: 'rule' });
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const body: string[] = [];
      while (i < lines.length && QUOTE.test(lines[i]!)) body.push(QUOTE.exec(lines[i++]!)![1]!);
      blocks.push({ kind: 'quote', text: body.join('\n') });
      continue;
    }
    const bullet = BULLET.exec(line);
    const numbered = NUMBERED.exec(line);
    if (bullet || numbered) {
      const ordered = !bullet;
      const re = ordered ? NUMBERED : BULLET;
      const items: string[] = [];
      while (i < lines.length) {
        const l = lines[i]!;
        const m = re.exec(l);
        if (m) {
          items.push(ordered ? m[2]! : m[1]!);
          i++;
        } else if (l.trim() && /^\s+/.test(l) && items.length && !startsBlock(l.trimStart())) {
          items[items.length - 1] += `\n${l.trim()}`;
          i++;
        } else if (!l.trim() && i + 1 < lines.length && re.test(lines[i + 1]!)) {
          i++;
        } else break;
      }
      blocks.push({ kind: 'list', ordered, start: ordered ? Number(numbered![1]) : 1, items });
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && TABLE_SEP.test(lines[i + 1]!)) {
      const head = cells(line);
      i += 2;
      const rows: string[][] = [];
      while (i < lines.length && lines[i]!.includes('|') && lines[i]!.trim()) rows.push(cells(lines[i++]!));
      blocks.push({ kind: 'table', head, rows });
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && lines[i]!.trim() && !startsBlock(lines[i]!)) para.push(lines[i++]!);
    blocks.push({ kind: 'paragraph', text: para.join('\n') });
  }
  return blocks;
}

const SAFE_URL = /^(https?:\/\/|mailto:)/i;
const INLINE = /(`+)([\s\S]*?[^`])\1(?!`)|\*\*([\s\S]+?)\*\*|__([\s\S]+?)__|~~([\s\S]+?)~~|\*(?!\s)([\s\S]+?)\*|(?<![\w])_(?!\s)([\s\S]+?)_(?![\w])|\[([^\]\n]+)\]\(\s*<?([^)\s>]+)>?\s*\)|(https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"])/g;

/** Inline Markdown as React nodes; line breaks inside a paragraph are kept. */
export function renderInline(text: string, keyPrefix = 'i'): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  let n = 0;
  const push = (s: string) => {
    const parts = s.split('\n');
    parts.forEach((p, idx) => {
      if (idx > 0) out.push(<br key={`${keyPrefix}-br${n++}`} />);
      if (p) out.push(p);
    });
  };
  for (const m of text.matchAll(INLINE)) {
    push(text.slice(last, m.index));
    last = m.index + m[0].length;
    const key = `${keyPrefix}-${n++}`;
    if (m[1] !== undefined) out.push(<code key={key}>{m[2]!.replace(/^ (.*) $/, '$1')}</code>);
    else if (m[3] !== undefined || m[4] !== undefined) out.push(<strong key={key}>{renderInline(m[3] ?? m[4]!, key)}</strong>);
    else if (m[5] !== undefined) out.push(<del key={key}>{renderInline(m[5], key)}</del>);
    else if (m[6] !== undefined || m[7] !== undefined) out.push(<em key={key}>{renderInline(m[6] ?? m[7]!, key)}</em>);
    else if (m[8] !== undefined) {
      const href = m[9]!;
      out.push(
        SAFE_URL.test(href) ? (
          <a key={key} href={href} target="_blank" rel="noopener noreferrer nofollow">
            {renderInline(m[8], key)}
          </a>
        ) : (
          <span key={key}>{renderInline(m[8], key)}</span>
        ),
      );
    } else if (m[10] !== undefined) {
      out.push(
        <a key={key} href={m[10]} target="_blank" rel="noopener noreferrer nofollow">
          {m[10]}
        </a>,
      );
    }
  }
  push(text.slice(last));
  return out;
}

function CodeBlock({ lang, text }: { lang: string; text: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="md-code">
      <div className="md-code-bar">
        <span>{lang || 'code'}</span>
        <button
          type="button"
          className="md-code-copy"
          onClick={() => {
            void navigator.clipboard?.writeText(text).then(() => {
              setCopied(true);
              setTimeout(() => setCopied(false), 1500);
            });
          }}
        >
          {copied ? 'Copied' : 'Copy code'}
        </button>
      </div>
      <pre>
        <code className={lang ? `language-${lang}` : undefined}>{highlight(text, lang)}</code>
      </pre>
    </div>
  );
}

function renderBlock(b: Block, key: string): ReactNode {
  switch (b.kind) {
    case 'code':
      return <CodeBlock key={key} lang={b.lang} text={b.text} />;
    case 'heading': {
      // Replies sit inside a page that has its own headings: keep them below h2.
      const Tag = (['h3', 'h4', 'h5', 'h6'] as const)[Math.min(3, Math.max(0, b.level - 1))]!;
      return <Tag key={key}>{renderInline(b.text, key)}</Tag>;
    }
    case 'rule':
      return <hr key={key} />;
    case 'quote':
      return <blockquote key={key}>{parseBlocks(b.text).map((c, j) => renderBlock(c, `${key}-${j}`))}</blockquote>;
    case 'list': {
      const items = b.items.map((item, j) => <li key={j}>{renderInline(item, `${key}-${j}`)}</li>);
      return b.ordered ? (
        <ol key={key} start={b.start === 1 ? undefined : b.start}>
          {items}
        </ol>
      ) : (
        <ul key={key}>{items}</ul>
      );
    }
    case 'table':
      return (
        <div key={key} className="md-table">
          <table>
            <thead>
              <tr>
                {b.head.map((h, j) => (
                  <th key={j}>{renderInline(h, `${key}-h${j}`)}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {b.rows.map((r, j) => (
                <tr key={j}>
                  {r.map((c, k) => (
                    <td key={k}>{renderInline(c, `${key}-${j}-${k}`)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      );
    default:
      return <p key={key}>{renderInline(b.text, key)}</p>;
  }
}

/** Renders Markdown safely (React elements only). */
export function Markdown({ text }: { text: string }) {
  return <div className="md">{parseBlocks(text).map((b, i) => renderBlock(b, `b${i}`))}</div>;
}
