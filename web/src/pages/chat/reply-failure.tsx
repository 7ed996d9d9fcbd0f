import { Link } from 'react-router';
import type { Run } from './api';

export type RunFailure = NonNullable<Run['error']>;

interface Cause {
  model: string;
  code: string;
}

const CAUSE_TEXT: Record<string, string> = {
  provider_auth_failed: 'the provider refused the API key',
  missing_credential: 'no API key is set for this provider',
  credential_unreadable: 'the stored key cannot be decrypted',
  provider_model_not_found: 'the provider does not know this model',
  provider_rate_limited: 'the provider’s rate limit was reached',
  provider_unavailable: 'the provider is unavailable',
  provider_unreachable: 'the provider could not be reached',
  provider_timeout: 'the provider did not answer in time',
  model_endpoint_failed: 'the organization’s own base URL gave no usable answer',
};

function causesOf(error: RunFailure): Cause[] {
  const causes = (error.details as { causes?: unknown } | undefined)?.causes;
  if (!Array.isArray(causes)) return [];
  return causes.filter((c): c is Cause => typeof c?.model === 'string' && typeof c?.code === 'string');
}

/**
 * A chat reply that failed, said to the person in the conversation. When none of the agent's
 * models could answer (an outage, a wrong or missing key), an admin is told what failed and where
 * to fix it (the credentials page); anyone else is told to ask an admin, who can act on it.
 */
export function ReplyFailure({ error, agentName, isAdmin, runId }: { error: RunFailure; agentName: string; isAdmin: boolean; runId: string | null }) {
  const details = runId ? (
    <>
      {' '}
      <Link to={`/runs/${runId}`}>Run details</Link>
    </>
  ) : null;
  if (error.code !== 'all_models_failed') {
    return (
      <div className="form-error chat-error" role="alert">
        {agentName} could not answer: {error.message}
        {details}
      </div>
    );
  }
  if (!isAdmin) {
    return (
      <div className="form-error chat-error" role="alert">
        {agentName} could not answer: its language model is not available. Please ask an administrator of your organization to check the model
        provider settings.
      </div>
    );
  }
  const causes = causesOf(error);
  return (
    <div className="form-error chat-error" role="alert">
      <p>{agentName} could not answer: none of its models worked.</p>
      {causes.length > 0 && (
        <ul>
          {causes.map((c) => (
            <li key={c.model}>
              <code>{c.model}</code>: {CAUSE_TEXT[c.code] ?? c.code}
            </li>
          ))}
        </ul>
      )}
      <p>
        Check the provider keys on the <Link to="/settings/credentials">Credentials page</Link> and the agent’s model and fallback models.{details}
      </p>
    </div>
  );
}
