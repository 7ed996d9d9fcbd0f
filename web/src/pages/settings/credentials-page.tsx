import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { credentialBody, type CredentialBody } from '@server/models/dto';
import { errorMessage } from '../../api/errors';
import { testCredential, type ConnectionTest } from './credential-test';
import { Badge } from '../../components/badge';
import { Button } from '../../components/button';
import { FormError, TextField } from '../../components/fields';
import { ErrorState, Loading } from '../../components/states';
import { useZodForm } from '../../components/use-zod-form';
import { settingsApi, settingsKeys, when, type Credential, type Provider } from './api';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { RoleGate } from './settings-layout';

/** Providers whose calls go to a server you name (required or usual), or may go through a proxy or gateway (OpenAI: Azure, LiteLLM, a company proxy). */
const BASE_URL_PROVIDERS = new Set(['openai', 'ollama', 'openai-compatible']);
/** Where the base URL is optional: left empty, the provider's own endpoint. */
const OPTIONAL_BASE_URL = new Set(['openai', 'ollama']);
const BASE_URL_PLACEHOLDER: Record<string, string> = {
  openai: 'https://api.openai.com/v1 (default)',
  ollama: 'https://ollama.example.com/v1',
  'openai-compatible': 'https://vllm.example.com/v1',
};

/** Provider credentials, write-only: set, replace or delete a key; never shown back. Admins only. */
export function CredentialsPage() {
  return (
    <RoleGate minRole="admin">
      <CredentialsCard />
    </RoleGate>
  );
}

function CredentialsCard() {
  const providers = useQuery({ queryKey: settingsKeys.providers, queryFn: ({ signal }) => settingsApi.providers(signal) });
  const credentials = useQuery({ queryKey: settingsKeys.credentials, queryFn: ({ signal }) => settingsApi.credentials(signal) });
  const failed = providers.error ?? credentials.error;
  return (
    <section className="card" aria-labelledby="credentials-heading">
      <h2 id="credentials-heading">Provider credentials</h2>
      <p className="muted">
        Keys are encrypted when stored and are never shown again, not even to admins: you can only replace or delete them. Without a key of its own, the organization uses the
        server's environment key, if there is one.
      </p>
      {failed ? (
        <ErrorState error={failed} onRetry={() => void Promise.all([providers.refetch(), credentials.refetch()])} />
      ) : !providers.data || !credentials.data ? (
        <Loading label="Loading providers…" />
      ) : (
        providers.data.items
          .filter((p) => p.id !== 'rules')
          .map((p) => <ProviderRow key={p.id} provider={p} credential={credentials.data.items.find((c) => c.provider === p.id) ?? null} />)
      )}
    </section>
  );
}

function status(provider: Provider, credential: Credential | null) {
  if (credential) {
    const what = credential.hasApiKey ? 'Key set' : 'Base URL set';
    return { tone: 'success' as const, badge: what, text: `${what} by this organization, updated ${when(credential.updatedAt)}` };
  }
  if (provider.source === 'environment') return { tone: 'info' as const, badge: 'Server key', text: `Using the server's environment key${provider.envKey ? ` (${provider.envKey})` : ''}` };
  if (provider.source === 'not_needed') return { tone: 'neutral' as const, badge: 'No key needed', text: 'Works without a key' };
  return { tone: 'warning' as const, badge: 'Not set', text: 'No key: agents cannot use this provider yet' };
}

function ProviderRow({ provider, credential }: { provider: Provider; credential: Credential | null }) {
  const queryClient = useQueryClient();
  const [saved, setSaved] = useState<string>();
  const [deleting, setDeleting] = useState(false);
  const s = status(provider, credential);
  const headingId = `provider-${provider.id}`;
  const refresh = () => Promise.all([queryClient.invalidateQueries({ queryKey: settingsKeys.credentials }), queryClient.invalidateQueries({ queryKey: settingsKeys.providers })]);
  return (
    <article className="provider" aria-labelledby={headingId}>
      <div className="provider-head">
        <h3 id={headingId}>{provider.label}</h3>
        <Badge tone={s.tone}>{s.badge}</Badge>
      </div>
      <p className="muted small" data-testid={`credential-status-${provider.id}`}>
        {s.text}
      </p>
      {/* Remounted after each save, so the key field is empty again: a stored key is never put back in the page. */}
      <CredentialForm
        key={credential?.updatedAt ?? 'none'}
        provider={provider}
        credential={credential}
        onSaved={(text) => {
          setSaved(text);
          void refresh();
        }}
        onDelete={credential ? () => setDeleting(true) : undefined}
      />
      {saved && (
        <p className="success" role="status">
          {saved}
        </p>
      )}
      <ConfirmDialog
        open={deleting}
        title={`Delete the ${provider.label} credential`}
        confirmLabel="Delete"
        onClose={() => setDeleting(false)}
        onConfirm={async () => {
          await settingsApi.deleteCredential(provider.id);
          setSaved('Deleted.');
          await refresh();
        }}
      >
        <p>Delete this organization's {provider.label} credential? Agents fall back to the server's environment key, if there is one.</p>
      </ConfirmDialog>
    </article>
  );
}

