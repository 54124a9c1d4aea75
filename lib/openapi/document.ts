/**
 * The OpenAPI 3.1 document of the REST API, generated from the zod schemas the routes validate
 * with (z.toJSONSchema): served at /api/openapi.json and rendered at /api-docs. Adding a route
 * means adding one line to OPERATIONS with the schema its handler parses.
 */
import { z } from 'zod';
import { newUserSchema, userUpdateSchema } from '../auth/users.ts';
import { tokenCreateSchema } from '../auth/scopes.ts';
import { taskSpecSchema } from '../tasks/spec.ts';
import { queueSettingsSchema } from '../queue/settings.ts';
import { changeAnswerSchema, resolveFlagSchema, submitSchema, undoSchema } from '../queue/schemas.ts';
import { roundConfigSchema } from '../rounds/config.ts';
import { asTeacherSchema, deploySchema, reviewSchema, stopSchema } from '../models/schemas.ts';
import { multiPredictRequestSchema, predictRequestSchema, predictResponseSchema } from '../serving/schemas.ts';

type Role = 'public' | 'annotator' | 'lead' | 'admin';
interface Operation {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  role: Role;
  summary: string;
  tag: string;
  body?: z.ZodType;
  response?: z.ZodType;
  scope?: string;
  example?: unknown;
}

export const PREDICT_EXAMPLE = { texts: ['你好，这是一条普通的评论', '地域黑滚出去'] };

