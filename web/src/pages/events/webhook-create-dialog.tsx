import { useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';
import { Link } from 'react-router';
import { Button } from '../../components/button';
import { CopyButton } from '../../components/copy-button';
import { Dialog } from '../../components/dialog';
import { FormError, SelectField, TextAreaField, TextField } from '../../components/fields';
import { useZodForm } from '../../components/use-zod-form';
import { EVENT_TYPE_HINT, EVENT_TYPE_RE, eventKeys, eventsApi, MAX_BODY_BYTES, VERIFICATION_LABELS, VERIFICATION_SCHEMES } from './api';
import { SecretOnce } from './secret-once';

/** The fields of dto.ts `createEndpointBody` this dialog asks for (the rest keep the server's defaults). */
export const endpointFields = {
  name: z.string().trim().min(1).max(200),
  eventType: z.string().trim().min(1).max(200).regex(EVENT_TYPE_RE, EVENT_TYPE_HINT),
  verification: z.enum(VERIFICATION_SCHEMES),
  maxBodyBytes: z.coerce.number().int().min(1).max(MAX_BODY_BYTES),
};
const createSchema = z.object({ ...endpointFields, mapping: z.string().max(10_000).optional() });

export const MAPPING_HINT = 'Optional JSONata over {body, headers, query} giving {type, payload, dedupeKey, occurredAt}; empty: the body is the payload.';
export const verificationOptions = VERIFICATION_SCHEMES.map((v) => ({ value: v, label: VERIFICATION_LABELS[v] }));

/**
 * A new webhook endpoint: name, event type, verification, an optional mapping and a body limit.
 * Once created it shows the secret, once, with the URL senders POST to.
 */
export function CreateEndpointDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const queryClient = useQueryClient();
  const form = useZodForm({
    schema: createSchema,
    initial: { name: '', eventType: '', verification: 'token', mapping: '', maxBodyBytes: String(1_048_576) },
    idPrefix: 'new-endpoint',
    submit: (body) => eventsApi.createEndpoint(body),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: eventKeys.endpoints }),
  });
  const close = () => {
    form.reset();
    onClose();
  };
  const created = form.result;
  return (
    <Dialog open={open} onClose={close} title={created ? 'Endpoint created' : 'New webhook endpoint'}>
      {created ? (
        <div className="stack">
          <div className="field">
            <label htmlFor="new-endpoint-url">URL senders POST to</label>
            <div className="secret-row">
              <input id="new-endpoint-url" readOnly value={created.url} onFocus={(e) => e.currentTarget.select()} />
              <CopyButton text={created.url} label="Copy URL" />
            </div>
          </div>
          {created.secret === null ? (
            <p className="notice">This endpoint checks nothing: anyone who knows the URL can send events to it.</p>
          ) : (
            <SecretOnce endpoint={created} onDone={close} doneLabel="I have stored it, close" />
          )}
          <div className="form-actions">
            <Link className="btn btn-secondary" to={`/events/webhooks/${created.id}`} onClick={close}>
              Open the endpoint
            </Link>
          </div>
        </div>
      ) : (
        <form onSubmit={form.handleSubmit} noValidate aria-label="New webhook endpoint">
          <TextField label="Name" required autoFocus autoComplete="off" hint="Who sends to it, e.g. “Contact form”" {...form.field('name')} />
          <TextField label="Event type" required autoComplete="off" spellCheck={false} placeholder="form.submitted" hint="The type of the events its deliveries become." {...form.field('eventType')} />
          <SelectField label="Verification" options={verificationOptions} hint="How a delivery proves it comes from your sender." {...form.field('verification')} />
          <TextAreaField label="Mapping (optional)" rows={3} spellCheck={false} className="mono" hint={MAPPING_HINT} {...form.field('mapping')} />
          <TextField label="Largest body (bytes)" type="number" min={1} max={MAX_BODY_BYTES} inputMode="numeric" hint="Bigger deliveries are refused (413). Default 1 MiB." {...form.field('maxBodyBytes')} />
          <FormError message={form.formError} />
          <div className="form-actions">
            <Button onClick={close}>Cancel</Button>
            <Button type="submit" variant="primary" busy={form.submitting}>
              Create endpoint
            </Button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
