import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useBlocker } from 'react-router';
import { ApiError, errorMessage } from '../../../api/errors';
import { useSession } from '../../../auth/session';
import { Button } from '../../../components/button';
import { Dialog } from '../../../components/dialog';
import { agentsQuery } from '../../runs/api';
import { shortId } from '../../runs/format';
import { StatusBadge } from '../../runs/status-badge';
import { EDIT_ROLE, RUN_ROLE, workflowKeys, workflowsApi, type EditorDefinition, type Problem, type Workflow } from '../api';
import { Canvas } from './canvas';
import { allNodes, bodyOf, graphAt, runsByNode } from './model';
import { paletteEntry } from './node-kinds';
import { Palette } from './palette';
import { useShownRun } from './run-state';
import { SidePanel, type PanelMode } from './side-panel';
import { Toolbar } from './toolbar';
import { useEditor } from './use-editor';
import { problemsByNode, useValidation } from './use-validation';

/** Problems a refused save named (400 invalid_workflow): each error carries the node and field. */
function problemsOfSave(err: unknown): Problem[] | null {
  if (!(err instanceof ApiError) || err.code !== 'invalid_workflow') return null;
  return (err.errors as { nodeId?: string | null; field?: string; path: string; message: string }[]).map((e) => ({ nodeId: e.nodeId ?? null, path: e.field ?? e.path, message: e.message }));
}

const isConflict = (err: unknown) => err instanceof ApiError && (err.status === 409 || err.status === 412) && err.code !== 'workflow_archived';

/** Keys typed into a field are the field's: Ctrl+Z there undoes the text, not the graph. */
const isTyping = (t: EventTarget | null) => t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));

/**
 * The builder of one workflow: the palette, the canvas, the side panel (node or workflow form,
 * versions, runs), the toolbar, the keyboard (Ctrl+Z, Ctrl+Shift+Z or Ctrl+Y, Ctrl+C, Ctrl+V,
 * Delete, Ctrl+S), live validation, save, and the run on show. Inside a ReactFlowProvider.
 */
