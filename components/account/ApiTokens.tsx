'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type WireResult } from '@/components/api';
import { DataTable } from '@/components/ui/DataTable';
import { withFormData } from '@/components/ui/form-data';
import type { createApiToken, listApiTokens } from '@/lib/auth/users.ts';

type TokenRow = WireResult<typeof listApiTokens>[number];

export function ApiTokens() {
  const qc = useQueryClient();
  const tokens = useQuery({ queryKey: ['tokens'], queryFn: () => api<{ tokens: TokenRow[] }>('/api/tokens').then((r) => r.tokens) });
  const [secret, setSecret] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: ({ name, predictOnly }: { name: string; predictOnly: boolean }) => api<{ token: WireResult<typeof createApiToken> }>('/api/tokens', { body: { name, ...(predictOnly ? { scopes: ['predict'] } : {}) } }),
    onSuccess: (r) => { setSecret(r.token.token); qc.invalidateQueries({ queryKey: ['tokens'] }); },
  });
  const revoke = useMutation({
    mutationFn: (id: number) => api(`/api/tokens/${id}`, { method: 'DELETE' }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['tokens'] }),
  });
  return (
    <section className="card p-4">
      <h2 className="font-semibold">API tokens</h2>
      <p className="mb-3 text-zinc-500">For scripts and the REST API: send <code>Authorization: Bearer &lt;token&gt;</code>. A token has your role.</p>
      <form className="flex gap-2" onSubmit={withFormData((f) => create.mutate({ name: String(f.get('name') ?? ''), predictOnly: f.get('predictOnly') === 'on' }))}>
        <input name="name" required placeholder="token name, e.g. laptop-cli" className="input w-64" aria-label="Token name" />
        <label className="flex items-center gap-1 text-xs"><input type="checkbox" name="predictOnly" /> predict API only (for a service)</label>
        <button className="btn btn-primary" disabled={create.isPending}>Create token</button>
      </form>
      {create.error && <p className="mt-2 text-red-600">{(create.error as Error).message}</p>}
      {secret && <p className="mt-3 rounded bg-amber-50 p-2 text-amber-900">Copy it now, it is shown once: <code className="select-all font-mono" data-testid="new-token">{secret}</code></p>}
      <DataTable
        className="mt-3"
        rows={tokens.data ?? []}
        rowKey={(t) => t.id}
        columns={[
          { header: 'Name', cell: (t) => t.name },
          { header: 'Prefix', className: 'font-mono text-xs', cell: (t) => `${t.prefix}…` },
          { header: 'Scopes', className: 'text-xs', cell: (t) => String(t.scopes ?? '') },
          { header: 'Created', cell: (t) => t.createdAt.slice(0, 10) },
          { header: 'Last used', cell: (t) => t.lastUsedAt?.slice(0, 16).replace('T', ' ') ?? 'never' },
          { header: null, cell: (t) => <button className="text-xs text-red-600 hover:underline" onClick={() => revoke.mutate(t.id)}>revoke</button> },
        ]}
      />
    </section>
  );
}
