import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { DataTable } from './DataTable';

const rows = [
  { id: 1, name: 'ham', n: 1200 },
  { id: 2, name: 'spam', n: 30 },
];

describe('DataTable', () => {
  it('renders the console table: headers, number columns, row and cell attributes', () => {
    const html = renderToStaticMarkup(
      <DataTable
        testId="t"
        className="mt-3"
        rows={rows}
        rowKey={(r) => r.id}
        rowTestId={(r) => `row-${r.name}`}
        columns={[
          { header: 'Label', className: 'text-zinc-600', cell: (r) => r.name },
          { header: 'Items', num: true, td: () => ({ 'data-testid': 'count' }), cell: (r) => r.n.toLocaleString('en-US') },
          { header: null, cell: (r) => r.id === 2 && <button>x</button> },
        ]}
      />,
    );
    expect(html).toBe(
      '<table class="data mt-3" data-testid="t"><thead><tr><th>Label</th><th class="num">Items</th><th></th></tr></thead><tbody>' +
        '<tr data-testid="row-ham"><td class="text-zinc-600">ham</td><td class="num" data-testid="count">1,200</td><td></td></tr>' +
        '<tr data-testid="row-spam"><td class="text-zinc-600">spam</td><td class="num" data-testid="count">30</td><td><button>x</button></td></tr>' +
        '</tbody></table>',
    );
  });

  it('shows the empty message across all columns, and no header row when no column has one', () => {
    const empty = renderToStaticMarkup(<DataTable rows={[] as typeof rows} rowKey={(r) => r.id} empty="Nothing yet." columns={[{ header: 'A', cell: (r) => r.name }, { header: 'B', cell: (r) => r.n }]} />);
    expect(empty).toContain('<tbody><tr><td colSpan="2" class="py-4 text-center text-zinc-500">Nothing yet.</td></tr></tbody>');
    const bare = renderToStaticMarkup(<DataTable rows={rows} rowKey={(r) => r.id} columns={[{ cell: (r) => r.name }]} />);
    expect(bare).toBe('<table class="data"><tbody><tr><td>ham</td></tr><tr><td>spam</td></tr></tbody></table>');
  });
});
