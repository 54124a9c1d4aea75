'use client';
import { useState } from 'react';
import { api } from '@/components/api';

/** `next` is a same-site path already checked by safeNextPath on the server. */
export function LoginForm({ next = '/tasks' }: { next?: string }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await api('/api/auth/login', { body: { email: form.get('email'), password: form.get('password') } });
      window.location.assign(next);
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  }
  return (
    <form onSubmit={submit} className="space-y-3">
      <div>
        <label className="label" htmlFor="email">Email</label>
        <input id="email" name="email" type="email" autoComplete="username" required className="input w-full" autoFocus />
      </div>
      <div>
        <label className="label" htmlFor="password">Password</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required className="input w-full" />
      </div>
      {error && <p role="alert" className="text-red-600">{error}</p>}
      <button type="submit" className="btn btn-primary w-full justify-center" disabled={busy}>{busy ? 'Logging in…' : 'Log in'}</button>
    </form>
  );
}
