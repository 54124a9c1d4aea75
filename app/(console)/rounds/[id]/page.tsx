import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getDb } from '@/lib/db/client.ts';
import { currentUser, pageIdOr404 } from '@/lib/http/page-auth.ts';
import { parsePageId } from '@/lib/http/page-params.ts';
import { roundHeading } from '@/lib/rounds/read.ts';
import { PageHeader } from '@/components/layout/PageHeader';
import { RoundDetail } from '@/components/rounds/RoundDetail';

export const dynamic = 'force-dynamic';

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }) {
  const id = parsePageId((await params).id);
  const round = id ? await roundHeading(await getDb(), id).catch(() => null) : null;
  return { title: round ? `Round ${round.number} · ${round.phaseName}` : 'Not found' };
}

export default async function RoundPage({ params }: { params: Promise<{ id: string }> }) {
  await currentUser();
  const id = pageIdOr404((await params).id);
  const round = await roundHeading(await getDb(), id);
  if (!round) notFound();
  return (
    <>
      <PageHeader title={`Round ${round.number} · ${round.phaseName}`} subtitle={<><Link href="/rounds" className="text-indigo-700 hover:underline">Rounds</Link> / {round.taskName} / {round.phaseName}</>} />
      <RoundDetail roundId={round.id} />
    </>
  );
}
