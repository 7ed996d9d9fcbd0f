import { useSearchParams } from 'react-router';

/**
 * A list page's filters in the URL: the current search params, and `set` to change some of them
 * (an empty value removes one). A change other than the page's offset goes back to the first page.
 */
export function useListParams(): [URLSearchParams, (changes: Record<string, string>) => void] {
  const [params, setParams] = useSearchParams();
  const set = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (!('offset' in changes)) next.delete('offset');
    setParams(next, { replace: true });
  };
  return [params, set];
}
