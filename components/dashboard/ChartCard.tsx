'use client';
import type { ReactNode } from 'react';
import { ResponsiveContainer } from 'recharts';

/** The shared look of the dashboard's charts: axis titles, ticks, grid, colours. */
export const AXIS_TICK = { fontSize: 11, fill: '#52525b' };
export const GRID = '#e4e4e7';
export const COLORS = { teacher: '#0284c7', human: '#7c3aed', accuracy: '#059669', audit: '#a1a1aa', queue: '#4f46e5', time: '#d97706', speed: '#0f766e', warn: '#d97706' };
export const PALETTE = ['#4f46e5', '#0891b2', '#d97706', '#db2777', '#65a30d', '#7c3aed', '#dc2626', '#0d9488', '#a1a1aa'];

/** An axis title for recharts' `label`: the x title under the ticks, the y title turned along the axis. */
export const xTitle = (value: string) => ({ value, position: 'insideBottom' as const, offset: -2, style: { fontSize: 11, fill: '#3f3f46' } });
export const yTitle = (value: string, side: 'left' | 'right' = 'left') => ({ value, angle: side === 'left' ? -90 : 90, position: side === 'left' ? ('insideLeft' as const) : ('insideRight' as const), style: { fontSize: 11, fill: '#3f3f46', textAnchor: 'middle' as const } });

/** A card with a title, one line on how to read it, and a chart of fixed height (or a note when there is nothing to draw). */
export function ChartCard({ title, note, testId, points, empty, height = 240, children }: { title: string; note?: ReactNode; testId: string; points?: number; empty?: string | null; height?: number; children: ReactNode }) {
  return (
    <section className="card min-w-0 p-4" data-testid={testId} data-points={points}>
      <h3 className="font-semibold">{title}</h3>
      {note && <p className="mt-0.5 text-xs text-zinc-500">{note}</p>}
      {empty ? (
        <p className="mt-3 flex items-center justify-center rounded bg-zinc-50 text-zinc-500" style={{ height: height - 40 }}>{empty}</p>
      ) : (
        <div className="mt-2" style={{ height }}>
          <ResponsiveContainer width="100%" height="100%">
            {children as React.ReactElement}
          </ResponsiveContainer>
        </div>
      )}
    </section>
  );
}
