import { forbidden } from 'next/navigation';
import { getDb } from '@/lib/db/client.ts';
import { listUsers } from '@/lib/auth/users.ts';
import { recentAudit } from '@/lib/audit.ts';
import { userWithRole } from '@/lib/http/page-auth.ts';
import { PageHeader } from '@/components/layout/PageHeader';
import { UserAdmin } from '@/components/admin/UserAdmin';
import { DataTable } from '@/components/ui/DataTable';
import { UserTokensAdmin } from '@/components/admin/UserTokensAdmin';

export const metadata = { title: 'Admin' };

export const dynamic = 'force-dynamic';

export default async function AdminPage() {
  const { user, allowed } = await userWithRole('admin');
  if (!allowed) forbidden();
  const db = await getDb();
  const [users, log] = await Promise.all([
    listUsers(db),
    recentAudit(db, 30),
  ]);
  const emails = new Map(users.map((u) => [u.id, u.email]));
  return (
    <>
      <PageHeader title="Admin" subtitle="Users and roles: annotators label; leads import, start rounds, adjudicate and deploy; admins manage users." />
      <UserAdmin initialUsers={users.map((u) => ({ ...u, createdAt: u.createdAt.toISOString() }))} selfId={user.id} />
      <UserTokensAdmin users={users.map((u) => ({ id: u.id, email: u.email }))} />
      <section className="card mt-6">
        <h2 className="border-b border-zinc-200 px-4 py-2 font-semibold">Audit log</h2>
        <DataTable
          rows={log}
          rowKey={(e) => e.id}
          columns={[
            { header: 'When', className: 'whitespace-nowrap text-zinc-500', cell: (e) => e.createdAt.toISOString().replace('T', ' ').slice(0, 19) },
            { header: 'Who', cell: (e) => (e.userId ? emails.get(e.userId) ?? e.userId : 'system') },
            { header: 'Action', cell: (e) => <span className="badge">{e.action}</span> },
            { header: 'Target', className: 'text-zinc-600', cell: (e) => e.target },
            { header: 'Details', className: 'max-w-md truncate font-mono text-xs text-zinc-500', cell: (e) => e.details },
          ]}
        />
      </section>
    </>
  );
}
