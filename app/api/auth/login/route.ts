import { NextResponse } from 'next/server';
import { z } from 'zod';
import { login } from '@/lib/auth/users.ts';
import { clientAddress } from '@/lib/auth/throttle.ts';
import { LOGIN_BODY_LIMIT } from '@/lib/http/body.ts';
import { jsonBody, publicRoute, SESSION_COOKIE } from '@/lib/http/route.ts';

const body = z.object({ email: z.string().min(1, 'email is required'), password: z.string().min(1, 'password is required') });

export const POST = publicRoute(async ({ req, db }) => {
  const { email, password } = body.parse(await jsonBody(req, LOGIN_BODY_LIMIT));
  const { user, token, expiresAt } = await login(db, email, password, { address: clientAddress(req) });
  const res = NextResponse.json({ user });
  res.cookies.set(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    secure: process.env.DISTILLERY_SECURE_COOKIES === '1',
    path: '/',
    expires: expiresAt,
  });
  return res;
});
