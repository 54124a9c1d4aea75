import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getDb } from '@/lib/db/client.ts';
import { currentUser } from '@/lib/http/page-auth.ts';
import { roundHeading } from '@/lib/rounds/read.ts';
import { PageHeader } from '@/components/layout/PageHeader';
import { RoundDetail } from '@/components/rounds/RoundDetail';

export const dynamic = 'force-dynamic';

export default async function RoundPage({ params }: { params: Promise<{ id: string }> }) {
  await currentUser();
  const id = Number((await params).id);
  const round = Number.isInteger(id) ? await roundHeading(await getDb(), id) : null;
  if (!round) notFound();
  return (
    <>
      <PageHeader title={`Round ${round.number} · ${round.phaseName}`} subtitle={<><Link href="/rounds" className="text-indigo-700 hover:underline">Rounds</Link> / {round.taskName} / {round.phaseName}</>} />
      <RoundDetail roundId={round.id} />
    </>
  );
}
