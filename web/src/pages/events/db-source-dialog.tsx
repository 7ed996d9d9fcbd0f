import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { z } from 'zod';
import { createDbSourceBody, updateDbSourceBody } from '@server/db-sources/dto';
import { Button } from '../../components/button';
import { Dialog } from '../../components/dialog';
import { FormError, SelectField, TextField } from '../../components/fields';
import { ErrorState, Loading } from '../../components/states';
import { useZodForm } from '../../components/use-zod-form';
import { DB_OPERATIONS, DB_SOURCE_MODES, dbSourceKeys, dbSourcesApi, MODE_LABELS, type DbSource } from './db-sources-api';

/** Step 1: the server's create body, name and connection string (the source is made switched off). */
const connectSchema = createDbSourceBody.pick({ name: true, connectionString: true });
/** Step 2: the server's update body for what to follow; the number typed as text. */
const setupSchema = updateDbSourceBody.pick({ tableName: true, mode: true, operations: true, cursorColumn: true, keyColumn: true }).extend({ pollSeconds: z.coerce.number().int().min(1).max(86_400) });

/**
 * A new database source in two steps: connect (name and connection string; the source is saved
 * switched off), then choose the table from the database's own list, the mode and the operations,
 * and switch it on. With `source`, the second step for a source saved before.
 */
export function DbSourceDialog({ open, source, onClose }: { open: boolean; source: DbSource | null; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [created, setCreated] = useState<DbSource | null>(null);
  const connect = useZodForm({
    schema: connectSchema,
    initial: { name: '', connectionString: '' },
    idPrefix: 'new-db',
    submit: (body) => dbSourcesApi.create(body),
    onSuccess: (saved) => {
      setCreated(saved);
      void queryClient.invalidateQueries({ queryKey: dbSourceKeys.all, exact: true });
    },
  });
  const current = source ?? created;
  const close = () => {
    connect.reset();
    setCreated(null);
    onClose();
  };
  return (
    <Dialog open={open} onClose={close} title={current ? `Follow a table of ${current.name}` : 'Connect a database'}>
      {current ? (
        <SetupForm source={current} onDone={close} />
      ) : (
        <form onSubmit={connect.handleSubmit} noValidate aria-label="Connect a database">
          <TextField label="Name" required autoFocus autoComplete="off" hint="What it is, e.g. “Shop database”" {...connect.field('name')} />
          <TextField
            label="Connection string"
            required
            autoComplete="off"
            spellCheck={false}
            type="password"
            placeholder="postgres://user:password@db.example.com:5432/shop?sslmode=require"
            hint="A PostgreSQL URL. It is stored encrypted and never shown again (only host, database and user). Private and local addresses need the operator's TROUPE_PRIVATE_DATABASE_HOSTS."
            {...connect.field('connectionString')}
          />
          <FormError message={connect.formError} />
          <div className="form-actions">
            <Button onClick={close}>Cancel</Button>
            <Button type="submit" variant="primary" busy={connect.submitting}>
              Connect
            </Button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

function SetupForm({ source, onDone }: { source: DbSource; onDone: () => void }) {
  const queryClient = useQueryClient();
  const tables = useQuery({ queryKey: dbSourceKeys.tables(source.id), queryFn: ({ signal }) => dbSourcesApi.tables(source.id, signal), retry: false });
  const form = useZodForm({
    schema: setupSchema,
    initial: { tableName: source.tableName ?? '', mode: source.mode, operations: source.operations, cursorColumn: source.cursorColumn, keyColumn: source.keyColumn, pollSeconds: String(source.pollSeconds) },
    idPrefix: 'db-setup',
    submit: (body) => dbSourcesApi.update(source.id, { ...body, enabled: true }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: dbSourceKeys.all, exact: true });
      onDone();
    },
  });
  if (tables.isPending) return <Loading label="Reading the database's tables…" />;
  if (tables.isError) return <ErrorState title="Could not read the database's tables" error={tables.error} onRetry={() => void tables.refetch()} />;
  const options = [{ value: '', label: 'Choose a table…' }, ...tables.data.items.map((t) => ({ value: `${t.schema}.${t.name}`, label: t.schema === 'public' ? t.name : `${t.schema}.${t.name}` }))];
  const chosen = tables.data.items.find((t) => `${t.schema}.${t.name}` === form.values.tableName);
  const names = chosen?.columns.map((c) => `${c.name} (${c.type})`).join(', ') ?? '';
  const ops = (form.values.operations ?? []) as string[];
  const poll = form.values.mode === 'poll';
  return (
    <form onSubmit={form.handleSubmit} noValidate aria-label="Follow a table">
      <p className="muted small">
        {source.connection.masked}
      </p>
      <SelectField label="Table" required options={options} hint="Its changes become events db.<table>.<operation>." {...form.field('tableName')} />
      <SelectField label="Mode" options={DB_SOURCE_MODES.map((m) => ({ value: m, label: MODE_LABELS[m] }))} {...form.field('mode')} />
      {poll ? (
        <>
          <TextField label="Cursor column" required autoComplete="off" spellCheck={false} hint={`Grows with every change, e.g. updated_at.${names ? ` Columns: ${names}.` : ''}`} {...form.field('cursorColumn')} />
          <TextField label="Key column" required autoComplete="off" spellCheck={false} hint="Unique: orders rows with the same cursor, e.g. id." {...form.field('keyColumn')} />
          <TextField label="Read every (seconds)" type="number" min={1} max={86_400} inputMode="numeric" {...form.field('pollSeconds')} />
        </>
      ) : (
        <fieldset className="field events-db-ops">
          <legend>Operations</legend>
          {DB_OPERATIONS.map((op) => (
            <label key={op} className="field-checkbox">
              <input
                type="checkbox"
                checked={ops.includes(op)}
                onChange={(e) => form.setValue('operations', e.target.checked ? [...ops, op] : ops.filter((o) => o !== op))}
              />{' '}
              {op}
            </label>
          ))}
          {form.errorFor('operations') && <p className="field-error">{form.errorFor('operations')}</p>}
        </fieldset>
      )}
      <FormError message={form.formError} />
      <div className="form-actions">
        <Button onClick={onDone}>Later</Button>
        <Button type="submit" variant="primary" busy={form.submitting}>
          {poll ? 'Start polling' : 'Install the trigger and start'}
        </Button>
      </div>
    </form>
  );
}
