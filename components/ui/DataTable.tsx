import type { Key, ReactNode, TdHTMLAttributes } from 'react';

/** One column: its header and how a row fills its cell. No hooks: usable from server and client components. */
export interface Column<T> {
  /** Omitted on every column: the table has no header row. */
  header?: ReactNode;
  /** A number column: right-aligned, tabular digits (header and cells). */
  num?: boolean;
  /** Extra classes of the column's cells. */
  className?: string;
  /** Extra attributes of one cell (a test id, a title). */
  td?: (row: T) => TdHTMLAttributes<HTMLTableCellElement> & { 'data-testid'?: string };
  cell: (row: T, index: number) => ReactNode;
}

export interface DataTableProps<T> {
  columns: Column<T>[];
  rows: readonly T[];
  rowKey: (row: T, index: number) => Key;
  /** data-testid of a row. */
  rowTestId?: (row: T) => string;
  /** Classes of every row. */
  rowClassName?: string;
  /** Shown across the table when there are no rows. */
  empty?: ReactNode;
  className?: string;
  testId?: string;
}

/** The console's table (the `table.data` style of app/globals.css). */
export function DataTable<T>({ columns, rows, rowKey, rowTestId, rowClassName, empty, className, testId }: DataTableProps<T>) {
  const classes = (c: Column<T>) => [c.num ? 'num' : '', c.className ?? ''].filter(Boolean).join(' ') || undefined;
  return (
    <table className={className ? `data ${className}` : 'data'} data-testid={testId}>
      {columns.some((c) => c.header !== undefined) && (
        <thead>
          <tr>
            {columns.map((c, j) => (
              <th key={j} className={c.num ? 'num' : undefined}>{c.header}</th>
            ))}
          </tr>
        </thead>
      )}
      <tbody>
        {rows.map((row, i) => (
          <tr key={rowKey(row, i)} data-testid={rowTestId?.(row)} className={rowClassName}>
            {columns.map((c, j) => (
              <td key={j} className={classes(c)} {...c.td?.(row)}>{c.cell(row, i)}</td>
            ))}
          </tr>
        ))}
        {rows.length === 0 && empty != null && (
          <tr>
            <td colSpan={columns.length} className="py-4 text-center text-zinc-500">{empty}</td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
