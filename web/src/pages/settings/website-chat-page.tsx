import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { createPublicationBody } from '@server/publications/dto';
import { ApiError, errorMessage } from '../../api/errors';
import { useSession } from '../../auth/session';
import { Badge } from '../../components/badge';
import { Button } from '../../components/button';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { CopyButton } from '../../components/copy-button';
import { FormError, SelectField, TextAreaField, TextField } from '../../components/fields';
import { EmptyState, QueryView } from '../../components/states';
import { zodFieldErrors } from '../../components/use-zod-form';
import { settingsApi, settingsKeys, when, type Agent, type Publication } from './api';

/** Origins as people type them: one a line (or separated by commas or spaces), blanks dropped. */
export const originLines = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * Settings → Website chat: an agent published as a chat on the gym's website (one script tag)
 * and on a public page (docs/widget.md). Everyone sees the publications; admins publish, switch
 * them on and off, and unpublish.
 */
export function WebsiteChatPage() {
  const { can } = useSession();
  const agents = useQuery({ queryKey: settingsKeys.agents, queryFn: ({ signal }) => settingsApi.agents(signal) });
  const agentName = (id: string) => agents.data?.items.find((a) => a.id === id)?.name;
  return (
    <>
      {can('admin') && <PublishCard agents={agents.data?.items} />}
      <PublicationsCard agentName={agentName} />
    </>
  );
}

function PublishCard({ agents }: { agents: Agent[] | undefined }) {
  const queryClient = useQueryClient();
  const id = useId();
  const [agentId, setAgentId] = useState('');
  const [title, setTitle] = useState('');
  const [origins, setOrigins] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const publish = useMutation({
    mutationFn: settingsApi.createPublication,
    onSuccess: async () => {
      setAgentId('');
      setTitle('');
      setOrigins('');
      await queryClient.invalidateQueries({ queryKey: settingsKeys.publications });
    },
  });
  const serverErrors = publish.error instanceof ApiError ? publish.error.fieldErrors() : {};
  const all = { ...serverErrors, ...errors };
  // An origin's error names its place in the list (allowedOrigins.1): shown at the field, with its line.
  const originError = Object.entries(all)
    .filter(([k]) => k.startsWith('allowedOrigins'))
    .map(([k, message]) => {
      const line = Number(k.split('.')[1]);
      return Number.isInteger(line) ? `${originLines(origins)[line] ?? `Line ${line + 1}`}: ${message}` : message;
    })[0];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = createPublicationBody.safeParse({ agentId, allowedOrigins: originLines(origins), ...(title.trim() ? { title: title.trim() } : {}) });
    if (!parsed.success) {
      const found = zodFieldErrors(parsed.error);
      if (found.agentId) found.agentId = 'Choose the agent to publish';
      setErrors(found);
      return;
    }
    setErrors({});
    publish.mutate(parsed.data);
  };
  const edited = () => {
    setErrors({});
    if (publish.error) publish.reset();
  };
  const shownOnFields = Boolean(all.agentId || all.title || originError);
  return (
    <section className="card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Publish an agent</h2>
      <p className="muted">
        Visitors of your website chat with the agent through a button (one script tag), or on its own public page. They reach that agent and nothing else; their conversations are visible to
        staff. Publish an agent whose tools suit the public.
      </p>
      <form className="stack" onSubmit={submit} noValidate aria-label="Publish an agent">
        <div className="inline-form">
          <SelectField
            id={`${id}-agent`}
            label="Agent"
            required
            value={agentId}
            error={all.agentId}
            onChange={(e) => {
              setAgentId(e.target.value);
              edited();
            }}
            options={[{ value: '', label: agents ? 'Choose an agent' : 'Loading agents…' }, ...(agents ?? []).map((a) => ({ value: a.id, label: a.name }))]}
          />
          <TextField
            id={`${id}-title`}
            label="Title"
            hint="Shown at the top of the chat; default the agent's name"
            value={title}
            error={all.title}
            onChange={(e) => {
              setTitle(e.target.value);
              edited();
            }}
          />
        </div>
        <TextAreaField
          id={`${id}-origins`}
          label="Allowed websites"
          hint="One origin a line, e.g. https://irongym.example (scheme, host and port; no path). Leave empty to allow any website."
          rows={3}
          spellCheck={false}
          value={origins}
          error={originError}
          onChange={(e) => {
            setOrigins(e.target.value);
            edited();
          }}
        />
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={publish.isPending}>
            Publish
          </Button>
        </div>
        <FormError message={publish.error && !shownOnFields ? errorMessage(publish.error) : undefined} />
        {publish.isSuccess && (
          <p className="success" role="status">
            Published “{publish.data.title}”. Copy its embed code below.
          </p>
        )}
      </form>
    </section>
  );
}

