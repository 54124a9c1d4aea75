import { hasRole } from '@/lib/auth/roles.ts';
import { currentUser } from '@/lib/http/page-auth.ts';
import { PageHeader } from '@/components/layout/PageHeader';
import { ModelRegistry } from '@/components/models/ModelRegistry';

export const metadata = { title: 'Models' };

export const dynamic = 'force-dynamic';

export default async function ModelsPage() {
  const user = await currentUser();
  return (
    <>
      <PageHeader title="Models" subtitle="Trained students per phase: review, approve, deploy (live, canary, shadow) and roll back." />
      <ModelRegistry canManage={hasRole(user.role, 'lead')} />
    </>
  );
}
