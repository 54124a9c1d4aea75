'use client';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '@/components/api';
import { int } from '@/components/format';
import type { ThroughputCard as ThroughputCardData } from '@/lib/serving/throughput.ts';

/** The card as the API answers it (lib/serving/throughput.ts). */
type Card = ThroughputCardData;

/** The student's items/s at batch 1/32/256 and latency on this machine, next to the seed's numbers. */
export function ThroughputCard({ modelId, initial, canMeasure }: { modelId: number; initial: Card | null; canMeasure: boolean }) {
  const [card, setCard] = useState<Card | null>(initial);
  const measure = useMutation({ mutationFn: () => api<Card>(`/api/models/${modelId}/throughput`, { method: 'POST' }), onSuccess: setCard });
  return (
    <div data-testid="throughput-card">
      {card ? (
        <>
          <table className="data">
            <thead><tr><th>measured</th>{card.batch.map((b) => <th key={b.size} className="num">batch {b.size}</th>)}<th className="num">p50 (batch 1)</th><th className="num">p99</th></tr></thead>
            <tbody>
              <tr><td className="text-xs">{card.machine.cpus} × {card.machine.cpuModel}, {card.threads} thread · {card.measuredAt.slice(0, 16).replace('T', ' ')}</td>{card.batch.map((b) => <td key={b.size} className="num">{int(b.itemsPerSecond)} items/s</td>)}<td className="num">{card.latencyMs.p50.toFixed(3)} ms</td><td className="num">{card.latencyMs.p99.toFixed(3)} ms</td></tr>
              {card.reference.map((r) => <tr key={r.what} className="text-zinc-500"><td className="text-xs">{r.what}</td><td className="num" colSpan={card.batch.length}>{r.itemsPerSecond.toLocaleString('en-US')} items/s</td><td colSpan={2} /></tr>)}
            </tbody>
          </table>
        </>
      ) : <p className="text-zinc-500">Not measured yet (it is measured on every deploy).</p>}
      {canMeasure && <button className="btn mt-2 text-xs" disabled={measure.isPending} onClick={() => measure.mutate()}>{measure.isPending ? 'Measuring…' : 'Measure now'}</button>}
      {measure.error && <span className="ml-2 text-xs text-red-700">{(measure.error as Error).message}</span>}
    </div>
  );
}
