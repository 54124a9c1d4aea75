import Link from 'next/link';
import { notFound } from 'next/navigation';
import { hasRole } from '@/lib/auth/roles.ts';
import { getDb } from '@/lib/db/client.ts';
import { currentUser, pageIdOr404 } from '@/lib/http/page-auth.ts';
import { parsePageId } from '@/lib/http/page-params.ts';
import { getModelOrThrow, modelFile, modelHistory } from '@/lib/models/registry.ts';
import { PageHeader } from '@/components/layout/PageHeader';
import { ModelActions, PhaseServingBar } from '@/components/models/ModelControls';
import { FlipSet } from '@/components/models/FlipSet';
import { ThroughputCard } from '@/components/models/ThroughputCard';
import type { ModelRow } from '@/components/models/types';

export const dynamic = 'force-dynamic';

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }) {
  const id = parsePageId((await params).id);
  const model = id ? await getModelOrThrow(await getDb(), id).catch(() => null) : null;
  return { title: model ? `Model ${model.version}` : 'Not found' };
}

export default async function ModelPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await currentUser();
  const id = pageIdOr404((await params).id);
  const db = await getDb();
  const model = await getModelOrThrow(db, id).catch(() => null);
  if (!model) notFound();
  const card = await modelFile(db, model, 'model-card.md').then((b) => b.toString('utf8')).catch(() => null);
  const history = await modelHistory(db, model.id);
  const lead = hasRole(user.role, 'lead');
  const row = JSON.parse(JSON.stringify(model)) as ModelRow;
  return (
    <>
      <PageHeader
        title={`Model ${model.version}`}
        subtitle={<><Link href="/models" className="text-indigo-700 hover:underline">Models</Link> / {model.phaseName} / round {model.roundNumber} · <span className="badge" data-testid="model-status">{model.status}</span></>}
        actions={lead ? <a className="btn" href={`/api/models/${model.id}/download`} data-testid="download">Download (.tar.gz)</a> : undefined}
      />
      <section className="card mb-4">
        <PhaseServingBar phaseId={model.phaseId} phaseName={model.phaseName} canManage={lead} />
        {lead && <ModelActions model={row} />}
      </section>
      {lead && (
        <section className="card mb-4">
          <h2 className="mb-2 font-semibold">Flip set</h2>
          <FlipSet modelId={model.id} />
        </section>
      )}
      <section className="card mb-4">
        <h2 className="mb-2 font-semibold">Throughput on this machine</h2>
        <ThroughputCard modelId={model.id} initial={JSON.parse(JSON.stringify(model.throughput))} canMeasure={lead} />
      </section>
      <section className="card mb-4">
        <h2 className="mb-2 font-semibold">Model card</h2>
        {card ? <pre className="whitespace-pre-wrap text-xs" data-testid="model-card">{card}</pre> : <p className="text-zinc-500">No model card stored.</p>}
      </section>
      <section className="card">
        <h2 className="mb-2 font-semibold">History</h2>
        <table className="data">
          <thead><tr><th>When</th><th>Who</th><th>What</th><th>Note</th></tr></thead>
          <tbody>
            {history.map((h, i) => (
              <tr key={i}><td className="text-xs text-zinc-500">{h.at.toISOString().slice(0, 19).replace('T', ' ')}</td><td>{h.by ?? '—'}</td><td>{h.action}</td><td className="text-xs">{h.note ?? ''}</td></tr>
            ))}
            {history.length === 0 && <tr><td colSpan={4} className="py-4 text-center text-zinc-500">Nothing yet.</td></tr>}
          </tbody>
        </table>
      </section>
    </>
  );
}
