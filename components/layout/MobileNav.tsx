'use client';
import { usePathname } from 'next/navigation';
import { useEffect, useState, type ReactNode } from 'react';

/**
 * Below 768 px the sidebar becomes a top bar with a Menu button; the menu (the same links and the
 * account box) closes again on navigation and on Escape.
 */
export function MobileNav({ children }: { children: ReactNode }) {
  const [open, setOpen] = useState(false);
  const path = usePathname();
  useEffect(() => setOpen(false), [path]);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open]);
  return (
    <header className="sticky top-0 z-20 border-b border-zinc-200 bg-white md:hidden">
      <div className="flex items-center gap-2 px-3 py-2">
        <img src="/icon.svg" alt="" className="h-6 w-6" />
        <span className="font-semibold">Distillery</span>
        <button type="button" className="btn ml-auto min-h-11 min-w-11 justify-center" aria-expanded={open} aria-controls="mobile-menu" onClick={() => setOpen((o) => !o)} data-testid="menu-button">
          {open ? 'Close' : 'Menu'}
        </button>
      </div>
      {open && (
        <div id="mobile-menu" className="border-t border-zinc-200 pb-3 pt-2 [&_a]:py-2.5">
          {children}
        </div>
      )}
    </header>
  );
}
