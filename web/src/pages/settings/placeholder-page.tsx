import { Placeholder } from '../../components/placeholder';

/** PLACEHOLDER: replaced by the Settings pages (delete this file and update ./routes.tsx). */
export function SettingsPlaceholderPage() {
  return <Placeholder title="Settings" description="Members, invitations, API keys, provider credentials, billing, scheduler and queue." />;
}
