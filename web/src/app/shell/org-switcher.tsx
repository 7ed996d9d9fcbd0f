import { useState } from 'react';
import { useSession } from '../../auth/session';
import { Icon } from '../../components/icons';
import { CreateOrgDialog } from './create-org-dialog';

/** Chooses the organization this tab acts in (a native select: keyboard and phone friendly), or creates one. */
export function OrgSwitcher() {
  const { org, organizations, switchOrg } = useSession();
  const [creating, setCreating] = useState(false);
  return (
    <div className="org-switcher">
      <label htmlFor="org-switcher" className="org-switcher-label">
        Organization
      </label>
      <div className="org-switcher-row">
        <select id="org-switcher" value={org?.id ?? ''} onChange={(e) => switchOrg(e.target.value)} disabled={organizations.length === 0}>
          {organizations.length === 0 && <option value="">No organization</option>}
          {organizations.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name}
            </option>
          ))}
        </select>
        <button type="button" className="btn btn-ghost btn-icon" onClick={() => setCreating(true)} title="New organization">
          <Icon name="plus" />
          <span className="visually-hidden">New organization</span>
        </button>
      </div>
      {org && <p className="org-switcher-role">Your role: {org.role}</p>}
      <CreateOrgDialog open={creating} onClose={() => setCreating(false)} />
    </div>
  );
}
