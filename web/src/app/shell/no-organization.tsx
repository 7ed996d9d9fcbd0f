import { useState } from 'react';
import { Link } from 'react-router';
import { Button } from '../../components/button';
import { PageHeader } from '../../components/page-header';
import { EmptyState } from '../../components/states';
import { CreateOrgDialog } from './create-org-dialog';

/** Shown in place of a page to a person who belongs to no organization (they left, or were removed from, all of them). */
export function NoOrganization() {
  const [creating, setCreating] = useState(false);
  return (
    <>
      <PageHeader title="No organization" />
      <EmptyState
        title="You are not a member of any organization"
        action={
          <Button variant="primary" onClick={() => setCreating(true)}>
            Create an organization
          </Button>
        }
      >
        <p>
          Create one (you become its owner), or open the invitation link someone sent you. Your <Link to="/profile">profile</Link> is still
          here.
        </p>
      </EmptyState>
      <CreateOrgDialog open={creating} onClose={() => setCreating(false)} />
    </>
  );
}
