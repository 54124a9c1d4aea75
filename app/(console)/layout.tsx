import type { ReactNode } from 'react';
import { currentUser } from '@/lib/http/page-auth.ts';
import { NavLinks } from '@/components/layout/NavLinks';
import { LogoutButton } from '@/components/auth/LogoutButton';

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const user = await currentUser();
  return (
    <div className="flex min-h-screen">
      <aside className="flex w-52 shrink-0 flex-col border-r border-zinc-200 bg-white">
        <div className="flex items-center gap-2 px-4 py-4">
          <img src="/icon.svg" alt="" className="h-6 w-6" />
          <span className="font-semibold">Distillery</span>
        </div>
        <NavLinks role={user.role} />
        <div className="mt-auto border-t border-zinc-200 px-4 py-3 text-xs">
          <div className="font-medium" data-testid="current-user">{user.name}</div>
          <div className="text-zinc-500">{user.email} · <span data-testid="current-role">{user.role}</span></div>
          <LogoutButton />
        </div>
      </aside>
      <main className="min-w-0 flex-1 p-6">{children}</main>
    </div>
  );
}
