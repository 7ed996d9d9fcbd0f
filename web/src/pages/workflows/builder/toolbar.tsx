import type { UseMutationResult } from '@tanstack/react-query';
import { errorMessage, isApiError } from '../../../api/errors';
import { Button } from '../../../components/button';
import type { EditorDefinition, Workflow } from '../api';
import { FileActions } from './file-actions';
import type { PanelMode } from './side-panel';
import type { Editor } from './use-editor';
import type { ValidationState } from './use-validation';

const MODES: { mode: PanelMode; label: string }[] = [
  { mode: 'inspect', label: 'Inspect' },
  { mode: 'versions', label: 'Versions' },
  { mode: 'runs', label: 'Runs' },
];

/**
 * The builder's toolbar: save (with what stops it: JSON that does not parse, a conflict), undo
 * and redo, copy, paste, delete, auto layout, the validation status, export and import, and
 * which side panel is open.
 */
export function Toolbar(props: {
  editor: Editor;
  readOnly: boolean;
  canEdit: boolean;
  dirty: boolean;
  baseVersion: number;
  workflowId: string;
  validation: ValidationState;
  problemCount: number;
  invalidJson: number;
  save: UseMutationResult<Workflow, Error, { definition: EditorDefinition; expected: number }>;
  onSave: () => void;
  onReload: () => void;
  onOverwrite: () => void;
  isConflict: boolean;
  mode: PanelMode;
  onMode: (m: PanelMode) => void;
  onImport: (d: EditorDefinition) => void;
}) {
  const { editor, readOnly, canEdit, dirty, save, validation, problemCount } = props;
  const { history, selection } = editor;
  const hasSelection = selection.nodes.size > 0 || selection.edges.size > 0;
  const status = save.isPending
    ? 'Saving…'
    : dirty
      ? 'Unsaved changes'
      : save.isSuccess
        ? `Saved as version ${props.baseVersion}`
        : `Version ${props.baseVersion}`;
  const checks = validation.checking ? 'Checking…' : validation.error ? `Could not check: ${validation.error}` : problemCount === 0 ? 'No problems' : `${problemCount} problem${problemCount === 1 ? '' : 's'}`;

  return (
    <div className="wf-toolbar-wrap">
      <div className="wf-toolbar" role="toolbar" aria-label="Workflow editing">
        {canEdit && (
          <Button variant="primary" busy={save.isPending} disabled={readOnly || !dirty || props.invalidJson > 0} onClick={props.onSave} aria-keyshortcuts="Control+S">
            Save
          </Button>
        )}
        {!readOnly && (
          <>
            <Button className="btn-small" disabled={!history.canUndo} onClick={history.undo} aria-keyshortcuts="Control+Z">
              Undo
            </Button>
            <Button className="btn-small" disabled={!history.canRedo} onClick={history.redo} aria-keyshortcuts="Control+Shift+Z">
              Redo
            </Button>
            <Button className="btn-small" disabled={selection.nodes.size === 0} onClick={() => editor.copy()} aria-keyshortcuts="Control+C">
              Copy
            </Button>
            <Button className="btn-small" onClick={editor.paste} aria-keyshortcuts="Control+V">
              Paste
            </Button>
            <Button className="btn-small" disabled={!hasSelection} onClick={editor.deleteSelected} aria-keyshortcuts="Delete">
              Delete
            </Button>
            <Button className="btn-small" busy={editor.busyLayout} onClick={() => void editor.layout()}>
              Auto layout
            </Button>
          </>
        )}
        <span className="wf-status" role="status" data-testid="save-status">
          {status}
        </span>
        {!props.readOnly || problemCount > 0 ? (
          <span className={`wf-status ${problemCount > 0 ? 'wf-status-bad' : ''}`} role="status" data-testid="validation-status">
            {checks}
          </span>
        ) : null}
        <div className="wf-mode" role="group" aria-label="Side panel">
          {MODES.map((m) => (
            <Button key={m.mode} className="btn-small" aria-pressed={props.mode === m.mode} onClick={() => props.onMode(m.mode)}>
              {m.label}
            </Button>
          ))}
        </div>
      </div>
      <FileActions workflowId={props.workflowId} dirty={dirty} canEdit={canEdit} onImport={props.onImport} />
      {props.invalidJson > 0 && (
        <p className="form-error small" role="alert">
          A JSON field does not parse: fix it before saving.
        </p>
      )}
      {save.isError && (
        <div className="form-error wf-save-error" role="alert" data-testid="save-error">
          {props.isConflict ? (
            <>
              Someone saved this workflow after you opened it. Load their version (your changes are dropped), or save yours over it.{' '}
              <Button className="btn-small" onClick={props.onReload}>
                Load their version
              </Button>{' '}
              <Button className="btn-small" onClick={props.onOverwrite}>
                Save mine over it
              </Button>
            </>
          ) : (
            <>Not saved: {isApiError(save.error) && save.error.code === 'invalid_workflow' ? `the server found ${save.error.errors.length === 1 ? 'a problem' : `${save.error.errors.length} problems`}, shown on the nodes.` : errorMessage(save.error)}</>
          )}
        </div>
      )}
    </div>
  );
}
