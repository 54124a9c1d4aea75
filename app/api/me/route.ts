import { route } from '@/lib/http/route.ts';

export const GET = route({ role: 'annotator' }, async ({ user }) => ({ user }));
