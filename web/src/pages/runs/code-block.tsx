/**
 * Preformatted JSON or code in a box that scrolls when it is long: focusable (tabIndex 0), so a
 * keyboard can scroll it too (WCAG 2.1.1), and named for screen readers, which announce it as a region.
 */
export function CodeBlock({ label, children }: { label: string; children: string }) {
  return (
    <pre className="code-block" tabIndex={0} role="region" aria-label={label}>
      {children}
    </pre>
  );
}
