import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { z } from 'zod';
import { roleAtLeast } from '@server/shared/roles';
import { createApiKeyBody, roleSchema } from '@server/auth/dto';
import type { ApiKey } from '../../api/types';
import { useSession } from '../../auth/session';
import { Badge } from '../../components/badge';
import { Button } from '../../components/button';
import { CopyButton } from '../../components/copy-button';
import { CheckboxField, FormError, SelectField, TextField } from '../../components/fields';
import { EmptyState, QueryView } from '../../components/states';
import { useZodForm } from '../../components/use-zod-form';
import { settingsApi, settingsKeys, when } from './api';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { RoleGate } from './settings-layout';

/** A day picked in the form (YYYY-MM-DD, local) → the end of that day as an ISO instant; the API checks the rest. */
function dayToExpiry(value: unknown): unknown {
  if (typeof value !== 'string' || value === '') return value === '' ? undefined : value;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 23, 59, 59).toISOString() : value;
}

/** The create body, with the expiry picked as a day. */
const createKeyForm = createApiKeyBody.extend({ expiresAt: z.preprocess(dayToExpiry, createApiKeyBody.shape.expiresAt) });

/** API keys: create (the key shown once), list, revoke. Admins only. */
export function ApiKeysPage() {
  return (
    <RoleGate minRole="admin">
      <CreateKeyCard />
      <KeysCard />
    </RoleGate>
  );
}

function CreateKeyCard() {
  const { role } = useSession();
  const queryClient = useQueryClient();
  const secretRef = useRef<HTMLInputElement>(null);
  const form = useZodForm({
    schema: createKeyForm,
    initial: { name: '', role: 'member', expiresAt: '' },
    idPrefix: 'key',
    submit: settingsApi.createApiKey,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['settings', 'api-keys'] }),
  });
  const roles = roleSchema.options.filter((r) => role && roleAtLeast(role, r)).map((r) => ({ value: r, label: r }));
  const created = form.result;
  return (
    <section className="card" aria-labelledby="new-key-heading">
      <h2 id="new-key-heading">New API key</h2>
      <p className="muted">Scripts and other servers call the API with a key instead of a password. A key acts with its role in this organization.</p>
      {created ? (
        <div className="secret-once" role="alert" aria-labelledby="secret-heading">
          <h3 id="secret-heading">Copy your new key “{created.apiKey.name}” now</h3>
          <p>
            <strong>This is the only time it is shown.</strong> Troupe stores only a fingerprint of it; if you lose it, revoke it and create another.
          </p>
          <div className="secret-row">
            <label htmlFor="new-key-secret" className="visually-hidden">
              The new API key
            </label>
            <input id="new-key-secret" ref={secretRef} readOnly value={created.key} onFocus={(e) => e.currentTarget.select()} spellCheck={false} autoComplete="off" />
            <CopyButton text={created.key} label="Copy key" selectTarget={() => secretRef.current} />
          </div>
          <div className="form-actions">
            <Button variant="primary" onClick={form.reset}>
              I have stored it
            </Button>
          </div>
        </div>
      ) : (
        <form onSubmit={form.handleSubmit} noValidate className="inline-form" aria-label="Create an API key">
          <TextField label="Name" required hint="What uses it, e.g. “CRM sync”" autoComplete="off" {...form.field('name')} />
          <SelectField label="Role" options={roles} hint="At most your own role" {...form.field('role')} />
          <TextField label="Expires" type="date" hint="Optional; the key stops working after this day" {...form.field('expiresAt')} />
          <div className="form-actions">
            <Button type="submit" variant="primary" busy={form.submitting}>
              Create key
            </Button>
          </div>
        </form>
      )}
      <FormError message={form.formError} />
    </section>
  );
}

function KeysCard() {
  const [includeRevoked, setIncludeRevoked] = useState(false);
  const keys = useQuery({ queryKey: settingsKeys.apiKeys(includeRevoked), queryFn: ({ signal }) => settingsApi.apiKeys(includeRevoked, signal) });
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const queryClient = useQueryClient();
  return (
    <section className="card" aria-labelledby="keys-heading">
      <div className="card-header">
        <h2 id="keys-heading">API keys</h2>
        <CheckboxField id="keys-revoked" label="Show revoked keys" checked={includeRevoked} onChange={(e) => setIncludeRevoked(e.target.checked)} />
      </div>
      <QueryView query={keys} loadingLabel="Loading API keys…" isEmpty={(d) => d.items.length === 0} empty={<EmptyState title="No API keys yet" />}>
        {(data) => (
          <div className="table-scroll">
            <table className="data-table responsive">
              <caption className="visually-hidden">API keys (the keys themselves are never shown again)</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Key</th>
                  <th scope="col">Role</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Expires</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((k) => {
                  const expired = k.expiresAt !== null && new Date(k.expiresAt) <= new Date();
                  return (
                    <tr key={k.id}>
                      <td data-label="Name">{k.name}</td>
                      <td data-label="Key" className="mono">{k.prefix}…</td>
                      <td data-label="Role">
                        <Badge>{k.role}</Badge>
                      </td>
                      <td data-label="Created">{when(k.createdAt)}</td>
                      <td data-label="Last used">{k.lastUsedAt ? when(k.lastUsedAt) : 'never'}</td>
                      <td data-label="Expires">{k.expiresAt ? when(k.expiresAt) : 'never'}</td>
                      <td className="actions">
                        {k.revokedAt ? (
                          <Badge tone="danger">revoked</Badge>
                        ) : expired ? (
                          <Badge tone="warning">expired</Badge>
                        ) : (
                          <Button variant="ghost" onClick={() => setRevoking(k)} aria-label={`Revoke ${k.name}`}>
                            Revoke
                          </Button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke API key"
        confirmLabel="Revoke key"
        onClose={() => setRevoking(null)}
        onConfirm={async () => {
          await settingsApi.revokeApiKey(revoking!.id);
          await queryClient.invalidateQueries({ queryKey: ['settings', 'api-keys'] });
        }}
      >
        <p>
          Revoke <strong>{revoking?.name}</strong> ({revoking?.prefix}…)? Anything using it is refused from now on. This cannot be undone.
        </p>
      </ConfirmDialog>
    </section>
  );
}
