'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from './api';

interface TokenRow { id: number; name: string; prefix: string; scopes?: string; createdAt: string; lastUsedAt: string | null }

export function ApiTokens() {
  const qc = useQueryClient();
  const tokens = useQuery({ queryKey: ['tokens'], queryFn: () => api<{ tokens: TokenRow[] }>('/api/tokens').then((r) => r.tokens) });
  const [secret, setSecret] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: ({ name, predictOnly }: { name: string; predictOnly: boolean }) => api<{ token: { token: string } }>('/api/tokens', { body: { name, ...(predictOnly ? { scopes: ['predict'] } : {}) } }),
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
      <form className="flex gap-2" onSubmit={(e) => { e.preventDefault(); const f = new FormData(e.currentTarget); create.mutate({ name: String(f.get('name') ?? ''), predictOnly: f.get('predictOnly') === 'on' }); }}>
        <input name="name" required placeholder="token name, e.g. laptop-cli" className="input w-64" aria-label="Token name" />
        <label className="flex items-center gap-1 text-xs"><input type="checkbox" name="predictOnly" /> predict API only (for a service)</label>
        <button className="btn btn-primary" disabled={create.isPending}>Create token</button>
      </form>
      {create.error && <p className="mt-2 text-red-600">{(create.error as Error).message}</p>}
      {secret && <p className="mt-3 rounded bg-amber-50 p-2 text-amber-900">Copy it now, it is shown once: <code className="select-all font-mono" data-testid="new-token">{secret}</code></p>}
      <table className="data mt-3">
        <thead><tr><th>Name</th><th>Prefix</th><th>Scopes</th><th>Created</th><th>Last used</th><th /></tr></thead>
        <tbody>
          {(tokens.data ?? []).map((t) => (
            <tr key={t.id}>
              <td>{t.name}</td><td className="font-mono text-xs">{t.prefix}…</td><td className="text-xs">{t.scopes ?? ''}</td><td>{t.createdAt.slice(0, 10)}</td><td>{t.lastUsedAt?.slice(0, 16).replace('T', ' ') ?? 'never'}</td>
              <td><button className="text-xs text-red-600 hover:underline" onClick={() => revoke.mutate(t.id)}>revoke</button></td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
