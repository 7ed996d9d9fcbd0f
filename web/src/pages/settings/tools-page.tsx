import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../../api/errors';
import { CheckboxField, FormError } from '../../components/fields';
import { QueryView } from '../../components/states';
import { settingsApi, settingsKeys, when, type ToolSettings } from './api';
import { RoleGate } from './settings-layout';

/** The organization's tool settings (admins): what send_webhook does after a crash, and what is set. */
export function ToolSettingsPage() {
  return (
    <RoleGate minRole="admin">
      <ToolSettingsCard />
    </RoleGate>
  );
}

function ToolSettingsCard() {
  const settings = useQuery({ queryKey: settingsKeys.tools, queryFn: ({ signal }) => settingsApi.toolSettings(signal) });
  return (
    <section className="card" aria-labelledby="tool-settings-heading">
      <h2 id="tool-settings-heading">Tool settings</h2>
      <QueryView query={settings} loadingLabel="Loading tool settings…">
        {(data) => <ToolSettingsForm settings={data} />}
      </QueryView>
    </section>
  );
}

function ToolSettingsForm({ settings }: { settings: ToolSettings }) {
  const queryClient = useQueryClient();
  // The value the person just chose, set in the change event itself: the mutation's own pending
  // state arrives a render later, and a controlled checkbox snaps back to its old value meanwhile.
  const [chosen, setChosen] = useState<boolean | null>(null);
  const save = useMutation({
    mutationFn: (on: boolean) => settingsApi.updateToolSettings({ webhookRetryOnCrash: on }),
    onSuccess: (saved) => queryClient.setQueryData(settingsKeys.tools, saved),
    onSettled: () => setChosen(null),
  });
  return (
    <div className="stack">
      <dl className="stat-row">
        <div>
          <dt>Private hosts tools may reach</dt>
          <dd>{settings.httpAllowlist.length ? settings.httpAllowlist.join(', ') : 'None'}</dd>
        </div>
        <div>
          <dt>Webhook signing</dt>
          <dd>{settings.webhookSecretSet ? 'Secret set' : 'Unsigned'}</dd>
        </div>
        <div>
          <dt>Last changed</dt>
          <dd>{when(settings.updatedAt)}</dd>
        </div>
      </dl>
      <CheckboxField
        id="tools-webhook-retry"
        label="Resend a webhook interrupted by a crash"
        hint="When a worker dies while send_webhook is sending, send it again with the same x-troupe-delivery id instead of asking a person. Only if your receivers drop a delivery id they have already seen."
        // The new value at once (the save follows); back to the stored one if it fails.
        checked={chosen ?? settings.webhookRetryOnCrash}
        disabled={save.isPending}
        onChange={(e) => {
          setChosen(e.target.checked);
          save.mutate(e.target.checked);
        }}
      />
      <FormError message={save.error ? errorMessage(save.error) : undefined} />
      {save.isSuccess && (
        <p className="success" role="status">
          Saved. {save.data.webhookRetryOnCrash ? 'Interrupted webhooks are sent again.' : 'Interrupted webhooks wait for a person.'}
        </p>
      )}
    </div>
  );
}
