/**
 * A confusion matrix as a heatmap: rows are the reference (teacher or human label), columns the
 * student's prediction. Cells are shaded by their share of the row (so a small class's errors
 * show as plainly as a large one's) and print the count; the title says both. Past 12 labels the
 * counts are left to the titles and the column names turn vertical.
 */
export function ConfusionHeatmap({ labels, confusion, reference, predictedBy, testId }: { labels: string[]; confusion: number[][]; reference: string; predictedBy: string; testId?: string }) {
  const many = labels.length > 12;
  const cell = many ? 'h-3 w-3 min-w-3' : 'h-9 min-w-12 px-1.5';
  return (
    <figure className="max-w-full overflow-x-auto" data-testid={testId}>
      <figcaption className="mb-1 text-xs text-zinc-500">
        Rows: <b className="font-medium text-zinc-700">{reference}</b> · columns: <b className="font-medium text-zinc-700">{predictedBy}</b> · shade: share of the row
      </figcaption>
      <table className="border-separate border-spacing-0.5 text-xs tabular-nums">
        <thead>
          <tr>
            <th />
            {labels.map((l) => (
              <th key={l} scope="col" title={l} className={`font-medium text-zinc-500 ${many ? 'h-24 max-h-24 align-bottom [writing-mode:vertical-rl] rotate-180 truncate' : 'max-w-24 truncate px-1 text-right'}`}>
                {l}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {confusion.map((row, i) => {
            const total = row.reduce((a, b) => a + b, 0);
            return (
              <tr key={labels[i]}>
                <th scope="row" title={labels[i]} className="max-w-32 truncate pr-2 text-left font-medium text-zinc-500">{labels[i]}</th>
                {row.map((v, j) => {
                  const share = total ? v / total : 0;
                  return (
                    <td
                      key={j}
                      title={`${reference} ${labels[i]} → ${predictedBy} ${labels[j]}: ${v} of ${total} (${(100 * share).toFixed(1)}%)`}
                      className={`${cell} rounded-sm text-right ${i === j ? 'ring-1 ring-inset ring-zinc-300' : ''}`}
                      style={{ background: v ? `rgba(79,70,229,${0.08 + 0.82 * share})` : '#f4f4f5', color: share > 0.55 ? 'white' : undefined }}
                    >
                      {many ? null : v.toLocaleString('en-US')}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </figure>
  );
}
