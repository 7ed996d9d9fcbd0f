import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Link } from 'react-router';
import { isApiError, errorMessage } from '../../api/errors';
import { useSession } from '../../auth/session';
import { Badge } from '../../components/badge';
import { Button } from '../../components/button';
import { PageHeader } from '../../components/page-header';
import { EmptyState, QueryView } from '../../components/states';
import { templateKeys, templatesApi, type AgentTemplate, type InstallResult } from './api';
import './templates.css';

/** `/templates`: ready-made agents from the packs (a gym's nine first), installed with one click. */
export function TemplatesPage() {
  const templates = useQuery({ queryKey: templateKeys.list, queryFn: ({ signal }) => templatesApi.list(signal), staleTime: 5 * 60_000 });
  const [search, setSearch] = useState('');
  const [category, setCategory] = useState('');
  return (
    <>
      <PageHeader title="Templates" description="Ready-made agents with a tested prompt, a personality, a recommended model and the tools their work needs. Install one, then adjust it like any agent." />
      <QueryView query={templates} loadingLabel="Loading templates…" isEmpty={(d) => d.length === 0} empty={<EmptyState title="No templates on this server" />}>
        {(all) => {
          const categories = [...new Set(all.map((t) => t.category))].sort();
          const words = search.toLowerCase().split(/\s+/).filter(Boolean);
          const shown = all.filter(
            (t) =>
              (!category || t.category === category) &&
              words.every((w) => [t.name, t.description, t.role, t.category, ...t.tags, ...t.taskTypes.map((x) => x.type)].join(' ').toLowerCase().includes(w)),
          );
          return (
            <section aria-labelledby="templates-heading">
              <h2 id="templates-heading" className="visually-hidden">
                Template gallery
              </h2>
              <form className="template-filters" role="search" aria-label="Filter templates" onSubmit={(e) => e.preventDefault()}>
                <div className="field">
                  <label htmlFor="templates-search">Search</label>
                  <input id="templates-search" type="search" placeholder="Name, job, tag or task type" value={search} onChange={(e) => setSearch(e.target.value)} />
                </div>
                <div className="field">
                  <label htmlFor="templates-category">Category</label>
                  <select id="templates-category" value={category} onChange={(e) => setCategory(e.target.value)}>
                    <option value="">All</option>
                    {categories.map((c) => (
                      <option key={c} value={c}>
                        {c}
                      </option>
                    ))}
                  </select>
                </div>
              </form>
              <p className="muted small" role="status">
                {shown.length === 1 ? '1 template' : `${shown.length} templates`}
              </p>
              {shown.length === 0 ? (
                <EmptyState title="No template matches">
                  <p>Try other words or another category.</p>
                </EmptyState>
              ) : (
                <ul className="template-grid" aria-label="Templates">
                  {shown.map((t) => (
                    <TemplateCard key={t.id} template={t} />
                  ))}
                </ul>
              )}
            </section>
          );
        }}
      </QueryView>
    </>
  );
}

function TemplateCard({ template: t }: { template: AgentTemplate }) {
  const { can } = useSession();
  const headingId = `template-${t.id}`;
  return (
    <li className="template-card" aria-labelledby={headingId}>
      <div className="template-card-top">
        <h3 id={headingId}>{t.name}</h3>
        <Badge tone="info">{t.category}</Badge>
      </div>
      <p className="template-description">{t.description}</p>
      <dl className="template-facts">
        <div>
          <dt>Recommended model</dt>
          <dd>
            <code>{t.recommendedModel}</code>
          </dd>
        </div>
        <div>
          <dt>Tools</dt>
          <dd>{t.tools.length}</dd>
        </div>
        {t.taskTypes.length > 0 && (
          <div>
            <dt>Answers</dt>
            <dd>
              {t.taskTypes.map((x) => (
                <code key={x.type} className="template-task-type">
                  {x.type}
                </code>
              ))}
            </dd>
          </div>
        )}
      </dl>
      {t.missingTools.length > 0 && (
        <p className="template-missing small">
          {t.missingTools.length === 1 ? '1 tool is' : `${t.missingTools.length} tools are`} not on this server and will be left out: {t.missingTools.join(', ')}
        </p>
      )}
      <details className="template-details">
        <summary>Prompt and tools</summary>
        <h4>Personality</h4>
        <p>{[t.personality.traits.join(', '), t.personality.tone].filter(Boolean).join(' — ')}</p>
        <h4>Tools</h4>
        <ul className="tag-list" aria-label={`Tools of ${t.name}`}>
          {t.tools.map((name) => (
            <li key={name}>
              <code>{name}</code>
            </li>
          ))}
        </ul>
        <h4>System prompt</h4>
        <pre className="template-prompt" tabIndex={0} role="region" aria-label={`System prompt of ${t.name}`}>
          {t.systemPrompt}
        </pre>
      </details>
      {can('admin') ? <InstallForm template={t} /> : <p className="muted small">An admin of your organization can install this template.</p>}
    </li>
  );
}

