import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { errorMessage } from '../../../api/errors';
import { Button } from '../../../components/button';
import { FormError, SelectField, TextAreaField } from '../../../components/fields';
import { gymApi, gymKeys, type ImportEntity, type ImportReport } from '../api';
import { TableScroll } from '../table-scroll';

const ENTITIES: { value: ImportEntity; label: string }[] = [
  { value: 'contacts', label: 'Contacts (members and leads)' },
  { value: 'subscriptions', label: 'Subscriptions' },
  { value: 'payments', label: 'Payments' },
];

/**
 * A CSV import: the file is first checked (a dry run: nothing written) and its report shown, row
 * by row; only a file without problems can then be imported, all of it in one go (docs/fitness.md,
 * "CSV import"). `entity` fixes what is imported; without it the person chooses.
 */
export function ImportForm({ entity: fixed, onImported }: { entity?: ImportEntity; onImported?: (report: ImportReport) => void }) {
  const queryClient = useQueryClient();
  const id = useId();
  const [entity, setEntity] = useState<ImportEntity>(fixed ?? 'contacts');
  const [csv, setCsv] = useState('');
  const [report, setReport] = useState<ImportReport | null>(null);
  const [fileError, setFileError] = useState<string>();
  const check = useMutation({ mutationFn: () => gymApi.importCsv(entity, csv, true), onSuccess: setReport });
  const run = useMutation({
    mutationFn: () => gymApi.importCsv(entity, csv, false),
    onSuccess: async (r) => {
      setReport(r);
      await queryClient.invalidateQueries({ queryKey: gymKeys.all });
      onImported?.(r);
    },
  });
  const changed = (text: string) => {
    setCsv(text);
    setReport(null);
    check.reset();
    run.reset();
  };
  const what = ENTITIES.find((e) => e.value === entity)!.label.toLowerCase();
  const error = check.error ?? run.error;

  return (
    <form
      className="stack gym-import"
      aria-label={`Import ${entity} from CSV`}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (csv.trim()) check.mutate();
      }}
    >
      {!fixed && (
        <SelectField
          id={`${id}-entity`}
          label="What the file holds"
          value={entity}
          onChange={(e) => {
            setEntity(e.target.value as ImportEntity);
            changed(csv);
          }}
          options={ENTITIES}
          hint="Import contacts first: subscriptions and payments name their contact by email or external id."
        />
      )}
      <div className="field">
        <label htmlFor={`${id}-file`}>CSV file</label>
        <input
          id={`${id}-file`}
          type="file"
          accept=".csv,text/csv"
          aria-describedby={`${id}-file-hint`}
          onChange={(e) => {
            const file = e.target.files?.[0];
            setFileError(undefined);
            if (!file) return;
            file
              .text()
              .then(changed)
              .catch((err: unknown) => setFileError(errorMessage(err)));
          }}
        />
        <p id={`${id}-file-hint`} className="field-hint">
          A header row first; columns are matched by name (First Name, Email, Status, Tags…).
        </p>
        {fileError && <p className="field-error">{fileError}</p>}
      </div>
      <TextAreaField id={`${id}-csv`} label="Or paste the CSV" value={csv} onChange={(e) => changed(e.target.value)} spellCheck={false} rows={5} className="gym-csv" />
      <div className="form-actions gym-import-actions">
        <Button type="submit" busy={check.isPending} disabled={!csv.trim()}>
          Check file
        </Button>
        {report?.dryRun && report.failed === 0 && (
          <Button variant="primary" busy={run.isPending} onClick={() => run.mutate()}>
            Import {report.valid} {report.valid === 1 ? 'row' : 'rows'}
          </Button>
        )}
      </div>
      <FormError message={error ? errorMessage(error) : undefined} />
      {report && <ImportReportView report={report} what={what} />}
    </form>
  );
}

/** What a dry run or an import found: counts, how the columns were read, and each row's problem. */
export function ImportReportView({ report, what }: { report: ImportReport; what: string }) {
  return (
    <section className="gym-report" aria-label="Import report">
      <p role="status" className={report.failed ? 'form-error' : report.dryRun ? 'notice' : 'success'}>
        {report.dryRun
          ? report.failed
            ? `${report.failed} of ${report.rows} rows have problems: fix them and check again. Nothing was imported.`
            : `All ${report.rows} rows are fine: nothing is imported until you press Import.`
          : `Imported ${report.imported} ${what}.`}
      </p>
      <dl className="gym-figures">
        <div>
          <dt>Rows</dt>
          <dd>{report.rows}</dd>
        </div>
        <div>
          <dt>Valid</dt>
          <dd>{report.valid}</dd>
        </div>
        <div>
          <dt>With problems</dt>
          <dd>{report.failed}</dd>
        </div>
      </dl>
      {report.errors.length > 0 && (
        <TableScroll label="Problems by row">
          <table className="data-table responsive">
            <caption>Problems by row{report.errorCount > report.errors.length ? ` (the first ${report.errors.length} of ${report.errorCount})` : ''}</caption>
            <thead>
              <tr>
                <th scope="col" className="num">
                  Row
                </th>
                <th scope="col">Column</th>
                <th scope="col">Problem</th>
              </tr>
            </thead>
            <tbody>
              {report.errors.map((e, i) => (
                <tr key={`${e.row}-${e.column ?? ''}-${i}`}>
                  <td data-label="Row" className="num">
                    {e.row}
                  </td>
                  <td data-label="Column">{e.column ?? '—'}</td>
                  <td data-label="Problem">{e.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <details>
        <summary>How the columns were read</summary>
        <ul className="gym-columns">
          {report.columns.map((c) => (
            <li key={c.column}>
              <code>{c.column}</code> → {c.field ? <code>{c.field}</code> : <span className="muted">skipped</span>}
            </li>
          ))}
        </ul>
      </details>
    </section>
  );
}
