import { useQueryClient } from '@tanstack/react-query';
import { createOrgBody } from '@server/auth/dto';
import { authApi } from '../../api/auth';
import { queryKeys } from '../../api/query-client';
import { useSession } from '../../auth/session';
import { Button } from '../../components/button';
import { Dialog } from '../../components/dialog';
import { FormError, TextField } from '../../components/fields';
import { useZodForm } from '../../components/use-zod-form';

/** Creates an organization (you become its owner) and switches to it. */
export function CreateOrgDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  return (
    <Dialog open={open} onClose={onClose} title="New organization">
      <CreateOrgForm onDone={onClose} />
    </Dialog>
  );
}

function CreateOrgForm({ onDone }: { onDone: () => void }) {
  const queryClient = useQueryClient();
  const { switchOrg } = useSession();
  const form = useZodForm({
    schema: createOrgBody,
    initial: { name: '' },
    idPrefix: 'new-org',
    submit: authApi.createOrg,
    onSuccess: async (org) => {
      await queryClient.invalidateQueries({ queryKey: queryKeys.me });
      switchOrg(org.id);
      onDone();
    },
  });
  return (
    <form onSubmit={form.handleSubmit} noValidate className="stack">
      <TextField label="Name" required autoFocus autoComplete="organization" {...form.field('name')} />
      <FormError message={form.formError} />
      <div className="form-actions">
        <Button onClick={onDone}>Cancel</Button>
        <Button type="submit" variant="primary" busy={form.submitting}>
          Create
        </Button>
      </div>
    </form>
  );
}
