import { describe, expect, it } from 'vitest';
import { classifyText, findPhrase, type ClassificationRule } from './classify.js';

const rules: ClassificationRule[] = [
  { label: 'billing', keywords: ['invoice', 'refund', 'charged twice'], priority: 0 },
  { label: 'outage', keywords: ['down', 'not loading', 'error 500'], priority: 10 },
  { label: 'sales', keywords: ['pricing', 'quote', 'invoice'], priority: 0 },
  { label: 'café', keywords: ['café', '日本'] },
];

describe('classifyText', () => {
  it.each([
    ['Please send me the invoice', 'billing', ['invoice']], // tie with sales on priority and hits: label order
    ['I was CHARGED   twice, I want a refund', 'billing', ['refund', 'charged twice']],
    ['Need a quote and pricing for the invoice', 'sales', ['pricing', 'quote', 'invoice']], // most hits
    ['The site is down and I need a refund', 'outage', ['down']], // priority beats hits
    ['Getting error 500 on checkout', 'outage', ['error 500']],
    ['Un café, por favor', 'café', ['café']],
    ['東京は日本にある', 'café', ['日本']], // scripts without spaces match as substrings
    ['invoices are fine', null, []], // whole words only
    ['download the app', null, []], // "down" is not a word here
    ['', null, []],
  ] as const)('%j → %s', (text, label, matched) => {
    const result = classifyText(text, rules);
    if (label === null) expect(result).toBeNull();
    else expect(result).toEqual({ label, matched });
  });

  it('does not depend on the order the rules come in', () => {
    const text = 'Where is my invoice?';
    expect(classifyText(text, [...rules].reverse())).toEqual(classifyText(text, rules));
  });

  it('treats keyword punctuation literally', () => {
    expect(classifyText('is c++ supported?', [{ label: 'lang', keywords: ['c++'] }])?.label).toBe('lang');
    expect(classifyText('a.b', [{ label: 'x', keywords: ['a*b'] }])).toBeNull();
  });

  it('finds a phrase as a whole word, case-insensitively', () => {
    expect(findPhrase('What is the Current Time?', 'current time')).toBe(12);
    expect(findPhrase('current_time please', 'current_time')).toBe(0);
    expect(findPhrase('concurrent times', 'current time')).toBe(-1);
  });
});
