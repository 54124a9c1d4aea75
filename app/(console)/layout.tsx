import type { ReactNode } from 'react';
import { currentUser } from '@/lib/http/page-auth.ts';
import { NavLinks } from '@/components/layout/NavLinks';
import { MobileNav } from '@/components/layout/MobileNav';
import { LogoutButton } from '@/components/auth/LogoutButton';

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const user = await currentUser();
  const account = (testIds: boolean) => (
    <div className="border-t border-zinc-200 px-4 py-3 text-xs">
      <div className="font-medium" data-testid={testIds ? 'current-user' : undefined}>{user.name}</div>
      <div className="truncate text-zinc-500" title={user.email}>{user.email}</div>
      <div className="text-zinc-500" data-testid={testIds ? 'current-role' : undefined}>{user.role}</div>
      <LogoutButton />
    </div>
  );
  return (
    <div className="min-h-screen md:flex">
      <MobileNav>
        <NavLinks role={user.role} />
        <div className="mt-2">{account(false)}</div>
      </MobileNav>
      <aside className="hidden w-52 shrink-0 flex-col border-r border-zinc-200 bg-white md:flex">
        <div className="flex items-center gap-2 px-4 py-4">
          <img src="/icon.svg" alt="" className="h-6 w-6" />
          <span className="font-semibold">Distillery</span>
        </div>
        <NavLinks role={user.role} />
        <div className="mt-auto">{account(true)}</div>
      </aside>
      <main className="min-w-0 flex-1 p-4 md:p-6">{children}</main>
    </div>
  );
}
