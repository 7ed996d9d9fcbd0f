import type { ReactNode } from 'react';

/*
 * A small syntax highlighter for code blocks in replies: comments, strings, numbers, keywords
 * and literals of the C-like, Python and shell families, JSON, and the like. It only wraps text
 * in <span>s (React escapes it); an unknown language gets the same generic rules.
 */

const KEYWORDS = new Set(
  (
    'abstract and as async await break case catch class const continue def default del do elif else enum export extends ' +
    'final finally fn for from func function go if impl import in interface is let loop match mod module mut new not ' +
    'or package pass private protected pub public raise return self static struct super switch this throw trait try ' +
    'type typeof union use val var void where while with yield echo fi then done esac select insert update delete ' +
    'create table values into set join on group by order limit having lambda'
  ).split(' '),
);
const LITERALS = new Set(['true', 'false', 'null', 'undefined', 'None', 'True', 'False', 'nil', 'NaN', 'Infinity']);

const TOKEN = new RegExp(
  [
    String.raw`(?<comment>\/\/[^\n]*|\/\*[\s\S]*?\*\/|#(?![{[])[^\n]*|--[^\n]*)`,
    String.raw`(?<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|\x60(?:[^\x60\\]|\\.)*\x60)`,
    String.raw`(?<number>\b(?:0x[\da-fA-F]+|\d+(?:\.\d+)?(?:e[+-]?\d+)?)\b)`,
    String.raw`(?<word>\b[A-Za-z_$][\w$]*\b)`,
  ].join('|'),
  'g',
);

/** The code as highlighted React nodes. `#` starts a comment only in languages that use it. */
export function highlight(code: string, lang: string): ReactNode[] {
  const hashComments = /^(py|python|sh|bash|shell|zsh|rb|ruby|yaml|yml|toml|r|perl|pl|conf|ini|dockerfile|makefile)$/i.test(lang);
  const dashComments = /^(sql|lua|haskell|hs)$/i.test(lang);
  const out: ReactNode[] = [];
  let last = 0;
  let key = 0;
  for (const m of code.matchAll(TOKEN)) {
    const g = m.groups!;
    let cls: string | null = null;
    if (g.comment !== undefined) {
      const c = g.comment;
      if ((c.startsWith('#') && !hashComments) || (c.startsWith('--') && !dashComments)) continue;
      cls = 'comment';
    } else if (g.string !== undefined) cls = 'string';
    else if (g.number !== undefined) cls = 'number';
    else if (g.word !== undefined) cls = KEYWORDS.has(g.word) ? 'keyword' : LITERALS.has(g.word) ? 'literal' : null;
    if (!cls) continue;
    if (m.index > last) out.push(code.slice(last, m.index));
    out.push(
      <span key={key++} className={`tok-${cls}`}>
        {m[0]}
      </span>,
    );
    last = m.index + m[0].length;
  }
  if (last < code.length) out.push(code.slice(last));
  return out;
}
