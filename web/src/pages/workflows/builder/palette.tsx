import type { DragEvent } from 'react';
import { PALETTE, PALETTE_MIME, type PaletteEntry } from './node-kinds';

/**
 * The node palette: drag an entry onto the canvas (HTML5 drag and drop; the canvas places it
 * where it is dropped), or press it (keyboard users, touch screens) to add the node in view.
 * In a map body there is no trigger to add. Not shown to people who cannot edit.
 */
export function Palette({ inBody, onAdd }: { inBody: boolean; onAdd: (entry: PaletteEntry) => void }) {
  const entries = PALETTE.filter((e) => !(inBody && e.type === 'trigger'));
  const groups = [...new Set(entries.map((e) => e.group))];
  const onDragStart = (e: DragEvent<HTMLButtonElement>, entry: PaletteEntry) => {
    e.dataTransfer.setData(PALETTE_MIME, entry.key);
    e.dataTransfer.effectAllowed = 'copy';
  };
  return (
    <nav className="wf-palette" aria-label="Node palette">
      <h2 className="wf-panel-title">Add a node</h2>
      <p className="muted small">Drag onto the canvas, or press to add.</p>
      {groups.map((g) => (
        <section key={g} aria-label={g}>
          <h3 className="wf-palette-group">{g}</h3>
          <ul className="wf-palette-list">
            {entries
              .filter((e) => e.group === g)
              .map((entry) => (
                <li key={entry.key}>
                  <button
                    type="button"
                    className="wf-palette-item"
                    draggable
                    data-palette={entry.key}
                    title={entry.description}
                    aria-label={`Add ${entry.label}: ${entry.description}`}
                    onDragStart={(e) => onDragStart(e, entry)}
                    onClick={() => onAdd(entry)}
                  >
                    <span className={`wf-swatch wf-swatch-${entry.type}`} aria-hidden="true" />
                    {entry.label}
                  </button>
                </li>
              ))}
          </ul>
        </section>
      ))}
    </nav>
  );
}
