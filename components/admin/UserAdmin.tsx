'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { api, type WireResult } from '@/components/api';
import { DataTable } from '@/components/ui/DataTable';
import { withFormData } from '@/components/ui/form-data';
import { ROLES, type Role } from '@/lib/auth/roles.ts';
import type { createUser, listUsers, updateUser } from '@/lib/auth/users.ts';

type UserRow = WireResult<typeof listUsers>[number];

export function UserAdmin({ initialUsers, selfId }: { initialUsers: UserRow[]; selfId: number }) {
  const qc = useQueryClient();
  const router = useRouter();
  const users = useQuery({ queryKey: ['users'], queryFn: () => api<{ users: UserRow[] }>('/api/admin/users').then((r) => r.users), initialData: initialUsers });
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const update = useMutation({
    mutationFn: ({ id, patch }: { id: number; patch: Parameters<typeof updateUser>[2] }) => api(`/api/admin/users/${id}`, { method: 'PATCH', body: patch }),
    onSuccess: () => { setError(null); qc.invalidateQueries({ queryKey: ['users'] }); router.refresh(); },
    onError: (e) => setError((e as Error).message),
  });
  const create = useMutation({
    mutationFn: (body: Record<string, string>) => api<{ user: WireResult<typeof createUser> }>('/api/admin/users', { body }),
    onSuccess: ({ user }) => { setError(null); setNotice(`Created ${user.email} (${user.role}).`); qc.invalidateQueries({ queryKey: ['users'] }); router.refresh(); },
    onError: (e) => { setNotice(null); setError((e as Error).message); },
  });
  return (
    <>
      <section className="card">
        <h2 className="border-b border-zinc-200 px-4 py-2 font-semibold">Users</h2>
        <DataTable
          testId="users-table"
          rows={users.data}
          rowKey={(u) => u.id}
          columns={[
            { header: 'Name', cell: (u) => u.name },
            { header: 'Email', cell: (u) => u.email },
            {
              header: 'Role',
              cell: (u) => (
                <select className="input py-0.5" aria-label={`Role of ${u.email}`} value={u.role} disabled={u.id === selfId} onChange={(e) => update.mutate({ id: u.id, patch: { role: e.target.value as Role } })}>
                  {ROLES.map((r) => <option key={r}>{r}</option>)}
                </select>
              ),
            },
            {
              header: 'Status',
              cell: (u) => (
                <button className="text-xs text-indigo-700 hover:underline disabled:text-zinc-400" disabled={u.id === selfId} onClick={() => update.mutate({ id: u.id, patch: { disabled: !u.disabled } })}>
                  {u.disabled ? 'disabled · enable' : 'active · disable'}
                </button>
              ),
            },
            { header: 'Created', className: 'text-zinc-500', cell: (u) => u.createdAt.slice(0, 10) },
          ]}
        />
      </section>
      <section className="card mt-4 p-4">
        <h2 className="mb-2 font-semibold">Add a user</h2>
        <form
          className="flex flex-wrap items-end gap-3"
          onSubmit={withFormData((f) => create.mutate(Object.fromEntries(['name', 'email', 'role', 'password'].map((k) => [k, String(f.get(k) ?? '')]))))}
        >
          <div><label className="label" htmlFor="nu-name">Name</label><input id="nu-name" name="name" required className="input" /></div>
          <div><label className="label" htmlFor="nu-email">Email</label><input id="nu-email" name="email" type="email" required className="input" /></div>
          <div><label className="label" htmlFor="nu-role">Role</label><select id="nu-role" name="role" className="input">{ROLES.map((r) => <option key={r}>{r}</option>)}</select></div>
          <div><label className="label" htmlFor="nu-password">Initial password</label><input id="nu-password" name="password" type="password" minLength={8} required className="input" /></div>
          <button className="btn btn-primary" disabled={create.isPending}>Add user</button>
        </form>
        {notice && <p className="mt-2 text-green-700" role="status">{notice}</p>}
        {error && <p className="mt-2 text-red-600" role="alert">{error}</p>}
      </section>
    </>
  );
}
