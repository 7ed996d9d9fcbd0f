import { useState, type ReactNode } from 'react';
import { errorMessage } from '../api/errors';
import { Button } from './button';
import { Dialog } from './dialog';
import { FormError } from './fields';

/**
 * Asks before a destructive action; shows the API's refusal inside the dialog. `onConfirm` is the
 * action (e.g. a mutation's `mutateAsync`): the dialog closes when it succeeds.
 */
export function ConfirmDialog({ open, title, children, confirmLabel, cancelLabel = 'Cancel', onConfirm, onClose }: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const close = () => {
    setError(undefined);
    onClose();
  };
  return (
    <Dialog open={open} onClose={close} title={title}>
      <div className="stack">
        {children}
        <FormError message={error} />
        <div className="form-actions">
          <Button onClick={close} autoFocus>
            {cancelLabel}
          </Button>
          <Button
            variant="danger"
            busy={busy}
            onClick={() => {
              setBusy(true);
              setError(undefined);
              onConfirm()
                .then(close)
                .catch((err: unknown) => setError(errorMessage(err)))
                .finally(() => setBusy(false));
            }}
          >
            {confirmLabel}
          </Button>
        </div>
      </div>
    </Dialog>
  );
}
