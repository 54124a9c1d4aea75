'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '@/components/api';

interface TokenRow { id: number; name: string; prefix: string; createdAt: string; lastUsedAt: string | null }

/** An admin picks a user and sees (and revokes) that user's live API tokens. */
export function UserTokensAdmin({ users }: { users: { id: number; email: string }[] }) {
  const qc = useQueryClient();
  const [userId, setUserId] = useState<number | null>(users[0]?.id ?? null);
  const [error, setError] = useState<string | null>(null);
  const tokens = useQuery({
    queryKey: ['admin-tokens', userId],
    enabled: userId != null,
    queryFn: () => api<{ tokens: TokenRow[] }>(`/api/admin/users/${userId}/tokens`).then((r) => r.tokens),
  });
  const revoke = useMutation({
    mutationFn: (id: number) => api(`/api/admin/users/${userId}/tokens/${id}`, { method: 'DELETE' }),
    onSuccess: () => { setError(null); qc.invalidateQueries({ queryKey: ['admin-tokens', userId] }); },
    onError: (e) => setError((e as Error).message),
  });
  return (
    <section className="card mt-4" data-testid="user-tokens">
      <div className="flex items-center gap-3 border-b border-zinc-200 px-4 py-2">
        <h2 className="font-semibold">API tokens of</h2>
        <select className="input py-0.5" aria-label="User whose tokens to show" value={userId ?? ''} onChange={(e) => setUserId(Number(e.target.value))}>
          {users.map((u) => <option key={u.id} value={u.id}>{u.email}</option>)}
        </select>
      </div>
      <table className="data">
        <thead><tr><th>Name</th><th>Prefix</th><th>Created</th><th>Last used</th><th /></tr></thead>
        <tbody>
          {(tokens.data ?? []).map((t) => (
            <tr key={t.id}>
              <td>{t.name}</td>
              <td className="font-mono text-xs">{t.prefix}…</td>
              <td className="text-zinc-500">{t.createdAt.slice(0, 10)}</td>
              <td className="text-zinc-500">{t.lastUsedAt ? t.lastUsedAt.slice(0, 16).replace('T', ' ') : 'never'}</td>
              <td><button type="button" className="text-xs text-red-700 hover:underline" disabled={revoke.isPending} onClick={() => revoke.mutate(t.id)}>Revoke</button></td>
            </tr>
          ))}
          {tokens.data?.length === 0 && <tr><td colSpan={5} className="text-zinc-500">No live tokens.</td></tr>}
        </tbody>
      </table>
      {error && <p className="px-4 py-2 text-red-600" role="alert">{error}</p>}
    </section>
  );
}