export function Builder({ workflow }: { workflow: Workflow }) {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const canvasRef = useRef<HTMLDivElement>(null);
  const editor = useEditor(workflow.definition, canvasRef);
  const { history, definition, graph, scope, selection } = editor;
  // The version these edits build on: a save expects the server still there (else 409).
  const [base, setBase] = useState({ version: workflow.currentVersion, definition: workflow.definition });
  const [viewing, setViewing] = useState<{ version: number; definition: EditorDefinition } | null>(null);
  const [mode, setMode] = useState<PanelMode>('inspect');
  const [shownRunId, setShownRunId] = useState<string | null>(null);
  const [invalidJson, setInvalidJson] = useState<ReadonlySet<string>>(new Set());
  const [refused, setRefused] = useState<{ definition: EditorDefinition; problems: Problem[] } | null>(null);

  const archived = workflow.archivedAt !== null;
  const canEdit = can(EDIT_ROLE) && !archived;
  const readOnly = !canEdit || viewing !== null;
  const dirty = definition !== base.definition;
  const shown = viewing?.definition ?? definition;
  const shownGraph = viewing ? (graphAt(viewing.definition, scope) ?? viewing.definition.graph) : graph;

  const validation = useValidation(definition, workflow.id);
  const problems = useMemo(() => (viewing ? [] : refused?.definition === definition ? refused.problems : validation.problems), [viewing, refused, definition, validation.problems]);
  const byNode = useMemo(() => problemsByNode(problems), [problems]);
  const innerProblems = useMemo(() => {
    const out = new Map<string, number>();
    for (const n of shownGraph.nodes) {
      if (n.type !== 'map') continue;
      out.set(n.id, allNodes(bodyOf(n)).reduce((sum, b) => sum + (byNode.get(b.id)?.length ?? 0), 0));
    }
    return out;
  }, [shownGraph, byNode]);

  const { run, nodes: nodeRuns } = useShownRun(shownRunId);
  const runs = useMemo(() => runsByNode((shownRunId && nodeRuns.data?.items) || []), [shownRunId, nodeRuns.data]);

  const agents = useQuery({ ...agentsQuery, enabled: !readOnly });
  const tools = useQuery({ queryKey: ['tools', 'catalog'], queryFn: ({ signal }) => workflowsApi.tools(signal), staleTime: 60_000, enabled: !readOnly });
  const others = useQuery({ queryKey: workflowKeys.list({ limit: 100, sortBy: 'name', sortOrder: 'asc' }), queryFn: ({ signal }) => workflowsApi.list({ limit: 100, sortBy: 'name', sortOrder: 'asc' }, signal), enabled: !readOnly });
  const pickers = useMemo(() => {
    const workflows = (others.data?.items ?? []).filter((w) => w.id !== workflow.id).map((w) => ({ value: w.id, label: w.name }));
    return {
      agentId: (agents.data?.items ?? []).map((a) => ({ value: a.id, label: a.name })),
      tool: (tools.data?.items ?? []).map((t) => ({ value: t.name, label: t.name })),
      workflowId: workflows,
      errorWorkflowId: workflows,
    };
  }, [agents.data, tools.data, others.data, workflow.id]);

  const reportInvalid = useCallback((id: string, invalid: boolean) => {
    setInvalidJson((s) => {
      if (s.has(id) === invalid) return s;
      const next = new Set(s);
      if (invalid) next.add(id);
      else next.delete(id);
      return next;
    });
  }, []);

  const save = useMutation({
    mutationFn: (vars: { definition: EditorDefinition; expected: number }) => workflowsApi.save(workflow.id, vars.definition, vars.expected),
    onSuccess: (saved, vars) => {
      setBase({ version: saved.currentVersion, definition: vars.definition });
      queryClient.setQueryData(workflowKeys.detail(workflow.id), saved);
      void queryClient.invalidateQueries({ queryKey: ['workflows', 'list'] });
      void queryClient.invalidateQueries({ queryKey: workflowKeys.versions(workflow.id) });
    },
    onError: (err, vars) => {
      const named = problemsOfSave(err);
      if (named) setRefused({ definition: vars.definition, problems: named });
    },
  });
  const doSave = (expected = base.version) => {
    if (readOnly || invalidJson.size > 0 || save.isPending) return;
    save.mutate({ definition, expected });
  };

  /** Starts over from the server's current version (after a conflict, or a restore). */
  const adopt = (w: Workflow) => {
    history.reset(w.definition);
    setBase({ version: w.currentVersion, definition: w.definition });
    setViewing(null);
    setRefused(null);
    save.reset();
    queryClient.setQueryData(workflowKeys.detail(workflow.id), w);
  };
  const reload = async () => adopt(await workflowsApi.get(workflow.id));
  const latestVersion = async () => (await workflowsApi.get(workflow.id)).currentVersion;

  // The keyboard: on the document, so it works wherever focus is (the canvas pane takes none).
  const keys = { undo: history.undo, redo: history.redo, copy: editor.copy, paste: editor.paste, save: doSave, readOnly };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || isTyping(e.target) || (e.target instanceof Element && e.target.closest('dialog'))) return;
      const key = e.key.toLowerCase();
      if (key === 's') {
        e.preventDefault();
        keys.save();
      } else if (keys.readOnly) {
        if (key === 'c' && !window.getSelection()?.toString() && keys.copy()) e.preventDefault();
      } else if (key === 'z' && !e.shiftKey) {
        e.preventDefault();
        keys.undo();
      } else if ((key === 'z' && e.shiftKey) || key === 'y') {
        e.preventDefault();
        keys.redo();
      } else if (key === 'c' && !window.getSelection()?.toString()) {
        if (keys.copy()) e.preventDefault();
      } else if (key === 'v') {
        e.preventDefault();
        keys.paste();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  });

  // Leaving with unsaved changes asks first: another page of the app (here), reload or closing the tab (the browser).
  const blocker = useBlocker(({ currentLocation, nextLocation }) => dirty && currentLocation.pathname !== nextLocation.pathname);
  useEffect(() => {
    if (!dirty) return;
    const onLeave = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', onLeave);
    return () => window.removeEventListener('beforeunload', onLeave);
  }, [dirty]);

  const selectedNode = selection.nodes.size === 1 ? shownGraph.nodes.find((n) => selection.nodes.has(n.id)) : undefined;
  // What went wrong: loading the run or its nodes, or the run itself (its error names the node and field).
  const runMessage = nodeRuns.isError ? errorMessage(nodeRuns.error) : run.isError ? errorMessage(run.error) : (run.data?.error?.message ?? null);

  return (
    <div className="wf-builder">
      <Toolbar
        editor={editor}
        readOnly={readOnly}
        canEdit={canEdit}
        dirty={dirty}
        baseVersion={base.version}
        workflowId={workflow.id}
        validation={validation}
        problemCount={problems.length}
        invalidJson={invalidJson.size}
        save={save}
        onSave={() => doSave()}
        onReload={() => void reload()}
        onOverwrite={() => void latestVersion().then((v) => doSave(v))}
        isConflict={save.isError && isConflict(save.error)}
        mode={mode}
        onMode={setMode}
        onImport={(d) => {
          editor.change(() => d);
          editor.setScope([]);
        }}
      />
      {viewing && (
        <div className="notice wf-banner" role="status">
          Viewing version {viewing.version}, read only.{' '}
          <Button className="btn-small" onClick={() => setViewing(null)}>
            Back to editing
          </Button>
        </div>
      )}
      {archived && (
        <div className="notice wf-banner" role="status">
          This workflow is archived: it is read only until it is brought back.
        </div>
      )}
      {shownRunId && (
        <div className="notice wf-banner" role="status" data-testid="shown-run">
          Showing run {shortId(shownRunId)} {run.data && <StatusBadge status={run.data.status} />}
          {runMessage && <span className="form-error small"> {runMessage}</span>}{' '}
          <Button className="btn-small" onClick={() => setShownRunId(null)}>
            Stop showing
          </Button>
        </div>
      )}
      {scope.length > 0 && (
        <nav className="wf-scope" aria-label="Where you are">
          <ol>
            <li>
              <button type="button" className="btn btn-ghost btn-small" onClick={() => editor.setScope([])}>
                Workflow
              </button>
            </li>
            {scope.map((id, i) => (
              <li key={id}>
                {i === scope.length - 1 ? (
                  <span aria-current="location">Body of {id}</span>
                ) : (
                  <button type="button" className="btn btn-ghost btn-small" onClick={() => editor.setScope(scope.slice(0, i + 1))}>
                    Body of {id}
                  </button>
                )}
              </li>
            ))}
          </ol>
        </nav>
      )}
      <div className={`wf-layout${readOnly ? ' wf-layout-read' : ''}`}>
        {!readOnly && <Palette inBody={scope.length > 0} onAdd={(entry) => editor.addNode(entry)} />}
        <div className="wf-canvas" ref={canvasRef} data-testid="workflow-canvas">
          <Canvas
            key={`${scope.join('/')}#${viewing?.version ?? 'edit'}`}
            graph={shownGraph}
            selection={selection}
            onSelectionChange={editor.setSelection}
            problemsByNode={byNode}
            innerProblems={innerProblems}
            runs={runs}
            readOnly={readOnly}
            sizes={editor.sizes}
            onDropEntry={(key, position) => {
              const entry = paletteEntry(key);
              if (entry && !(entry.type === 'trigger' && scope.length > 0)) editor.addNode(entry, position);
            }}
            {...editor.canvasActions}
          />
        </div>
        <SidePanel
          mode={mode}
          workflow={workflow}
          definition={shown}
          scope={scope}
          node={selectedNode}
          selectedCount={selection.nodes.size + selection.edges.size}
          problems={byNode}
          runs={shownRunId ? runs : null}
          readOnly={readOnly}
          canEdit={canEdit}
          canRun={can(RUN_ROLE)}
          dirty={dirty}
          pickers={pickers}
          reportInvalid={reportInvalid}
          editor={editor}
          viewing={viewing?.version ?? null}
          onView={(v) => {
            setViewing(v);
            editor.setScope([]);
          }}
          onRestored={adopt}
          shownRunId={shownRunId}
          onShowRun={setShownRunId}
        />
      </div>
      <Dialog open={blocker.state === 'blocked'} onClose={() => blocker.reset?.()} title="Leave without saving?">
        <p>Your changes to this workflow are not saved.</p>
        <div className="form-actions">
          <Button onClick={() => blocker.reset?.()}>Stay</Button>
          <Button variant="danger" onClick={() => blocker.proceed?.()}>
            Leave without saving
          </Button>
        </div>
      </Dialog>
    </div>
  );
}
