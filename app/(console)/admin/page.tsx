import { forbidden } from 'next/navigation';
import { getDb } from '@/lib/db/client.ts';
import { listUsers } from '@/lib/auth/users.ts';
import { userWithRole } from '@/lib/http/page-auth.ts';
import { PageHeader } from '@/components/PageHeader';
import { UserAdmin } from '@/components/UserAdmin';
import { UserTokensAdmin } from '@/components/UserTokensAdmin';

export const dynamic = 'force-dynamic';

export default async function AdminPage() {
  const { user, allowed } = await userWithRole('admin');
  if (!allowed) forbidden();
  const db = await getDb();
  const [users, log] = await Promise.all([
    listUsers(db),
    db.auditLog.findMany({ orderBy: { id: 'desc' }, take: 30 }),
  ]);
  const emails = new Map(users.map((u) => [u.id, u.email]));
  return (
    <>
      <PageHeader title="Admin" subtitle="Users and roles: annotators label; leads import, start rounds, adjudicate and deploy; admins manage users." />
      <UserAdmin initialUsers={users.map((u) => ({ ...u, createdAt: u.createdAt.toISOString() }))} selfId={user.id} />
      <UserTokensAdmin users={users.map((u) => ({ id: u.id, email: u.email }))} />
      <section className="card mt-6">
        <h2 className="border-b border-zinc-200 px-4 py-2 font-semibold">Audit log</h2>
        <table className="data">
          <thead><tr><th>When</th><th>Who</th><th>Action</th><th>Target</th><th>Details</th></tr></thead>
          <tbody>
            {log.map((e) => (
              <tr key={e.id}>
                <td className="whitespace-nowrap text-zinc-500">{e.createdAt.toISOString().replace('T', ' ').slice(0, 19)}</td>
                <td>{e.userId ? emails.get(e.userId) ?? e.userId : 'system'}</td>
                <td><span className="badge">{e.action}</span></td>
                <td className="text-zinc-600">{e.target}</td>
                <td className="max-w-md truncate font-mono text-xs text-zinc-500">{e.details}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
