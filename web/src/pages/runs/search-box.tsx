import { useEffect, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import { TextField } from '../../components/fields';
import { useDebounced } from '../tasks/use-debounced';

/**
 * A search box kept in the address bar as `?<param>=` (so a search survives a reload and can be
 * shared): what is typed goes there once typing pauses (300 ms), replacing the history entry and
 * dropping `offset` (a new search starts on its first page).
 */
export function SearchBox({ id, label, placeholder, hint, param = 'q' }: { id: string; label: string; placeholder?: string; hint?: string; param?: string }) {
  const [params, setParams] = useSearchParams();
  const inUrl = params.get(param) ?? '';
  const [text, setText] = useState(inUrl);
  const settled = useDebounced(text, 300);
  // The URL moved on its own (back button, a link, "clear filters"): the box follows it.
  const written = useRef(inUrl);
  useEffect(() => {
    if (inUrl !== written.current) {
      written.current = inUrl;
      setText(inUrl);
    }
  }, [inUrl]);
  useEffect(() => {
    const value = settled.trim();
    if (value === written.current) return;
    written.current = value;
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (value) next.set(param, value);
        else next.delete(param);
        next.delete('offset');
        return next;
      },
      { replace: true },
    );
  }, [settled, param, setParams]);
  return (
    <div className="search-field">
      <TextField id={id} type="search" label={label} placeholder={placeholder} hint={hint} value={text} onChange={(e) => setText(e.target.value)} autoComplete="off" spellCheck={false} />
    </div>
  );
}
