import { useId, useRef } from 'react';
import { Button } from '../../components/button';
import { CopyButton } from '../../components/copy-button';
import { DEFAULT_HEADER, type EndpointWithSecret } from './api';
import '../settings/settings.css';

/**
 * An endpoint's secret, the one time the API returns it (on create and on rotate): Troupe keeps it
 * encrypted and never shows it again, so this says so plainly and offers a copy. `onDone` hides it.
 */
export function SecretOnce({ endpoint, onDone, doneLabel = 'I have stored it' }: { endpoint: EndpointWithSecret; onDone: () => void; doneLabel?: string }) {
  const inputRef = useRef<HTMLInputElement>(null);
  const id = useId();
  const secret = endpoint.secret;
  if (secret === null) return null;
  const header = endpoint.signatureHeader ?? DEFAULT_HEADER[endpoint.verification];
  return (
    <div className="secret-once" role="alert" aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`}>Copy the secret of “{endpoint.name}” now</h3>
      <p>
        <strong>You will not see it again.</strong> Troupe keeps it encrypted and never shows it; if you lose it, rotate it and give senders the new one.
      </p>
      <div className="secret-row">
        <label htmlFor={`${id}-secret`} className="visually-hidden">
          The endpoint secret
        </label>
        <input id={`${id}-secret`} ref={inputRef} readOnly value={secret} onFocus={(e) => e.currentTarget.select()} spellCheck={false} autoComplete="off" data-testid="endpoint-secret" />
        <CopyButton text={secret} label="Copy secret" selectTarget={() => inputRef.current} />
      </div>
      {endpoint.verification === 'token' && (
        <p className="small">
          Senders put it in the <code>{header}</code> header{header === 'authorization' ? ' as a bearer token' : ', or send Authorization: Bearer <secret>'}.
        </p>
      )}
      {endpoint.verification !== 'token' && header && (
        <p className="small">
          Senders sign each body with it; the signature goes in the <code>{header}</code> header.
        </p>
      )}
      <div className="form-actions">
        <Button variant="primary" onClick={onDone}>
          {doneLabel}
        </Button>
      </div>
    </div>
  );
}
