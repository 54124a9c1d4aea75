import { LoginForm } from '@/components/auth/LoginForm';
import { safeNextPath } from '@/lib/http/page-params.ts';

export const metadata = { title: 'Log in' };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const next = safeNextPath((await searchParams).next);
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="card w-full max-w-sm p-6">
        <h1 className="mb-1 text-lg font-semibold">Distillery</h1>
        <p className="mb-4 text-zinc-500">Log in to the distillation console.</p>
        <LoginForm next={next} />
      </div>
    </main>
  );
}
