export const pct = (x: number | null | undefined, digits = 1) => (x == null ? '—' : `${(100 * x).toFixed(digits)}%`);
export const f3 = (x: number | null | undefined) => (x == null ? '—' : x.toFixed(3));
export const int = (x: number | null | undefined) => (x == null ? '—' : Math.round(x).toLocaleString('en-US'));
export function duration(from?: string | null, to?: string | null): string {
  if (!from) return '—';
  const s = Math.round(((to ? new Date(to).getTime() : Date.now()) - new Date(from).getTime()) / 1000);
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
