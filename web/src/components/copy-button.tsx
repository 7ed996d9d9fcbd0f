import { useEffect, useRef, useState } from 'react';
import { Button } from './button';

/**
 * Copies `text` to the clipboard and says so ("Copied"). Where the clipboard is not available
 * (plain HTTP on another host), it selects the text of `selectTarget` instead and asks for Ctrl+C.
 */
export function CopyButton({ text, label = 'Copy', selectTarget }: { text: string; label?: string; selectTarget?: () => HTMLInputElement | null }) {
  const [state, setState] = useState<'idle' | 'copied' | 'manual'>('idle');
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      const input = selectTarget?.();
      input?.focus();
      input?.select();
      setState('manual');
    }
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setState('idle'), 4000);
  };
  return (
    <span className="copy-button">
      <Button onClick={() => void copy()}>{label}</Button>
      <span role="status" className={state === 'idle' ? 'visually-hidden' : 'small muted'}>
        {state === 'copied' ? 'Copied' : state === 'manual' ? 'Selected: press Ctrl+C (⌘C) to copy' : ''}
      </span>
    </span>
  );
}
