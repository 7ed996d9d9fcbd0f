import { useState, type ReactNode } from 'react';
import { errorMessage } from '../../api/errors';
import { Button } from '../../components/button';
import { Dialog } from '../../components/dialog';
import { FormError } from '../../components/fields';

/** Asks before a destructive action; shows the API's refusal inside the dialog. */
export function ConfirmDialog({ open, title, children, confirmLabel, onConfirm, onClose }: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
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
          <Button onClick={close}>Cancel</Button>
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
