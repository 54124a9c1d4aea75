'use client';
import { Bar, BarChart, CartesianGrid, ComposedChart, ErrorBar, Legend, Line, LineChart, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import type { Dashboard } from '@/components/rounds/queries';
import { niceCeil } from '@/lib/rounds/histogram.ts';
import { AXIS_TICK, ChartCard, COLORS, GRID, PALETTE, xTitle, yTitle } from './ChartCard';

type Row = Dashboard['rounds'][number];

const MARGIN = { top: 4, right: 12, bottom: 18, left: 8 };
const LEGEND = { verticalAlign: 'top' as const, height: 26, iconSize: 10, wrapperStyle: { fontSize: 11 } };
const num = (digits: number) => (v: unknown) => (typeof v === 'number' ? v.toFixed(digits) : String(v ?? '—'));
/** Axis ticks without rounding a tick onto its neighbour's value (0.775 stays 0.775). */
const tick = (v: number) => String(Number(v.toFixed(3)));

/** Scores rarely span more than a few points: zoom the axis onto them (in steps of 0.05), within 0…1. */
const scoreDomain: [(min: number) => number, (max: number) => number] = [(min) => Math.max(0, Math.floor((min - 0.02) * 20) / 20), (max) => Math.min(1, Math.ceil((max + 0.02) * 20) / 20)];

/** A line's dots: amber where the round was flagged as a regression. */
const dots = (color: string) =>
  function Dot(props: { cx?: number; cy?: number; index?: number; payload?: { regression?: boolean } }) {
    if (props.cx == null || props.cy == null) return <g key={props.index} />;
    return <circle key={props.index} cx={props.cx} cy={props.cy} r={props.payload?.regression ? 5 : 3.5} fill={props.payload?.regression ? COLORS.warn : color} stroke="white" strokeWidth={1} />;
  };

function ScoreChart({ rows, against, testId }: { rows: Row[]; against: 'vsTeacher' | 'vsHuman'; testId: string }) {
  const data = rows.flatMap((r) => {
    const s = r[against];
    return s ? [{ round: `#${r.number}`, precision: s.precision, recall: s.recall, f1: s.f1, accuracy: s.accuracy, regression: r.regression }] : [];
  });
  const who = against === 'vsTeacher' ? 'the teacher' : 'human labels';
  return (
    <ChartCard
      title={`Student against ${who}`}
      note={`Macro precision, recall and F1${against === 'vsHuman' ? ' and accuracy' : ''} on the temporal test slice, per round; an amber dot is a round flagged as a regression.`}
      testId={testId}
      points={data.length}
      empty={data.length ? null : against === 'vsTeacher' ? 'No teacher outputs on the test slice.' : 'No human labels on the test slice.'}
    >
      <LineChart data={data} margin={MARGIN}>
        <CartesianGrid strokeDasharray="3 3" stroke={GRID} />
        <XAxis dataKey="round" tick={AXIS_TICK} label={xTitle('round')} />
        <YAxis domain={scoreDomain} tick={AXIS_TICK} width={56} tickFormatter={tick} label={yTitle('score (test slice)')} />
        <Tooltip formatter={num(3)} />
        <Legend {...LEGEND} />
        <Line dataKey="f1" name="macro-F1" stroke={against === 'vsTeacher' ? COLORS.teacher : COLORS.human} strokeWidth={2.5} dot={dots(against === 'vsTeacher' ? COLORS.teacher : COLORS.human)} isAnimationActive={false} />
        <Line dataKey="precision" name="precision" stroke="#71717a" strokeDasharray="5 3" dot={false} isAnimationActive={false} />
        <Line dataKey="recall" name="recall" stroke="#a1a1aa" strokeDasharray="2 2" dot={false} isAnimationActive={false} />
        {against === 'vsHuman' && <Line dataKey="accuracy" name="accuracy" stroke={COLORS.accuracy} strokeWidth={2} dot={dots(COLORS.accuracy)} isAnimationActive={false} />}
      </LineChart>
    </ChartCard>
  );
}

function ReturnChart({ rows, z }: { rows: Row[]; z: number }) {
  const data = rows.flatMap((r) => (r.return?.gainPer100 != null ? [{ round: `#${r.number}`, gain: r.return.gainPer100, err: z * (r.return.gainPer100Se ?? 0), corrections: r.return.corrections }] : []));
  // Symmetric around 0 so that gains and losses read alike, to a round number that holds every whisker.
  const reach = niceCeil(Math.max(0.1, ...data.map((d) => Math.abs(d.gain) + d.err)));
  return (
    <ChartCard
      title="Return on labels"
      note={`Accuracy points against human labels per 100 new human labels, over the round before (paired on the test slice); whiskers: ±${z} standard errors, so a bar whose whiskers cross 0 is noise. It counts all that changed between the rounds (a warm start's extra epochs too), not the labels alone.`}
      testId="chart-returns"
      points={data.length}
      empty={data.length ? null : 'Needs two rounds with students and new labels between them.'}
    >
      <BarChart data={data} margin={MARGIN}>
        <CartesianGrid strokeDasharray="3 3" stroke={GRID} />
        <XAxis dataKey="round" tick={AXIS_TICK} label={xTitle('round')} />
        <YAxis domain={[-reach, reach]} ticks={[-reach, -reach / 2, 0, reach / 2, reach]} tick={AXIS_TICK} width={56} tickFormatter={tick} label={yTitle('points / 100 labels')} />
        <ReferenceLine y={0} stroke="#71717a" />
        <Tooltip formatter={(v, name) => (name === 'gain' ? `${num(2)(v)} points` : String(v))} labelFormatter={(l, p) => `round ${String(l).slice(1)} · ${p?.[0]?.payload?.corrections ?? '?'} new labels`} />
        <Bar dataKey="gain" name="gain" fill={COLORS.queue} isAnimationActive={false} maxBarSize={48}>
          <ErrorBar dataKey="err" direction="y" width={6} stroke="#18181b" strokeWidth={1.5} isAnimationActive={false} />
        </Bar>
      </BarChart>
    </ChartCard>
  );
}

function StabilityChart({ rows, threshold }: { rows: Row[]; threshold: number }) {
  const data = rows.flatMap((r) => (r.return?.pool ? [{ round: `#${r.number}`, kappa: r.return.pool.kappa, changed: 100 * r.return.pool.changedShare }] : []));
  return (
    <ChartCard
      title="Change from the previous student"
      note={`Cohen's κ between consecutive students' predictions over the pool; at or above ${threshold} (the dashed line) the students have stopped changing.`}
      testId="chart-stability"
      points={data.length}
      empty={data.length ? null : 'Needs two rounds with students.'}
    >
      <LineChart data={data} margin={MARGIN}>
        <CartesianGrid strokeDasharray="3 3" stroke={GRID} />
        <XAxis dataKey="round" tick={AXIS_TICK} label={xTitle('round')} />
        <YAxis domain={[(min: number) => Math.max(0, Math.floor(Math.min(min, threshold - 0.01) * 100) / 100), 1]} tick={AXIS_TICK} width={56} tickFormatter={tick} label={yTitle("Cohen's κ (pool)")} />
        <ReferenceLine y={threshold} stroke={COLORS.warn} strokeDasharray="6 4" label={{ value: `stop at κ ≥ ${threshold}`, position: 'insideBottomRight', fontSize: 10, fill: COLORS.warn }} />
        <Tooltip formatter={(v, name) => (name === 'κ' ? num(4)(v) : `${num(2)(v)}%`)} />
        <Line dataKey="kappa" name="κ" stroke={COLORS.queue} strokeWidth={2.5} dot isAnimationActive={false} />
      </LineChart>
    </ChartCard>
  );
}

function YieldChart({ rows }: { rows: Row[] }) {
  const data = rows.flatMap((r) => (r.yield && r.yield.answered + r.yield.auditAnswered > 0 ? [{ round: `#${r.number}`, queue: r.yield.rate == null ? null : 100 * r.yield.rate, audit: r.yield.auditRate == null ? null : 100 * r.yield.auditRate }] : []));
  return (
    <ChartCard
      title="Queue yield"
      note="Share of labels that overruled the teacher, for items served while each round's student ranked the queue, against random audit picks (the teacher's base error rate)."
      testId="chart-yield"
      points={data.length}
      empty={data.length ? null : 'No labels yet on items with a teacher output from a queue a student ranked.'}
    >
      <LineChart data={data} margin={MARGIN}>
        <CartesianGrid strokeDasharray="3 3" stroke={GRID} />
        <XAxis dataKey="round" tick={AXIS_TICK} label={xTitle('round that ranked the queue')} />
        <YAxis domain={[0, 'auto']} tick={AXIS_TICK} width={56} tickFormatter={num(0)} label={yTitle('% overruled the teacher')} />
        <Tooltip formatter={(v) => `${num(1)(v)}%`} />
        <Legend {...LEGEND} />
        <Line dataKey="queue" name="queue picks" stroke={COLORS.queue} strokeWidth={2.5} dot connectNulls isAnimationActive={false} />
        <Line dataKey="audit" name="random audit picks" stroke={COLORS.audit} strokeWidth={2} strokeDasharray="5 3" dot connectNulls isAnimationActive={false} />
      </LineChart>
    </ChartCard>
  );
}

function CostChart({ rows }: { rows: Row[] }) {
  const data = rows.flatMap((r) => (r.trainSeconds != null ? [{ round: `#${r.number}`, seconds: r.trainSeconds, itemsPerSecond: r.itemsPerSecond }] : []));
  return (
    <ChartCard title="Training time and student throughput" note="Seconds spent training each round (bars, left) and the student's scoring speed with onnxruntime over the pool (line, right)." testId="chart-cost" points={data.length} empty={data.length ? null : 'No finished round yet.'}>
      <ComposedChart data={data} margin={{ ...MARGIN, right: 4 }}>
        <CartesianGrid strokeDasharray="3 3" stroke={GRID} />
        <XAxis dataKey="round" tick={AXIS_TICK} label={xTitle('round')} />
        <YAxis yAxisId="s" tick={AXIS_TICK} width={56} tickFormatter={num(0)} label={yTitle('training time (s)')} />
        <YAxis yAxisId="ips" orientation="right" tick={AXIS_TICK} width={64} tickFormatter={(v: number) => (v >= 1000 ? `${Math.round(v / 1000)}k` : String(Math.round(v)))} label={yTitle('student items/s', 'right')} />
        <Tooltip formatter={(v, name) => (name === 'training time' ? `${num(1)(v)} s` : `${Math.round(Number(v)).toLocaleString('en-US')} items/s`)} />
        <Legend {...LEGEND} />
        <Bar yAxisId="s" dataKey="seconds" name="training time" fill={COLORS.time} isAnimationActive={false} maxBarSize={40} />
        <Line yAxisId="ips" dataKey="itemsPerSecond" name="student items/s" stroke={COLORS.speed} strokeWidth={2.5} dot isAnimationActive={false} />
      </ComposedChart>
    </ChartCard>
  );
}

/** Label answers per round whose student ranked the queue, stacked by annotator (the 8 busiest; the rest as "others"). */
function LabelsChart({ d }: { d: Dashboard }) {
  const top = d.annotators.slice(0, 8);
  const rest = d.annotators.slice(8);
  const keys = [...d.rounds.map((r) => String(r.number)).filter((k) => d.annotators.some((a) => a.byRound[k])), ...(d.annotators.some((a) => a.byRound.none) ? ['none'] : [])];
  const data = keys.map((k) => ({
    round: k === 'none' ? 'no student' : `#${k}`,
    ...Object.fromEntries(top.map((a) => [`u${a.userId}`, a.byRound[k] ?? 0])),
    ...(rest.length ? { others: rest.reduce((s, a) => s + (a.byRound[k] ?? 0), 0) } : {}),
  }));
  return (
    <ChartCard title="Human labels per round and annotator" note="Labels given while each round's student ranked the queue, stacked by annotator." testId="chart-labels" points={data.length} empty={data.length ? null : 'No labels yet.'}>
      <BarChart data={data} margin={MARGIN}>
        <CartesianGrid strokeDasharray="3 3" stroke={GRID} />
        <XAxis dataKey="round" tick={AXIS_TICK} label={xTitle('round that ranked the queue')} />
        <YAxis allowDecimals={false} tick={AXIS_TICK} width={56} label={yTitle('labels')} />
        <Tooltip />
        <Legend {...LEGEND} />
        {top.map((a, i) => <Bar key={a.userId} dataKey={`u${a.userId}`} name={a.name} stackId="labels" fill={PALETTE[i % PALETTE.length]} isAnimationActive={false} maxBarSize={56} />)}
        {rest.length > 0 && <Bar dataKey="others" name={`${rest.length} others`} stackId="labels" fill={PALETTE[8]} isAnimationActive={false} maxBarSize={56} />}
      </BarChart>
    </ChartCard>
  );
}

function DisagreementChart({ d }: { d: Dashboard }) {
  const h = d.disagreement;
  // Counts span orders of magnitude (most items agree closely): a log axis, with empty bins left out rather than at log 0.
  const data = h ? h.edges.map((e, b) => ({ bin: b === h.edges.length - 1 ? `≥${tick(e)}` : tick(e), ...Object.fromEntries(h.series.map((s) => [s.name, s.counts[b] || null])) })) : [];
  return (
    <ChartCard
      title="Disagreement over the pool"
      note="Jensen–Shannon divergence between teacher and student per pool item, for the latest two students (the last bin holds the tail; counts on a log scale); mass moving left means the student got closer to the teacher."
      testId="chart-disagreement"
      points={h?.series.length ?? 0}
      empty={h ? null : d.rounds.some((r) => r.status === 'succeeded') ? 'No teacher outputs in this phase: disagreement needs both models.' : 'No student yet.'}
    >
      <BarChart data={data} margin={MARGIN} barCategoryGap={1} barGap={0}>
        <CartesianGrid strokeDasharray="3 3" stroke={GRID} vertical={false} />
        <XAxis dataKey="bin" tick={AXIS_TICK} interval={3} label={xTitle('JS divergence (bin start)')} />
        <YAxis scale="log" domain={[1, 'auto']} allowDataOverflow tick={AXIS_TICK} width={56} tickFormatter={(v: number) => (v >= 1000 ? `${Math.round(v / 1000)}k` : String(v))} label={yTitle('pool items (log scale)')} />
        <Tooltip />
        <Legend {...LEGEND} />
        {h?.series.map((s, i) => <Bar key={s.name} dataKey={s.name} fill={i === h.series.length - 1 ? COLORS.queue : '#94a3b8'} isAnimationActive={false} />)}
      </BarChart>
    </ChartCard>
  );
}

/** The dashboard's charts across rounds. */
export function TrendCharts({ d }: { d: Dashboard }) {
  const done = d.rounds.filter((r) => r.status === 'succeeded');
  return (
    <div className="grid gap-4 lg:grid-cols-2" data-testid="trend-charts">
      <ScoreChart rows={done} against="vsHuman" testId="chart-vs-human" />
      <ScoreChart rows={done} against="vsTeacher" testId="chart-vs-teacher" />
      <ReturnChart rows={done} z={d.stopping.options.z} />
      <StabilityChart rows={done} threshold={d.stopping.options.kappaThreshold} />
      <YieldChart rows={d.rounds} />
      <CostChart rows={done} />
      <LabelsChart d={d} />
      <DisagreementChart d={d} />
    </div>
  );
}
