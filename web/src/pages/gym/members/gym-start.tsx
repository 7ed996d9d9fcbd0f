import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { errorMessage } from '../../../api/errors';
import { useSession } from '../../../auth/session';
import { Button } from '../../../components/button';
import { FormError } from '../../../components/fields';
import { gymApi, gymKeys } from '../api';
import { ImportForm } from './import-form';

/**
 * The Gym section of an organization without contacts: fill it with the demo gym (admins: the
 * demo route refuses others) or import the gym's contacts from a CSV file.
 */
export function GymStart() {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const demo = useMutation({ mutationFn: gymApi.demo, onSuccess: () => queryClient.invalidateQueries({ queryKey: gymKeys.all }) });
  return (
    <div className="grid-2 gym-start">
      <section className="card" aria-labelledby="gym-demo-heading">
        <h2 id="gym-demo-heading">Try it with a demo gym</h2>
        <p>
          A fictional gym made up for this organization: about 500 members with a year of subscriptions and payments (some failed, some refunded), classes on a weekly timetable with bookings and
          no-shows, check-ins, goals, and leads in a pipeline. Every page of the Gym section and every gym agent works on it at once.
        </p>
        {can('admin') ? (
          <>
            <Button variant="primary" busy={demo.isPending} onClick={() => demo.mutate()}>
              Fill with a demo gym
            </Button>
            {demo.isPending && (
              <p className="muted small" role="status">
                Writing the demo gym: this takes a few seconds…
              </p>
            )}
            <FormError message={demo.error ? errorMessage(demo.error) : undefined} />
          </>
        ) : (
          <p className="muted">An admin of this organization can fill it with the demo gym.</p>
        )}
      </section>
      <section className="card" aria-labelledby="gym-import-heading">
        <h2 id="gym-import-heading">Import contacts (CSV)</h2>
        {can('member') ? (
          <>
            <p className="muted">
              Members and leads from your current system. The file is checked first and nothing is written until every row is fine. Subscriptions and payments can follow on the{' '}
              <Link to="/gym/import">import page</Link>.
            </p>
            <ImportForm entity="contacts" />
          </>
        ) : (
          <p className="muted">A member of this organization can import the gym's contacts.</p>
        )}
      </section>
    </div>
  );
}
