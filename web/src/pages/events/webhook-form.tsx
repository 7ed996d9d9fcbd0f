import { useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';
import { Button } from '../../components/button';
import { FormError, SelectField, TextAreaField, TextField } from '../../components/fields';
import { useZodForm } from '../../components/use-zod-form';
import { DEFAULT_HEADER, eventKeys, eventsApi, MAX_BODY_BYTES, type Endpoint, type VerificationScheme } from './api';
import { endpointFields, MAPPING_HINT, verificationOptions } from './webhook-create-dialog';

/** Blank means "none" here: an edit sends null to clear the mapping or the header. */
const orNull = (s: z.ZodString) => s.optional().transform((v) => v ?? null);
const editSchema = z.object({
  ...endpointFields,
  mapping: orNull(z.string().max(10_000)),
  signatureHeader: orNull(z.string().trim().toLowerCase().max(100)),
  toleranceSeconds: z.coerce.number().int().min(1).max(86_400),
});

/** Edit an endpoint's settings (admins); errors from the API show on their fields. */
export function EndpointForm({ endpoint: x }: { endpoint: Endpoint }) {
  const queryClient = useQueryClient();
  const form = useZodForm({
    schema: editSchema,
    initial: {
      name: x.name,
      eventType: x.eventType,
      verification: x.verification,
      mapping: x.mapping ?? '',
      signatureHeader: x.signatureHeader ?? '',
      toleranceSeconds: String(x.toleranceSeconds),
      maxBodyBytes: String(x.maxBodyBytes),
    },
    idPrefix: 'endpoint',
    submit: (body) => eventsApi.updateEndpoint(x.id, body),
    onSuccess: (saved) => {
      queryClient.setQueryData(eventKeys.endpoint(x.id), saved);
      void queryClient.invalidateQueries({ queryKey: eventKeys.endpoints, exact: true });
    },
  });
  const scheme = form.values.verification as VerificationScheme;
  const takesHeader = scheme === 'token' || scheme === 'hmac_sha256';
  const signed = scheme === 'hmac_sha256' || scheme === 'stripe';
  return (
    <section className="card" aria-labelledby="endpoint-edit-heading">
      <h2 id="endpoint-edit-heading">Settings</h2>
      <form onSubmit={form.handleSubmit} noValidate className="stack" aria-label="Endpoint settings">
        <div className="work-form-grid">
          <TextField label="Name" required autoComplete="off" {...form.field('name')} />
          <TextField label="Event type" required autoComplete="off" spellCheck={false} {...form.field('eventType')} />
          <SelectField label="Verification" options={verificationOptions} {...form.field('verification')} />
          {takesHeader && (
            <TextField label="Header" autoComplete="off" spellCheck={false} placeholder={DEFAULT_HEADER[scheme] ?? ''} hint={`Blank: ${DEFAULT_HEADER[scheme]}.`} {...form.field('signatureHeader')} />
          )}
          {signed && <TextField label="Replay window (seconds)" type="number" min={1} max={86_400} hint="How far a signed timestamp may be from now." {...form.field('toleranceSeconds')} />}
          <TextField label="Largest body (bytes)" type="number" min={1} max={MAX_BODY_BYTES} {...form.field('maxBodyBytes')} />
        </div>
        <TextAreaField label="Mapping" rows={4} spellCheck={false} className="mono" hint={MAPPING_HINT} {...form.field('mapping')} />
        <FormError message={form.formError} />
        <div className="form-actions">
          {form.succeeded && (
            <span role="status" className="success">
              Saved.
            </span>
          )}
          <Button type="submit" variant="primary" busy={form.submitting}>
            Save settings
          </Button>
        </div>
      </form>
    </section>
  );
}
