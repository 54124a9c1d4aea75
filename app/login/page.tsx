import { LoginForm } from '@/components/auth/LoginForm';

export const metadata = { title: 'Log in' };

/**
 * Prerendered once at build (no request data on the server): the page anyone can reach is served
 * as a static file, so a flood of it costs the console no rendering and no database. The form reads
 * `?next=` in the browser, checked by the same safeNextPath.
 */
export default function LoginPage() {
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="card w-full max-w-sm p-6">
        <h1 className="mb-1 text-lg font-semibold">Distillery</h1>
        <p className="mb-4 text-zinc-500">Log in to the distillation console.</p>
        <LoginForm />
      </div>
    </main>
  );
}
