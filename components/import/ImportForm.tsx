'use client';
import { useRef, useState } from 'react';
import type { Wire } from '@/components/api';
import type { ImportReport, RowError } from '@/lib/import/importer.ts';

type Report = Wire<ImportReport>;
type Status =
  | { kind: 'idle' }
  | { kind: 'uploading'; loaded: number; total: number }
  | { kind: 'importing'; step: string; rows: number }
  | { kind: 'done'; report: Report }
  | { kind: 'error'; message: string; errors?: RowError[]; total?: number };

/** Uploads a CSV/JSONL file into a phase, with upload progress, then validation/write progress. */
export function ImportForm({ phaseId, labels }: { phaseId: number; labels: string[] }) {
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  const fileRef = useRef<HTMLInputElement>(null);
  const [skipInvalid, setSkipInvalid] = useState(false);
  const [labelMap, setLabelMap] = useState('');
  const [columns, setColumns] = useState('');

  function submit(e: React.FormEvent) {
    e.preventDefault();
    const file = fileRef.current?.files?.[0];
    if (!file) return setStatus({ kind: 'error', message: 'Choose a .csv or .jsonl file first.' });
    for (const [name, value] of [['label map', labelMap], ['columns', columns]]) {
      if (value.trim()) {
        try { JSON.parse(value); } catch { return setStatus({ kind: 'error', message: `The ${name} is not valid JSON.` }); }
      }
    }
    const q = new URLSearchParams({ filename: file.name });
    if (skipInvalid) q.set('skipInvalid', '1');
    if (labelMap.trim()) q.set('labelMap', labelMap.trim());
    if (columns.trim()) q.set('columns', columns.trim());
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/phases/${phaseId}/import?${q}`);
    xhr.setRequestHeader('accept', 'application/x-ndjson'); // progress lines; the last one says how it ended
    let seen = 0;
    const consume = () => {
      const text = xhr.responseText;
      const lines = text.slice(seen).split('\n');
      const complete = lines.slice(0, -1);
      seen += complete.reduce((n, l) => n + l.length + 1, 0);
      for (const line of complete) {
        if (!line.trim()) continue;
        let msg: { type: string; [k: string]: unknown };
        try { msg = JSON.parse(line); } catch { continue; }
        if (msg.type === 'progress') setStatus({ kind: 'importing', step: String(msg.phase ?? msg.step ?? ''), rows: Number(msg.rows ?? 0) });
        if (msg.type === 'done') setStatus({ kind: 'done', report: msg.report as Report });
        if (msg.type === 'error') {
          const d = msg.details as { invalid?: { errors: RowError[]; count: number } } | undefined;
          setStatus({ kind: 'error', message: String(msg.error), errors: d?.invalid?.errors, total: d?.invalid?.count });
        }
      }
    };
    xhr.upload.onprogress = (ev) => setStatus({ kind: 'uploading', loaded: ev.loaded, total: ev.total || file.size });
    xhr.onprogress = consume;
    xhr.onload = () => {
      if (xhr.status >= 400) {
        let message = `upload failed (${xhr.status})`;
        try { message = JSON.parse(xhr.responseText).error ?? message; } catch {}
        return setStatus({ kind: 'error', message });
      }
      consume();
    };
    xhr.onerror = () => setStatus({ kind: 'error', message: 'The upload failed: network error.' });
    setStatus({ kind: 'uploading', loaded: 0, total: file.size });
    xhr.send(file);
  }

  const busy = status.kind === 'uploading' || status.kind === 'importing';
  return (
    <section id="import" className="card scroll-mt-4 p-4" aria-label="Import">
      <h2 className="mb-2 font-semibold">Import items</h2>
      <form onSubmit={submit} className="flex flex-wrap items-end gap-3">
        <div>
          <label className="label" htmlFor="import-file">CSV or JSONL file</label>
          <input id="import-file" ref={fileRef} type="file" accept=".csv,.jsonl,.ndjson,text/csv,application/x-ndjson" className="text-sm" />
        </div>
        <div>
          <label className="label" htmlFor="label-map">Label map (JSON, optional)</label>
          <input id="label-map" className="input w-56 font-mono text-xs" placeholder={`{"0":"${labels[0]}","1":"${labels[1]}"}`} value={labelMap} onChange={(e) => setLabelMap(e.target.value)} />
        </div>
        <div>
          <label className="label" htmlFor="columns">Columns (JSON, optional)</label>
          <input id="columns" className="input w-56 font-mono text-xs" placeholder='{"text":"TEXT"}' value={columns} onChange={(e) => setColumns(e.target.value)} />
        </div>
        <label className="flex items-center gap-1.5 pb-1.5"><input type="checkbox" checked={skipInvalid} onChange={(e) => setSkipInvalid(e.target.checked)} /> skip invalid rows</label>
        <button className="btn btn-primary" disabled={busy}>{busy ? 'Importing…' : 'Import'}</button>
      </form>
      <p className="mt-2 text-xs text-zinc-500">Columns: text, id, time, label, probs:&lt;teacher&gt; or logits:&lt;teacher&gt; (labels in order: {labels.join(', ')}). Without “skip invalid rows”, one bad row stops the import and nothing is written.</p>
      <div aria-live="polite" className="mt-3" data-testid="import-status">
        {status.kind === 'uploading' && (
          <div>
            <div className="h-2 w-full overflow-hidden rounded bg-zinc-100"><div className="h-2 bg-indigo-500" style={{ width: `${status.total ? (100 * status.loaded) / status.total : 0}%` }} /></div>
            <p className="mt-1 text-xs text-zinc-500">Uploading… {(status.loaded / 1e6).toFixed(1)} / {(status.total / 1e6).toFixed(1)} MB</p>
          </div>
        )}
        {status.kind === 'importing' && <p className="text-zinc-600">{status.step === 'write' ? 'Writing' : 'Validating'}… {status.rows.toLocaleString('en-US')} rows</p>}
        {status.kind === 'done' && (
          <p className="text-green-700">
            Imported {status.report.imported.toLocaleString('en-US')} of {status.report.rows.toLocaleString('en-US')} rows
            {' '}({status.report.duplicates} duplicates, {Object.entries(status.report.filtered).map(([k, v]) => `${v} ${k}`).join(', ')} filtered
            {status.report.invalid.count ? `, ${status.report.invalid.count} invalid skipped` : ''}) in {(status.report.durationMs / 1000).toFixed(1)} s.
            {status.report.queueRebuild && (
              <>
                {' '}The annotation queue is being rebuilt (job {status.report.queueRebuild.jobId}): <a href={`/annotate/${phaseId}`} className="text-indigo-700 underline">annotate</a> as soon as it is done.
              </>
            )}
          </p>
        )}
        {status.kind === 'error' && (
          <div role="alert" className="text-red-700">
            <p>{status.message}</p>
            {status.errors && status.errors.length > 0 && (
              <ul className="mt-1 max-h-48 overflow-auto font-mono text-xs">
                {status.errors.slice(0, 200).map((e, i) => <li key={i}>line {e.line}: {e.reason}</li>)}
                {(status.total ?? 0) > status.errors.length && <li>… and {(status.total ?? 0) - status.errors.length} more</li>}
              </ul>
            )}
          </div>
        )}
      </div>
    </section>
  );
}
