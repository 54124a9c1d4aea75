import { intParam, jsonBody, route } from '@/lib/http/route.ts';
import { addStudentAsTeacher } from '@/lib/models/as-teacher.ts';
import { asTeacherSchema } from '@/lib/models/schemas.ts';

// POST /api/models/:id/teacher { weight } – a deployed or retired student becomes a teacher of its phase
export const POST = route<{ id: string }>({ role: 'lead', scope: 'admin' }, async ({ req, db, user, params }) => {
  const { weight } = asTeacherSchema.parse(await jsonBody(req));
  return addStudentAsTeacher(db, { modelId: intParam(params.id, 'model id'), weight, actor: user });
});