function CredentialForm({ provider, credential, onSaved, onDelete }: { provider: Provider; credential: Credential | null; onSaved: (text: string) => void; onDelete?: () => void }) {
  const showBaseUrl = BASE_URL_PROVIDERS.has(provider.id) || !!credential?.baseUrl;
  const form = useZodForm({
    schema: credentialBody,
    initial: { apiKey: '', baseUrl: credential?.baseUrl ?? '' },
    idPrefix: `cred-${provider.id}`,
    submit: (body) => settingsApi.putCredential(provider.id, body),
    onSuccess: () => onSaved(credential ? 'Replaced. The new key is stored; it is not shown.' : 'Saved. The key is stored; it is not shown.'),
  });
  const keyLabel = credential?.hasApiKey ? 'New API key' : provider.needsKey ? 'API key' : 'API key (optional)';
  // Tests what the fields hold (checked as the server checks them), or the stored credential when they are empty.
  const [invalid, setInvalid] = useState<string>();
  const test = useMutation({ mutationFn: (body: CredentialBody | undefined) => testCredential(provider.id, body) });
  const runTest = () => {
    setInvalid(undefined);
    const apiKey = form.values.apiKey?.trim() || undefined;
    const baseUrl = form.values.baseUrl?.trim() || undefined;
    if (!apiKey && !baseUrl) return test.mutate(undefined);
    const parsed = credentialBody.safeParse({ apiKey, baseUrl });
    if (!parsed.success) {
      test.reset();
      const issue = parsed.error.issues[0]!;
      return setInvalid(`${issue.path.join('.') === 'baseUrl' ? 'the base URL' : 'the API key'} ${issue.message}`);
    }
    test.mutate(parsed.data);
  };
  const { text: testText, tone: testTone } = testSentence(test.data, test.error, invalid);
  return (
    <form onSubmit={form.handleSubmit} noValidate className="inline-form" aria-label={`${provider.label} credential`}>
      <TextField
        label={keyLabel}
        type="password"
        autoComplete="new-password"
        spellCheck={false}
        placeholder={credential?.hasApiKey ? '•••••••• (stored; type to replace)' : ''}
        hint="Write-only: it is never shown again."
        {...form.field('apiKey')}
      />
      {showBaseUrl && (
        <TextField
          label={OPTIONAL_BASE_URL.has(provider.id) ? 'Base URL (optional)' : 'Base URL'}
          type="url"
          placeholder={BASE_URL_PLACEHOLDER[provider.id] ?? 'https://gateway.example.com/v1'}
          hint="A public address. A model server on the Troupe server's own network is set up by its operator."
          autoComplete="off"
          {...form.field('baseUrl')}
        />
      )}
      <div className="form-actions">
        <Button type="submit" variant="primary" busy={form.submitting}>
          {credential ? 'Replace' : 'Save'}
        </Button>
        <Button busy={test.isPending} disabled={test.isPending || (!credential && !form.values.apiKey && !form.values.baseUrl)} onClick={runTest}>
          Test connection
        </Button>
        {onDelete && (
          <Button variant="danger" onClick={onDelete}>
            Delete
          </Button>
        )}
      </div>
      <FormError message={form.formError} />
      <p role="status" aria-live="polite" className={`small credential-test ${testTone}`} data-testid={`credential-test-${provider.id}`}>
        {testText}
      </p>
    </form>
  );
}

/** What a connection test said, in a sentence; a request the server refused (400) says why. */
function testSentence(result: ConnectionTest | undefined, error: unknown, invalid: string | undefined): { text: string; tone: string } {
  if (invalid) return { text: `Not tested: ${invalid}`, tone: 'error' };
  if (error) return { text: `Not tested: ${errorMessage(error)}`, tone: 'error' };
  if (!result) return { text: '', tone: '' };
  if (result.ok) {
    const models = result.modelCount ? ` · ${result.modelCount} model${result.modelCount === 1 ? '' : 's'} available` : '';
    return { text: `Connected in ${result.latencyMs} ms${models}.`, tone: 'success' };
  }
  return { text: `Failed${result.status ? ` (HTTP ${result.status})` : ''}: ${result.message}`, tone: 'error' };
}
