import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const SOURCES = ['app', 'components', 'lib', 'public', 'next.config.ts', 'proxy.ts', 'package-lock.json', 'postcss.config.mjs', 'tsconfig.json'];

/** A fingerprint of everything the production build depends on (paths, sizes, mtimes). */
export function sourceFingerprint(root: string): string {
  const h = createHash('sha256');
  const walk = (p: string) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        if (name === 'node_modules' || name.endsWith('.test.ts') || name.endsWith('.test.tsx')) continue;
        walk(join(p, name));
      }
    } else h.update(`${relative(root, p)}:${st.size}:${Math.floor(st.mtimeMs)}\n`);
  };
  for (const s of SOURCES) walk(join(root, s));
  return h.digest('hex');
}

const STAMP = '.next/distillery-build-fingerprint';

/** True when .next holds a production build of exactly these sources. */
export function buildIsCurrent(root: string): boolean {
  const stamp = join(root, STAMP);
  return existsSync(join(root, '.next/BUILD_ID')) && existsSync(stamp) && readFileSync(stamp, 'utf8') === sourceFingerprint(root);
}

export function markBuilt(root: string): void {
  writeFileSync(join(root, STAMP), sourceFingerprint(root));
}
