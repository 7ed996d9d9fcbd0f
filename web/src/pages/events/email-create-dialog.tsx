import { useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';
import { Button } from '../../components/button';
import { CopyButton } from '../../components/copy-button';
import { Dialog } from '../../components/dialog';
import { FormError, SelectField, TextField } from '../../components/fields';
import { useZodForm } from '../../components/use-zod-form';
import { EVENT_TYPE_HINT, EVENT_TYPE_RE } from './api';
import { DEFAULT_EMAIL_EVENT_TYPE, DEFAULT_POLL_SECONDS, emailApi, emailKeys, INBOX_KINDS, KIND_LABELS, MIN_POLL_SECONDS, PARSE_PROVIDERS, PROVIDER_LABELS, type CreateInbox, type InboxWithToken } from './email-api';

/** The form's fields (text inputs), checked as src/email-in/dto.ts `createInboxBody` checks them; each kind asks for its own. */
const common = { name: z.string().trim().min(1).max(200), eventType: z.string().trim().min(1).max(200).regex(EVENT_TYPE_RE, EVENT_TYPE_HINT) };
const formSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('smtp'), ...common }),
  z.object({
    kind: z.literal('imap'),
    ...common,
    host: z.string().trim().min(1).max(253),
    port: z.coerce.number().int().min(1).max(65_535),
    security: z.enum(['tls', 'starttls']),
    username: z.string().min(1).max(500),
    password: z.string().min(1).max(2000),
    mailbox: z.string().trim().min(1).max(500),
    pollSeconds: z.coerce.number().int().min(MIN_POLL_SECONDS).max(86_400),
  }),
  z.object({ kind: z.literal('parse'), ...common, provider: z.enum(PARSE_PROVIDERS), signingKey: z.string().min(8).max(500).optional() }),
]);
type FormValues = z.output<typeof formSchema>;

function toBody(v: FormValues): CreateInbox {
  if (v.kind === 'imap') {
    const { security, ...rest } = v;
    return { ...rest, secure: security === 'tls' };
  }
  if (v.kind === 'parse') return { ...v, signingKey: v.provider === 'mailgun' ? v.signingKey : undefined };
  return v;
}

const INITIAL = {
  kind: 'smtp',
  name: '',
  eventType: DEFAULT_EMAIL_EVENT_TYPE,
  host: '',
  port: '993',
  security: 'tls',
  username: '',
  password: '',
  mailbox: 'INBOX',
  pollSeconds: String(DEFAULT_POLL_SECONDS),
  provider: 'sendgrid',
  signingKey: '',
};

/** What a new inbox shows once: the SMTP address to send to, or the parse URL with its token. */
export function CreatedInbox({ inbox }: { inbox: InboxWithToken }) {
  if (inbox.address) {
    return (
      <div className="field">
        <label htmlFor="email-created-address">Send or forward mail to</label>
        <div className="secret-row">
          <input id="email-created-address" readOnly value={inbox.address} onFocus={(e) => e.currentTarget.select()} />
          <CopyButton text={inbox.address} label="Copy address" />
        </div>
      </div>
    );
  }
  if (inbox.tokenUrl) {
    return (
      <div className="field">
        <label htmlFor="email-created-url">The URL to give {inbox.provider ? PROVIDER_LABELS[inbox.provider] : 'the provider'}</label>
        <div className="secret-row">
          <input id="email-created-url" readOnly value={inbox.tokenUrl} onFocus={(e) => e.currentTarget.select()} />
          <CopyButton text={inbox.tokenUrl} label="Copy URL" />
        </div>
        <p className="field-hint">It holds the inbox's token and is shown only now; a lost one can be replaced (Rotate token).</p>
      </div>
    );
  }
  return <p>Troupe polls the mailbox every {inbox.pollSeconds} s; mail that arrives from now on becomes events. Use “Test” to check the sign-in.</p>;
}

/** A new email inbox: the kind, then that kind's fields. Once created, the address or URL to copy. */
export function CreateInboxDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const queryClient = useQueryClient();
  const form = useZodForm({
    schema: formSchema,
    initial: INITIAL as z.input<typeof formSchema>,
    idPrefix: 'new-inbox',
    submit: (v) => emailApi.create(toBody(v)),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: emailKeys.inboxes }),
  });
  const close = () => {
    form.reset();
    onClose();
  };
  const kind = (form.values as { kind: string }).kind;
  const provider = (form.values as { provider?: string }).provider;
  const created = form.result;
  return (
    <Dialog open={open} onClose={close} title={created ? 'Inbox created' : 'New email inbox'}>
      {created ? (
        <div className="stack">
          <CreatedInbox inbox={created} />
          <div className="form-actions">
            <Button variant="primary" onClick={close}>
              Done
            </Button>
          </div>
        </div>
      ) : (
        <form onSubmit={form.handleSubmit} noValidate aria-label="New email inbox">
          <SelectField label="Kind" options={INBOX_KINDS.map((k) => ({ value: k, label: KIND_LABELS[k] }))} {...form.field('kind')} />
          <TextField label="Name" required autoFocus autoComplete="off" hint="e.g. “Support mail”" {...form.field('name')} />
          <TextField label="Event type" required autoComplete="off" spellCheck={false} hint="The type of the events its mail becomes." {...form.field('eventType')} />
          {kind === 'imap' && (
            <>
              <TextField label="IMAP server" required autoComplete="off" spellCheck={false} placeholder="imap.example.com" {...form.field('host')} />
              <TextField label="Port" type="number" min={1} max={65535} inputMode="numeric" {...form.field('port')} />
              <SelectField
                label="Security"
                options={[
                  { value: 'tls', label: 'TLS (usually port 993)' },
                  { value: 'starttls', label: 'STARTTLS when offered (usually port 143)' },
                ]}
                {...form.field('security')}
              />
              <TextField label="User name" required autoComplete="off" {...form.field('username')} />
              <TextField label="Password" required type="password" autoComplete="new-password" hint="Stored encrypted; never shown again." {...form.field('password')} />
              <TextField label="Mailbox" autoComplete="off" {...form.field('mailbox')} />
              <TextField label="Poll every (seconds)" type="number" min={MIN_POLL_SECONDS} inputMode="numeric" hint={`At least ${MIN_POLL_SECONDS}.`} {...form.field('pollSeconds')} />
            </>
          )}
          {kind === 'parse' && (
            <>
              <SelectField label="Provider" options={PARSE_PROVIDERS.map((p) => ({ value: p, label: PROVIDER_LABELS[p] }))} {...form.field('provider')} />
              {provider === 'mailgun' && <TextField label="Signing key (optional)" type="password" autoComplete="off" hint="Mailgun's webhook signing key: every post's signature is then checked." {...form.field('signingKey')} />}
            </>
          )}
          <FormError message={form.formError} />
          <div className="form-actions">
            <Button onClick={close}>Cancel</Button>
            <Button type="submit" variant="primary" busy={form.submitting}>
              Create inbox
            </Button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
