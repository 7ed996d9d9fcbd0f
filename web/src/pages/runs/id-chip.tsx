import { useEffect, useRef, useState } from 'react';
import { shortId } from './format';

/**
 * An id shortened to its first 8 characters (the whole id in its tooltip), with a button that
 * copies the whole id and says so. `what` names the object for screen readers ("run", "agent").
 */
export function IdChip({ id, what, children }: { id: string; what: string; children?: React.ReactNode }) {
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(id);
      setCopied('copied');
    } catch {
      setCopied('failed');
    }
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setCopied('idle'), 3000);
  };
  return (
    <span className="id-chip">
      {children ?? <code title={id}>{shortId(id)}</code>}
      <button type="button" className="id-copy" aria-label={`Copy the ${what} id ${shortId(id)}`} title={`Copy ${id}`} onClick={() => void copy()}>
        <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">
          <path fill="currentColor" d="M5 1h8a2 2 0 0 1 2 2v8h-2V3H5V1Zm-2 4h7a2 2 0 0 1 2 2v6a2 2 0 0 1-2 2H3a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2Zm0 2v6h7V7H3Z" />
        </svg>
      </button>
      <span role="status" className={copied === 'idle' ? 'visually-hidden' : 'small muted'}>
        {copied === 'copied' ? 'Copied' : copied === 'failed' ? 'Copy failed' : ''}
      </span>
    </span>
  );
}