function PublicationsCard({ agentName }: { agentName: (id: string) => string | undefined }) {
  const publications = useQuery({ queryKey: settingsKeys.publications, queryFn: ({ signal }) => settingsApi.publications(signal) });
  return (
    <section className="card" aria-labelledby="publications-heading">
      <h2 id="publications-heading">Published chats</h2>
      <QueryView
        query={publications}
        loadingLabel="Loading published chats…"
        isEmpty={(d) => d.length === 0}
        empty={
          <EmptyState title="No agent is published yet">
            <p>
              Publish one above, for example the Support Assistant from the <Link to="/templates">templates</Link>.
            </p>
          </EmptyState>
        }
      >
        {(items) => (
          <ul className="list" aria-label="Published chats">
            {items.map((p) => (
              <PublicationItem key={p.id} publication={p} agentName={agentName(p.agentId)} />
            ))}
          </ul>
        )}
      </QueryView>
    </section>
  );
}

function PublicationItem({ publication: p, agentName }: { publication: Publication; agentName: string | undefined }) {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const codeRef = useRef<HTMLInputElement>(null);
  const [removing, setRemoving] = useState(false);
  const id = `publication-${p.id}`;
  const toggle = useMutation({
    mutationFn: (enabled: boolean) => settingsApi.updatePublication(p.id, { enabled }),
    onSuccess: (saved) => queryClient.setQueryData<Publication[]>(settingsKeys.publications, (list) => list?.map((x) => (x.id === saved.id ? saved : x))),
  });
  return (
    <li className="provider" aria-labelledby={`${id}-title`}>
      <div className="provider-head">
        <h3 id={`${id}-title`}>{p.title}</h3>
        <Badge tone={p.enabled ? 'success' : 'neutral'}>{p.enabled ? 'enabled' : 'disabled'}</Badge>
      </div>
      <dl className="stat-row publication-facts">
        <div>
          <dt>Agent</dt>
          <dd>{agentName ?? '…'}</dd>
        </div>
        <div>
          <dt>Allowed websites</dt>
          <dd>{p.allowedOrigins.length ? p.allowedOrigins.join(', ') : 'Any website'}</dd>
        </div>
        <div>
          <dt>Messages per visitor</dt>
          <dd>
            {p.messagesPerMinute} a minute, {p.messagesPerDay} a day
          </dd>
        </div>
        <div>
          <dt>Published</dt>
          <dd>{when(p.createdAt)}</dd>
        </div>
      </dl>
      <div className="field">
        <label htmlFor={`${id}-code`}>Embed code</label>
        <div className="secret-row">
          <input id={`${id}-code`} ref={codeRef} readOnly value={p.embedCode} onFocus={(e) => e.currentTarget.select()} spellCheck={false} />
          <CopyButton text={p.embedCode} label="Copy embed code" selectTarget={() => codeRef.current} />
        </div>
        <p className="field-hint">Paste it before &lt;/body&gt; on every page of your website that should show the chat button.</p>
      </div>
      <p className="publication-link">
        <a href={p.chatUrl} target="_blank" rel="noopener noreferrer">
          Open the public chat page<span className="visually-hidden"> of {p.title} (new tab)</span>
        </a>
      </p>
      {can('admin') && (
        <div className="form-actions">
          <Button onClick={() => toggle.mutate(!p.enabled)} busy={toggle.isPending} aria-label={`${p.enabled ? 'Disable' : 'Enable'} ${p.title}`}>
            {p.enabled ? 'Disable' : 'Enable'}
          </Button>
          <Button variant="danger" onClick={() => setRemoving(true)} aria-label={`Unpublish ${p.title}`}>
            Unpublish
          </Button>
        </div>
      )}
      <FormError message={toggle.error ? errorMessage(toggle.error) : undefined} />
      <ConfirmDialog
        open={removing}
        title="Unpublish this chat"
        confirmLabel="Unpublish"
        onClose={() => setRemoving(false)}
        onConfirm={async () => {
          await settingsApi.deletePublication(p.id);
          await queryClient.invalidateQueries({ queryKey: settingsKeys.publications });
        }}
      >
        <p>
          Unpublish <strong>{p.title}</strong>? Its key stops working at once: the button disappears from your website and the public page answers “not found”. Visitors’ conversations stay
          visible to staff. To pause it instead, disable it.
        </p>
      </ConfirmDialog>
    </li>
  );
}
