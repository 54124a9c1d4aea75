import { NextResponse } from 'next/server';
import { logout } from '@/lib/auth/users.ts';
import { publicRoute, SESSION_COOKIE } from '@/lib/http/route.ts';

export const POST = publicRoute(async ({ req, db }) => {
  const token = req.cookies.get(SESSION_COOKIE)?.value;
  if (token) await logout(db, token);
  const res = NextResponse.json({ ok: true });
  res.cookies.delete(SESSION_COOKIE);
  return res;
});
