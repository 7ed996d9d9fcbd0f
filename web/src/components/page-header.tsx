import { useEffect, type ReactNode } from 'react';
import { Link } from 'react-router';

/** Sets the document title: "<title> · Troupe". */
export function usePageTitle(title: string) {
  useEffect(() => {
    document.title = title ? `${title} · Troupe` : 'Troupe';
  }, [title]);
}

/** The heading of a page (its one <h1>), an optional description and actions on the right. */
export function PageHeader({ title, description, actions }: { title: string; description?: ReactNode; actions?: ReactNode }) {
  usePageTitle(title);
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {description && <p className="page-description">{description}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </header>
  );
}

/** The way back above a page's heading: "← <children>", a link to `to`. */
export function Breadcrumb({ to, children }: { to: string; children: ReactNode }) {
  return (
    <p className="breadcrumb">
      <Link to={to}>
        <span aria-hidden="true">← </span>
        {children}
      </Link>
    </p>
  );
}
