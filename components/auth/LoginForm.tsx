'use client';
import { useState } from 'react';
import { api } from '@/components/api';
import { safeNextPath } from '@/lib/http/page-params.ts';

/** After login: the page's `?next=` when it is a same-site path (safeNextPath), else the task list. */
export function LoginForm() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await api('/api/auth/login', { body: { email: form.get('email'), password: form.get('password') } });
      window.location.assign(safeNextPath(new URLSearchParams(window.location.search).get('next')));
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
