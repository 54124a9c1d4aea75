'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';

const LINKS = [
  { href: '/tasks', label: 'Tasks' },
  { href: '/annotate', label: 'Annotate' },
  { href: '/rounds', label: 'Rounds' },
  { href: '/models', label: 'Models' },
  { href: '/api-docs', label: 'API' },
  { href: '/admin', label: 'Admin', role: 'admin' },
  { href: '/account', label: 'Account' },
];

export function NavLinks({ role }: { role: string }) {
  const path = usePathname();
  return (
    <nav className="flex flex-col gap-0.5 px-2" aria-label="Main">
      {LINKS.filter((l) => !l.role || l.role === role).map((l) => {
        const active = path === l.href || path.startsWith(l.href + '/');
        return (
          <Link
            key={l.href}
            href={l.href}
            className={`rounded px-3 py-1.5 ${active ? 'bg-indigo-50 font-medium text-indigo-700' : 'text-zinc-700 hover:bg-zinc-100'}`}
          >
            {l.label}
          </Link>
        );
      })}
    </nav>
  );
}
