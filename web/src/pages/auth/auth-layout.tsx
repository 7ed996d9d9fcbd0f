import type { ReactNode } from 'react';
import { usePageTitle } from '../../components/page-header';

/** The centered card of the pages before sign-in. */
export function AuthLayout({ title, children, footer }: { title: string; children: ReactNode; footer?: ReactNode }) {
  usePageTitle(title);
  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <div className="auth-brand">
          <img src="/favicon.svg" alt="" width={32} height={32} />
          <span className="brand">Troupe</span>
        </div>
        <h1>{title}</h1>
        {children}
      </div>
      {footer && <div className="auth-footer">{footer}</div>}
    </main>
  );
}
