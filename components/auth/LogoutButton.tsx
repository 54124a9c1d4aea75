'use client';
import { api } from '@/components/api';

export function LogoutButton() {
  return (
    <button
      type="button"
      className="mt-2 text-indigo-600 hover:underline"
      onClick={async () => {
        await api('/api/auth/logout', { method: 'POST' });
        window.location.assign('/login');
      }}
    >
      Log out
    </button>
  );
}
