/**
 * Splits a templated string into its literal text and its `{{ expression }}` pieces, without
 * evaluating anything (src/workflows/expressions.ts evaluates them).
 *
 * - `{{` opens an expression; the first `}}` that is outside a string literal, a comment and any
 *   `{ … }` the expression itself opens closes it, so `{{ {"a": {"b": 1}} }}` is one expression.
 * - `\{{` is a literal `{{` (the backslash is dropped); a lone `}}` in the text is literal.
 */

export type TemplatePart =
  | { kind: 'text'; text: string }
  /** `offset`: where the expression's text starts in the template (for error positions). */
  | { kind: 'expr'; text: string; offset: number };

export type SplitTemplate = { parts: TemplatePart[]; fault?: undefined } | { parts?: undefined; fault: { message: string; position: number } };

export function splitTemplate(text: string): SplitTemplate {
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('\\{{', i)) {
      literal += '{{';
      i += 3;
      continue;
    }
    if (!text.startsWith('{{', i)) {
      literal += text[i];
      i += 1;
      continue;
    }
    const end = closingBraces(text, i + 2);
    if (end < 0) return { fault: { message: 'a `{{` is not closed by `}}` (write `\\{{` for a literal `{{`)', position: i } };
    if (literal) parts.push({ kind: 'text', text: literal });
    literal = '';
    parts.push({ kind: 'expr', text: text.slice(i + 2, end), offset: i + 2 });
    i = end + 2;
  }
  if (literal) parts.push({ kind: 'text', text: literal });
  return { parts };
}

/** The index of the `}}` that closes an expression starting at `from`, or -1. */
function closingBraces(text: string, from: number): number {
  let depth = 0;
  let i = from;
  while (i < text.length) {
    const c = text[i];
    if (c === '"' || c === "'" || c === '`') {
      i = skipQuoted(text, i, c);
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      if (close < 0) return -1;
      i = close + 2;
      continue;
    }
    if (c === '{') depth += 1;
    else if (c === '}') {
      if (depth === 0 && text[i + 1] === '}') return i;
      if (depth > 0) depth -= 1;
    }
    i += 1;
  }
  return -1;
}

/** The index just after the quote closing the literal opened at `start` (the text's end if none). */
function skipQuoted(text: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < text.length) {
    // Backquoted names have no escapes in JSONata; string literals do.
    if (text[i] === '\\' && quote !== '`') i += 2;
    else if (text[i] === quote) return i + 1;
    else i += 1;
  }
  return i;
}

/** Whether the template is exactly one `{{ expression }}` (whitespace around allowed): then it gives the value itself. */
export function soleExpression(parts: TemplatePart[]): Extract<TemplatePart, { kind: 'expr' }> | undefined {
  const exprs = parts.filter((p) => p.kind === 'expr');
  if (exprs.length !== 1) return undefined;
  return parts.every((p) => p.kind === 'expr' || p.text.trim() === '') ? exprs[0] : undefined;
}