const OPERATIONS: Operation[] = [
  { method: 'post', path: '/api/auth/login', role: 'public', tag: 'auth', summary: 'log in (sets the session cookie); body { email, password }' },
  { method: 'post', path: '/api/auth/logout', role: 'public', tag: 'auth', summary: 'end the session' },
  { method: 'get', path: '/api/me', role: 'annotator', tag: 'auth', summary: 'who am I' },
  { method: 'get', path: '/api/tokens', role: 'annotator', tag: 'auth', summary: 'own API tokens' },
  { method: 'post', path: '/api/tokens', role: 'annotator', tag: 'auth', summary: 'create an API token (the secret is shown once)', body: tokenCreateSchema },
  { method: 'delete', path: '/api/tokens/{id}', role: 'annotator', tag: 'auth', summary: 'revoke an own token' },
  { method: 'get', path: '/api/admin/users', role: 'admin', tag: 'admin', summary: 'list users' },
  { method: 'post', path: '/api/admin/users', role: 'admin', tag: 'admin', summary: 'create a user', body: newUserSchema },
  { method: 'patch', path: '/api/admin/users/{id}', role: 'admin', tag: 'admin', summary: 'change a user', body: userUpdateSchema },
  { method: 'get', path: '/api/admin/users/{id}/tokens', role: 'admin', tag: 'admin', summary: "a user's live API tokens" },
  { method: 'delete', path: '/api/admin/users/{id}/tokens/{tokenId}', role: 'admin', tag: 'admin', summary: "revoke one of a user's API tokens" },
  { method: 'get', path: '/api/tasks', role: 'annotator', tag: 'tasks', summary: 'tasks with phases and counts' },
  { method: 'post', path: '/api/tasks', role: 'lead', tag: 'tasks', summary: 'create a task with phases', body: taskSpecSchema },
  { method: 'get', path: '/api/tasks/{id}', role: 'annotator', tag: 'tasks', summary: 'one task (by id or slug)' },
  { method: 'get', path: '/api/tasks/{id}/overview', role: 'annotator', tag: 'tasks', summary: "each phase's latest round, deployed model, queue size and labels today" },
  { method: 'get', path: '/api/phases/{id}', role: 'annotator', tag: 'tasks', summary: 'a phase with its queue settings' },
  { method: 'patch', path: '/api/phases/{id}', role: 'lead', tag: 'tasks', summary: 'change queue settings and automatic rounds (autoRoundAfterLabels); a ranking change re-ranks the queue in a worker job, awaited up to ?wait= seconds (default 30)', body: queueSettingsSchema },
  { method: 'get', path: '/api/phases/{id}/items', role: 'annotator', tag: 'tasks', summary: 'items, paged by id (?split=&limit=&after=)' },
  { method: 'post', path: '/api/phases/{id}/import', role: 'lead', tag: 'import', summary: 'import a CSV/JSONL file (body: the file); answers NDJSON progress lines' },
  { method: 'get', path: '/api/phases/{id}/rounds', role: 'annotator', tag: 'rounds', summary: 'rounds of a phase' },
  { method: 'post', path: '/api/phases/{id}/rounds', role: 'lead', tag: 'rounds', summary: 'start a round', body: roundConfigSchema },
  { method: 'get', path: '/api/phases/{id}/rounds/compare', role: 'annotator', tag: 'rounds', summary: 'two rounds side by side (?a=&b= round numbers, &limit=): metrics, agreement, paired gain, changed items' },
  { method: 'get', path: '/api/phases/{id}/dashboard', role: 'annotator', tag: 'rounds', summary: 'the phase dashboard: rounds, return on labels, stopping signal, disagreement histogram, labels per round and annotator' },
  { method: 'get', path: '/api/rounds/{id}', role: 'annotator', tag: 'rounds', summary: 'one round' },
  { method: 'post', path: '/api/rounds/{id}/cancel', role: 'lead', tag: 'rounds', summary: 'cancel a round' },
  { method: 'get', path: '/api/jobs', role: 'annotator', tag: 'rounds', summary: 'background jobs (?status=)' },
  { method: 'get', path: '/api/phases/{id}/queue/next', role: 'annotator', tag: 'annotation', summary: 'lease the next items (?limit=)' },
  { method: 'post', path: '/api/phases/{id}/queue/rebuild', role: 'lead', tag: 'annotation', summary: 're-rank the queue' },
  { method: 'get', path: '/api/phases/{id}/queue/status', role: 'annotator', tag: 'annotation', summary: 'the queue as you see it and, when it has nothing for you, why (for leads: the action that fills it)' },
  { method: 'post', path: '/api/phases/{id}/annotations', role: 'annotator', tag: 'annotation', summary: 'answer an item (label, skip, flag with an optional note); idempotent by clientId', body: submitSchema },
  { method: 'post', path: '/api/phases/{id}/annotations/undo', role: 'annotator', tag: 'annotation', summary: 'take back an answer (answerClientId, else your last); a retried undo with the same opId is a no-op', body: undoSchema },
  { method: 'post', path: '/api/phases/{id}/annotations/change', role: 'annotator', tag: 'annotation', summary: 'change one of your answers from the revision you saw; a retry is a no-op, a stale change 409', body: changeAnswerSchema },
  { method: 'get', path: '/api/phases/{id}/annotations/mine', role: 'annotator', tag: 'annotation', summary: 'your counts: this session, today (?tzOffset=), in all' },
  { method: 'get', path: '/api/phases/{id}/annotations/recent', role: 'annotator', tag: 'annotation', summary: 'your last answers that stand, with item text and revision (?limit=)' },
  { method: 'get', path: '/api/phases/{id}/annotators', role: 'lead', tag: 'annotation', summary: 'every annotator of the phase with their counts (?tzOffset=)' },
  { method: 'get', path: '/api/phases/{id}/flags', role: 'lead', tag: 'annotation', summary: 'flagged items with the annotators’ notes (?status=open|resolved|all&limit=)' },
  { method: 'post', path: '/api/phases/{id}/flags/{itemId}', role: 'lead', tag: 'annotation', summary: 'act on an item’s open flags: label it (trusted label), send it back to the queue, or dismiss', body: resolveFlagSchema },
  { method: 'get', path: '/api/phases/{id}/agreement', role: 'lead', tag: 'annotation', summary: 'kappa and percent agreement' },
  { method: 'get', path: '/api/phases/{id}/conflicts', role: 'lead', tag: 'annotation', summary: 'disagreeing items' },
  { method: 'post', path: '/api/phases/{id}/adjudicate', role: 'lead', tag: 'annotation', summary: 'final label of a conflicting item { itemId, label }' },
  { method: 'get', path: '/api/phases/{id}/yield', role: 'annotator', tag: 'annotation', summary: 'how often labelled items overruled the teacher: queue picks against random audit picks, per round' },
  { method: 'get', path: '/api/phases/{id}/labels/export', role: 'lead', tag: 'annotation', summary: 'all answers (?format=csv|jsonl)' },
  { method: 'get', path: '/api/models', role: 'annotator', tag: 'models', summary: 'the registry (?phaseId=)' },
  { method: 'get', path: '/api/models/{id}', role: 'annotator', tag: 'models', summary: 'one model with its card and history' },
  { method: 'post', path: '/api/models/{id}/approve', role: 'lead', scope: 'admin', tag: 'models', summary: 'approve a candidate (audit-logged with the note)', body: reviewSchema },
  { method: 'post', path: '/api/models/{id}/reject', role: 'lead', scope: 'admin', tag: 'models', summary: 'reject a model', body: reviewSchema },
  { method: 'post', path: '/api/models/{id}/deploy', role: 'lead', scope: 'admin', tag: 'models', summary: 'deploy: switch live atomically, or start a canary/shadow', body: deploySchema },
  { method: 'get', path: '/api/models/{id}/flips', role: 'lead', tag: 'models', summary: 'flip set against the deployed model' },
  { method: 'post', path: '/api/models/{id}/flips/queue', role: 'lead', scope: 'admin', tag: 'models', summary: 'send unlabelled flips to the front of the annotation queue' },
  { method: 'post', path: '/api/models/{id}/teacher', role: 'lead', scope: 'admin', tag: 'models', summary: 'a deployed or retired student becomes a weighted teacher of its phase (inference over the pool)', body: asTeacherSchema },
  { method: 'post', path: '/api/models/{id}/throughput', role: 'lead', scope: 'admin', tag: 'models', summary: 'measure the throughput card' },
  { method: 'get', path: '/api/models/{id}/download', role: 'lead', scope: 'read', tag: 'models', summary: '.tar.gz with model.onnx, vocab, config, tokenizer, model card, examples' },
  { method: 'get', path: '/api/models/{id}/files/{file}', role: 'lead', scope: 'read', tag: 'models', summary: 'one artifact (student.onnx, vocab.json, config.json, model-card.md)' },
  { method: 'get', path: '/api/phases/{id}/deployments', role: 'annotator', tag: 'models', summary: 'what serves the phase (live, canary + agreement, shadow + flip rate) and history' },
  { method: 'delete', path: '/api/phases/{id}/deployments', role: 'lead', scope: 'admin', tag: 'models', summary: 'stop the canary or the shadow', body: stopSchema },
  { method: 'post', path: '/api/phases/{id}/rollback', role: 'lead', scope: 'admin', tag: 'models', summary: 'back to the previously deployed model', body: reviewSchema },
  { method: 'post', path: '/api/phases/{id}/promote', role: 'lead', scope: 'admin', tag: 'models', summary: 'the canary becomes live', body: reviewSchema },
  { method: 'post', path: '/api/v1/phases/{id}/predict', role: 'annotator', scope: 'predict', tag: 'predict', summary: 'label, probabilities and model version per text (token with the predict scope, or a lead’s session)', body: predictRequestSchema, response: predictResponseSchema, example: PREDICT_EXAMPLE },
  { method: 'post', path: '/api/v1/predict', role: 'annotator', scope: 'predict', tag: 'predict', summary: 'several phases (by taskSlug/phaseKey or id) at once', body: multiPredictRequestSchema, example: { phases: ['cold/offensive'], ...PREDICT_EXAMPLE } },
];

