import { currentUser } from '@/lib/http/page-auth.ts';
import { PageHeader } from '@/components/layout/PageHeader';
import { ApiTokens } from '@/components/account/ApiTokens';

export const metadata = { title: 'Account' };

export default async function AccountPage() {
  const user = await currentUser();
  return (
    <>
      <PageHeader title="Account" subtitle={`${user.name} · ${user.email} · ${user.role}`} />
      <ApiTokens />
    </>
  );
}