/**
 * One click installs the template under its own name with the chosen model. A name already taken
 * shows the name field, with the server's message, so another can be given.
 */
function InstallForm({ template: t }: { template: AgentTemplate }) {
  const queryClient = useQueryClient();
  const id = useId();
  const [model, setModel] = useState(t.recommendedModel);
  const [name, setName] = useState<string | null>(null);
  const install = useMutation({
    mutationFn: () => templatesApi.install(t.id, { model, ...(name !== null ? { name: name.trim() } : {}) }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['agents'] }),
    onError: (err) => {
      if (isApiError(err) && err.code === 'agent_name_taken' && name === null) setName(`${t.name} 2`);
    },
  });
  if (install.data) return <Installed result={install.data} onAgain={() => install.reset()} />;
  const nameError = isApiError(install.error) ? install.error.fieldError('name') : undefined;
  const otherError = install.error && !nameError ? errorMessage(install.error) : undefined;
  return (
    <form
      className="template-install"
      aria-label={`Install ${t.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        install.mutate();
      }}
    >
      {name !== null && (
        <div className={`field${nameError ? ' field-invalid' : ''}`}>
          <label htmlFor={`${id}-name`}>Agent name</label>
          <input id={`${id}-name`} value={name} maxLength={100} required onChange={(e) => setName(e.target.value)} aria-invalid={nameError ? true : undefined} aria-describedby={nameError ? `${id}-name-error` : undefined} />
          {nameError && (
            <p id={`${id}-name-error`} className="field-error">
              {nameError}: choose another name
            </p>
          )}
        </div>
      )}
      <div className="field">
        <label htmlFor={`${id}-model`}>Model</label>
        <select id={`${id}-model`} value={model} onChange={(e) => setModel(e.target.value)}>
          {t.models.map((m) => (
            <option key={m} value={m}>
              {m === t.recommendedModel ? `${m} (recommended)` : m}
            </option>
          ))}
        </select>
      </div>
      <Button type="submit" variant="primary" busy={install.isPending}>
        Install {t.name}
      </Button>
      {otherError && (
        <p className="field-error" role="alert">
          {otherError}
        </p>
      )}
    </form>
  );
}

function Installed({ result, onAgain }: { result: InstallResult; onAgain: () => void }) {
  const mapped = result.taskTypes.filter((x) => x.status === 'mapped').map((x) => x.type);
  const kept = result.taskTypes.filter((x) => x.status === 'already_mapped').map((x) => x.type);
  return (
    <div className="template-installed" role="status">
      <p>
        <strong>Installed.</strong> <Link to={`/agents/${result.agent.id}`}>Open {result.agent.name}</Link>
      </p>
      {mapped.length > 0 && <p className="small">Answers POST /execute for {mapped.join(', ')}.</p>}
      {kept.length > 0 && <p className="small">Another agent keeps {kept.join(', ')}.</p>}
      {result.skippedTools.length > 0 && <p className="small">Left out: {result.skippedTools.map((s) => `${s.name} (${s.message})`).join('; ')}.</p>}
      <Button className="btn-small" onClick={onAgain}>
        Install again
      </Button>
    </div>
  );
}
