import { Button } from '../../../components/button';
import type { EditorDefinition, EditorNode, NodeRun, Problem, Workflow } from '../api';
import { upstreamPaths, type Scope } from './model';
import { NodePanel } from './node-panel';
import { NodeRunDetails } from './node-run-details';
import { NodeTest } from './node-test';
import { RunsPanel } from './runs-panel';
import type { PickerOption } from './schema-form';
import type { Editor } from './use-editor';
import { VersionsPanel } from './versions-panel';
import { WorkflowPanel } from './workflow-panel';

export type PanelMode = 'inspect' | 'versions' | 'runs';

/**
 * The right-hand panel: the selected node's form (with what it did in the run on show), the
 * workflow's settings when nothing is selected, or the versions, or the runs.
 */
export function SidePanel(props: {
  mode: PanelMode;
  workflow: Workflow;
  definition: EditorDefinition;
  scope: Scope;
  node: EditorNode | undefined;
  selectedCount: number;
  problems: ReadonlyMap<string, Problem[]>;
  runs: ReadonlyMap<string, NodeRun[]> | null;
  readOnly: boolean;
  canEdit: boolean;
  canRun: boolean;
  dirty: boolean;
  pickers: Record<string, PickerOption[]>;
  reportInvalid: (id: string, invalid: boolean) => void;
  editor: Editor;
  viewing: number | null;
  onView: (v: { version: number; definition: EditorDefinition } | null) => void;
  onRestored: (w: Workflow) => void;
  shownRunId: string | null;
  onShowRun: (id: string | null) => void;
}) {
  const { mode, workflow, definition, node, editor, readOnly } = props;
  const env = { pickers: props.pickers, disabled: readOnly, reportInvalid: props.reportInvalid };

  let body;
  if (mode === 'versions') {
    body = <VersionsPanel workflow={workflow} canEdit={props.canEdit} dirty={props.dirty} viewing={props.viewing} onView={props.onView} onRestored={props.onRestored} />;
  } else if (mode === 'runs') {
    body = <RunsPanel workflow={workflow} canRun={props.canRun} dirty={props.dirty} shownRunId={props.shownRunId} onShow={props.onShowRun} />;
  } else if (node) {
    body = (
      <>
        {props.runs && <NodeRunDetails nodeId={node.id} runs={props.runs.get(node.id) ?? []} />}
        <NodePanel
          key={node.id}
          node={node}
          problems={props.problems.get(node.id) ?? []}
          env={{ ...env, suggestions: readOnly ? [] : upstreamPaths(definition, props.scope, node.id) }}
          onChange={editor.updateNode}
          onRename={(to) => editor.rename(node.id, to)}
          onDelete={() => {
            editor.setSelection({ nodes: new Set([node.id]), edges: new Set() });
            editor.canvasActions.onDelete(new Set([node.id]), new Set());
          }}
          onOpenBody={node.type === 'map' ? () => editor.canvasActions.onOpenBody(node.id) : undefined}
        />
        {props.canRun && node.type !== 'trigger' && (
          <NodeTest
            key={`test-${node.id}`}
            workflowId={workflow.id}
            definition={definition}
            nodeId={node.id}
            upstream={upstreamPaths(definition, props.scope, node.id).flatMap((p) => /^nodes\.(\w+)\.output$/.exec(p)?.slice(1) ?? [])}
            runs={props.runs}
          />
        )}
      </>
    );
  } else if (props.selectedCount > 0) {
    body = (
      <section aria-labelledby="wf-selection-title">
        <h2 id="wf-selection-title" className="wf-panel-title">
          {props.selectedCount} selected
        </h2>
        {!readOnly && (
          <div className="form-actions">
            <Button onClick={() => editor.copy()}>Copy</Button>
            <Button variant="danger" onClick={editor.deleteSelected}>
              Delete selection
            </Button>
          </div>
        )}
      </section>
    );
  } else {
    body = (
      <WorkflowPanel
        definition={definition}
        problems={props.problems.get('') ?? []}
        env={env}
        onChange={(next, key) => editor.change(() => next, `workflow:${key}`)}
      />
    );
  }
  return (
    <aside className="wf-side" aria-label="Details">
      {body}
    </aside>
  );
}
