import { LoginForm } from '@/components/auth/LoginForm';

export const metadata = { title: 'Log in · Distillery' };

export default function LoginPage() {
  return (
    <main className="flex min-h-screen items-center justify-center">
      <div className="card w-full max-w-sm p-6">
        <h1 className="mb-1 text-lg font-semibold">Distillery</h1>
        <p className="mb-4 text-zinc-500">Log in to the distillation console.</p>
        <LoginForm />
      </div>
    </main>
  );
}
