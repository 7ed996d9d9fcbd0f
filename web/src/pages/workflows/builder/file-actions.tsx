import { useRef, useState, type RefObject } from 'react';
import { errorMessage } from '../../../api/errors';
import { download } from '../../../api/download';
import { Button } from '../../../components/button';
import { workflowsApi, type EditorDefinition } from '../api';

/** The hidden file input behind an "Import file…" button (the button clicks `inputRef`). */
export function WorkflowFileInput({ inputRef, onFile }: { inputRef: RefObject<HTMLInputElement | null>; onFile: (file: File) => void }) {
  return (
    <input
      ref={inputRef}
      type="file"
      accept=".json,.yaml,.yml,application/json,application/yaml"
      className="visually-hidden"
      aria-label="Workflow file to import"
      tabIndex={-1}
      onChange={(e) => {
        const file = e.target.files?.[0];
        e.target.value = '';
        if (file) onFile(file);
      }}
    />
  );
}

/** A workflow file's definition (`{troupeWorkflow: 1, ...definition}`, JSON or YAML); throws a message for a person. */
export async function readWorkflowFile(file: File): Promise<EditorDefinition> {
  const text = await file.text();
  let value: unknown;
  try {
    value = /\.ya?ml$/i.test(file.name) ? (await import('yaml')).parse(text) : JSON.parse(text);
  } catch (err) {
    throw new Error(`${file.name} is not valid ${/\.ya?ml$/i.test(file.name) ? 'YAML' : 'JSON'}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${file.name} is not a workflow file`);
  const { troupeWorkflow, ...definition } = value as Record<string, unknown>;
  if (troupeWorkflow !== 1) throw new Error(`${file.name} is not a Troupe workflow file ("troupeWorkflow": 1 is missing)`);
  const graph = definition.graph as { nodes?: unknown; edges?: unknown } | undefined;
  if (!graph || !Array.isArray(graph.nodes) || !Array.isArray(graph.edges)) throw new Error(`${file.name} has no graph of nodes and edges`);
  return definition as unknown as EditorDefinition;
}

/**
 * Export (the saved version, as the server writes it: the file re-imports to the same
 * definition) and import (a file's definition replaces the canvas, as an unsaved change that
 * undo takes back).
 */
export function FileActions({ workflowId, dirty, canEdit, onImport }: { workflowId: string; dirty: boolean; canEdit: boolean; onImport: (d: EditorDefinition) => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<'json' | 'yaml' | null>(null);
  const exportAs = async (format: 'json' | 'yaml') => {
    setBusy(format);
    setError(null);
    try {
      const file = await workflowsApi.exportFile(workflowId, format);
      download(file.filename, file.text, file.type);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  };
  return (
    <div className="wf-file-actions" role="group" aria-label="Import and export">
      <Button className="btn-small" busy={busy === 'json'} onClick={() => void exportAs('json')} title={dirty ? 'Exports the saved version' : undefined}>
        Export JSON
      </Button>
      <Button className="btn-small" busy={busy === 'yaml'} onClick={() => void exportAs('yaml')} title={dirty ? 'Exports the saved version' : undefined}>
        Export YAML
      </Button>
      {canEdit && (
        <>
          <Button className="btn-small" onClick={() => input.current?.click()}>
            Import file…
          </Button>
          <WorkflowFileInput
            inputRef={input}
            onFile={(file) => {
              setError(null);
              readWorkflowFile(file).then(onImport, (err: unknown) => setError(errorMessage(err)));
            }}
          />
        </>
      )}
      {error && (
        <p role="alert" className="form-error small">
          {error}
        </p>
      )}
    </div>
  );
}
