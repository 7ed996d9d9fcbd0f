import { useEffect, useRef, useState, type JSX, type ReactNode } from 'react';
import ReactMarkdown, { type Components, type ExtraProps, type UrlTransform } from 'react-markdown';
import rehypeHighlight from 'rehype-highlight';
import remarkGfm from 'remark-gfm';

/*
 * Replies are Markdown (CommonMark + GitHub's tables, task lists, strike-through and bare links),
 * rendered by react-markdown into React elements, never HTML strings:
 * - raw HTML in a reply is shown as text (react-markdown's default without rehype-raw), so nothing
 *   in a reply can inject markup or scripts;
 * - links go only to http, https and mailto addresses (anything else is plain text) and open in a
 *   new tab without `window.opener` or a referrer;
 * - images are not loaded (a reply could track whoever reads it): they become a link to the image;
 * - code blocks are highlighted by highlight.js (rehype-highlight; classes `hljs-*`, themed in
 *   chat.css with the app's palette), with a copy button; a block or table that scrolls takes the
 *   keyboard focus so arrow keys can scroll it.
 */

const SAFE_URL = /^(https?:|mailto:)/i;

/** Only absolute http(s) and mailto URLs survive; '' (then shown as text) for the rest. */
export const safeUrl: UrlTransform = (url) => (SAFE_URL.test(url) ? url : '');

type HastNode = { type: string; value?: string; tagName?: string; properties?: Record<string, unknown>; children?: HastNode[] };

const textOf = (node: HastNode | undefined): string => (node?.type === 'text' ? (node.value ?? '') : (node?.children ?? []).map(textOf).join(''));

/** Whether an element overflows its box (then it must be focusable to be scrolled by keyboard); rechecked on resize and when `content` changes. */
function useOverflows<T extends HTMLElement>(content: unknown) {
  const ref = useRef<T>(null);
  const [overflows, setOverflows] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const check = () => setOverflows(el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1);
    check();
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(check);
    observer.observe(el);
    return () => observer.disconnect();
  }, [content]);
  return [ref, overflows] as const;
}

function CodeBlock({ node, children }: { node: HastNode | undefined; children: ReactNode }) {
  const [copied, setCopied] = useState(false);
  const code = node?.children?.find((c) => c.tagName === 'code');
  const classes = (code?.properties?.className as string[] | undefined) ?? [];
  const lang = classes.find((c) => c.startsWith('language-'))?.slice('language-'.length) ?? '';
  const text = textOf(code ?? node).replace(/\n$/, '');
  const [ref, overflows] = useOverflows<HTMLPreElement>(text);
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
      {/* Scrolls: a named, focusable group, so a keyboard can reach and scroll it (WCAG 2.1.1). */}
      <pre ref={ref} {...(overflows ? { tabIndex: 0, role: 'group', 'aria-label': `${lang || 'Code'} code block (scrolls)` } : {})}>
        {children}
      </pre>
    </div>
  );
}

function TableBlock({ children }: { children: ReactNode }) {
  const [ref, overflows] = useOverflows<HTMLDivElement>(children);
  return (
    <div ref={ref} className="md-table" {...(overflows ? { tabIndex: 0, role: 'group', 'aria-label': 'Table (scrolls)' } : {})}>
      <table>{children}</table>
    </div>
  );
}

type Props<T extends keyof JSX.IntrinsicElements> = JSX.IntrinsicElements[T] & ExtraProps;

// Replies sit inside a page that has its own h1 and h2: their headings start at h3.
const heading =
  (Tag: 'h3' | 'h4' | 'h5' | 'h6') =>
  ({ children }: Props<'h1'>) => <Tag>{children}</Tag>;

const components: Components = {
  h1: heading('h3'),
  h2: heading('h4'),
  h3: heading('h5'),
  h4: heading('h6'),
  h5: heading('h6'),
  h6: heading('h6'),
  a: ({ href, children }: Props<'a'>) =>
    href ? (
      <a href={href} target="_blank" rel="noopener noreferrer nofollow">
        {children}
      </a>
    ) : (
      <span>{children}</span>
    ),
  img: ({ src, alt }: Props<'img'>) =>
    typeof src === 'string' && src ? (
      <a href={src} target="_blank" rel="noopener noreferrer nofollow" className="md-image-link">
        Image: {alt || src}
      </a>
    ) : (
      <span>{alt}</span>
    ),
  pre: ({ node, children }: Props<'pre'>) => <CodeBlock node={node as HastNode | undefined}>{children}</CodeBlock>,
  table: ({ children }: Props<'table'>) => <TableBlock>{children}</TableBlock>,
  // Task-list boxes: read-only, and say what they mean.
  input: ({ type, checked }: Props<'input'>) =>
    type === 'checkbox' ? <input type="checkbox" checked={!!checked} disabled readOnly aria-label={checked ? 'Done' : 'Not done'} /> : null,
};

const remarkPlugins = [remarkGfm];
const rehypePlugins = [rehypeHighlight];

/** Renders a reply's Markdown safely (React elements only; no raw HTML, no remote images). */
export function Markdown({ text }: { text: string }) {
  return (
    <div className="md">
      <ReactMarkdown remarkPlugins={remarkPlugins} rehypePlugins={rehypePlugins} components={components} urlTransform={safeUrl}>
        {text}
      </ReactMarkdown>
    </div>
  );
}