const jsonSchema = (s: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

const errorSchema = { type: 'object', properties: { error: { type: 'string' }, code: { type: 'string' }, details: {} }, required: ['error', 'code'] };

export function openApiDocument(serverUrl = '/') {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    paths[op.path] ??= {};
    paths[op.path][op.method] = {
      tags: [op.tag],
      summary: op.summary,
      description: `Role: ${op.role}${op.scope ? `; API tokens need the \`${op.scope}\` scope` : ''}.`,
      ...(op.role === 'public' ? { security: [] } : {}),
      ...(params.length ? { parameters: params } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body, 'input'), ...(op.example ? { example: op.example } : {}) } } } } : {}),
      responses: {
        '200': { description: 'OK', ...(op.response ? { content: { 'application/json': { schema: jsonSchema(op.response, 'output') } } } : {}) },
        default: { description: 'error (400/401/403/404/409/422/503)', content: { 'application/json': { schema: errorSchema } } },
      },
      'x-role': op.role,
      ...(op.scope ? { 'x-scope': op.scope } : {}),
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Distillery API', version: '1', description: 'Authenticate with the session cookie or `Authorization: Bearer <token>`.' },
    servers: [{ url: serverUrl }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'distillery_session' } } },
    security: [{ bearer: [] }, { session: [] }],
    paths,
  };
}
