import { describe, expect, it } from 'vitest';
import { composeSystemPrompt, type PromptSource } from './prompt.js';

const base: PromptSource = { name: 'Ava', role: '', description: '', instructions: '', personality: { traits: [] } };

describe('composeSystemPrompt', () => {
  it('renders every part in order, separated by blank lines', () => {
    const out = composeSystemPrompt({
      name: 'Ava',
      role: 'a support specialist for Acme',
      description: 'You answer questions about Acme routers.',
      instructions: 'Always ask for the serial number.\nNever promise refunds.',
      personality: { traits: ['patient', 'precise'], tone: 'warm', behavior: 'Ask one question at a time', languageStyle: 'plain English' },
    });
    expect(out.systemPrompt).toBe(
      [
        'You are Ava, a support specialist for Acme.',
        'You answer questions about Acme routers.',
        '',
        '# Instructions',
        'Always ask for the serial number.',
        'Never promise refunds.',
        '',
        '# Personality',
        '- Traits: patient, precise',
        '- Tone: warm',
        '- Behavior: Ask one question at a time',
        '- Language style: plain English',
      ].join('\n'),
    );
    expect(out.sections.map((s) => s.name)).toEqual(['identity', 'instructions', 'personality']);
    expect(out.sections.map((s) => s.text).join('\n\n')).toBe(out.systemPrompt);
  });

  it('leaves out empty parts', () => {
    const out = composeSystemPrompt({ ...base, personality: { traits: [], tone: 'dry' } });
    expect(out.systemPrompt).toBe('You are Ava.\n\n# Personality\n- Tone: dry');
    expect(out.sections.map((s) => s.name)).toEqual(['identity', 'personality']);
    expect(composeSystemPrompt(base)).toEqual({ systemPrompt: 'You are Ava.', sections: [{ name: 'identity', text: 'You are Ava.' }] });
  });

  it('does not double a final period, and names an unnamed draft', () => {
    expect(composeSystemPrompt({ ...base, role: 'a tutor.' }).systemPrompt).toBe('You are Ava, a tutor.');
    expect(composeSystemPrompt({ ...base, name: undefined, role: 'a tutor' }).systemPrompt).toBe('You are an AI assistant, a tutor.');
    expect(composeSystemPrompt({ ...base, name: '  ' }).systemPrompt).toBe('You are an AI assistant.');
  });

  it('trims, normalizes CRLF and keeps multi-line values inside their bullet', () => {
    const out = composeSystemPrompt({
      ...base,
      instructions: '  \r\nStep one.\r\nStep two.  \n',
      personality: { traits: [' kind ', ''], behavior: 'First line\r\nsecond line' },
    });
    expect(out.systemPrompt).toBe(
      'You are Ava.\n\n# Instructions\nStep one.\nStep two.\n\n# Personality\n- Traits: kind\n- Behavior: First line\n  second line',
    );
  });

  it('is deterministic and does not touch its input', () => {
    const agent: PromptSource = { ...base, personality: { traits: ['b', 'a'] } };
    const frozen = JSON.stringify(agent);
    expect(composeSystemPrompt(agent)).toEqual(composeSystemPrompt(agent));
    expect(composeSystemPrompt(agent).systemPrompt).toContain('- Traits: b, a');
    expect(JSON.stringify(agent)).toBe(frozen);
  });
});
