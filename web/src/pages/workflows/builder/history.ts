import { useCallback, useState } from 'react';

/**
 * Undo and redo over immutable values. Each recorded change pushes the value before it; a change
 * with a coalescing key within COALESCE_MS of the last one with the same key replaces it instead
 * (typing in a field is one step, not one per key). A node drag records once, at its start
 * (`checkpoint`), and moves without recording until it ends.
 */

const LIMIT = 200;
const COALESCE_MS = 1000;

interface State<T> {
  past: T[];
  present: T;
  future: T[];
  /** The key and time of the last recorded change, for coalescing. */
  last: { key: string; at: number } | null;
}

/** How a change enters the history: true records it, false replaces the present, a string coalesces. */
export type RecordMode = boolean | string;

export interface History<T> {
  value: T;
  set: (update: (current: T) => T, record?: RecordMode) => void;
  /** Records the present as a step (before a drag moves things without recording). */
  checkpoint: () => void;
  undo: () => void;
  redo: () => void;
  canUndo: boolean;
  canRedo: boolean;
  /** Starts over from `value` (a load, a save's answer, a restore): no undo past it. */
  reset: (value: T) => void;
}

export function useHistory<T>(initial: T): History<T> {
  const [state, setState] = useState<State<T>>({ past: [], present: initial, future: [], last: null });

  const set = useCallback((update: (current: T) => T, record: RecordMode = true) => {
    setState((s) => {
      const next = update(s.present);
      if (next === s.present) return s;
      if (record === false) return { ...s, present: next };
      const now = Date.now();
      if (typeof record === 'string' && s.last?.key === record && now - s.last.at < COALESCE_MS) {
        return { ...s, present: next, future: [], last: { key: record, at: now } };
      }
      return { past: [...s.past, s.present].slice(-LIMIT), present: next, future: [], last: typeof record === 'string' ? { key: record, at: now } : null };
    });
  }, []);

  const checkpoint = useCallback(() => {
    setState((s) => ({ past: [...s.past, s.present].slice(-LIMIT), present: s.present, future: [], last: null }));
  }, []);

  const undo = useCallback(() => {
    setState((s) => {
      // A checkpoint nothing moved after is the present itself: not a step.
      const past = s.past.filter((v, i) => i < s.past.length - 1 || v !== s.present);
      const previous = past.at(-1);
      if (previous === undefined) return past.length === s.past.length ? s : { ...s, past };
      return { past: past.slice(0, -1), present: previous, future: [s.present, ...s.future], last: null };
    });
  }, []);

  const redo = useCallback(() => {
    setState((s) => {
      const [next, ...rest] = s.future;
      if (next === undefined) return s;
      return { past: [...s.past, s.present], present: next, future: rest, last: null };
    });
  }, []);

  const reset = useCallback((value: T) => setState({ past: [], present: value, future: [], last: null }), []);

  return { value: state.present, set, checkpoint, undo, redo, canUndo: state.past.some((v) => v !== state.present), canRedo: state.future.length > 0, reset };
}
