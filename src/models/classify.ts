/** One keyword rule: text containing any of `keywords` may get `label`. */
export interface ClassificationRule {
  label: string;
  keywords: readonly string[];
  /** Higher wins. Default 0. */
  priority?: number;
}

export interface Classification {
  label: string;
  /** The rule's keywords found in the text, in the rule's order. */
  matched: string[];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// Compiled keyword patterns, shared by every call: rules change rarely and the same keywords are
// tested against every message. Cleared wholesale when it grows, which is cheaper than an LRU.
const patterns = new Map<string, RegExp>();
const MAX_PATTERNS = 10_000;

// Scripts written without spaces between words: there a keyword can only be found as a substring.
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

/**
 * A keyword as a whole-word, case-insensitive pattern: "bill" matches "Bill me" but not
 * "billing"; a phrase matches across any run of whitespace. Letters and digits of every script
 * count as word characters ("café" is one word); keywords in scripts written without spaces
 * (Chinese, Japanese, Thai, …) match anywhere.
 */
function keywordPattern(keyword: string): RegExp | null {
  const key = keyword.normalize('NFC').trim();
  if (!key) return null;
  let re = patterns.get(key);
  if (!re) {
    if (patterns.size >= MAX_PATTERNS) patterns.clear();
    const body = key.split(/\s+/).map(escape).join('\\s+');
    re = UNSPACED.test(key) ? new RegExp(body, 'iu') : new RegExp(`(?<![\\p{L}\\p{N}_])${body}(?![\\p{L}\\p{N}_])`, 'iu');
    patterns.set(key, re);
  }
  return re;
}

/**
 * Where `phrase` first occurs in `text` as a whole word or phrase (case-insensitive), or -1.
 * Used for keywords and for tool names the rules model listens for.
 */
export function findPhrase(text: string, phrase: string): number {
  const re = keywordPattern(phrase);
  return re ? (re.exec(text.normalize('NFC'))?.index ?? -1) : -1;
}

/**
 * The label of the best matching rule, or null when no keyword of any rule occurs in `text`.
 * Best = highest priority, then most distinct keywords found, then the label first in code-point
 * order — so the answer never depends on the order the rules were given in. Pure and
 * deterministic; no network.
 */
export function classifyText(text: string, rules: readonly ClassificationRule[]): Classification | null {
  const input = text.normalize('NFC');
  let best: { label: string; matched: string[]; priority: number } | null = null;
  for (const rule of rules) {
    const matched = rule.keywords.filter((k) => keywordPattern(k)?.test(input));
    if (matched.length === 0) continue;
    const priority = rule.priority ?? 0;
    const better =
      !best ||
      priority > best.priority ||
      (priority === best.priority && (matched.length > best.matched.length || (matched.length === best.matched.length && rule.label < best.label)));
    if (better) best = { label: rule.label, matched, priority };
  }
  return best && { label: best.label, matched: best.matched };
}
