import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openApiDocument, PREDICT_EXAMPLE } from './document.ts';
import { predictRequestSchema } from '../serving/schemas.ts';

/** Every route handler file under app/api with the methods it exports, as OpenAPI paths. */
function routeFiles(dir: string, out: { path: string; methods: string[] }[] = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) routeFiles(p, out);
    else if (name === 'route.ts') {
      const src = readFileSync(p, 'utf8');
      const methods = [...src.matchAll(/export const (GET|POST|PATCH|DELETE|PUT)\b/g)].map((m) => m[1].toLowerCase());
      const path = '/' + relative(join(process.cwd(), 'app'), dir).replace(/\[(\w+)\]/g, '{$1}');
      out.push({ path, methods });
    }
  }
  return out;
}

describe('the OpenAPI document', () => {
  const doc = openApiDocument();

  it('describes every route handler of app/api with each method it exports', () => {
    const missing: string[] = [];
    for (const r of routeFiles(join(process.cwd(), 'app', 'api'))) {
      if (r.path === '/api/openapi.json') continue;
      for (const m of r.methods) if (!(doc.paths as Record<string, Record<string, unknown>>)[r.path]?.[m]) missing.push(`${m.toUpperCase()} ${r.path}`);
    }
    expect(missing).toEqual([]);
  });

  it('carries JSON Schemas generated from the zod schemas, and an example the predict schema accepts', () => {
    const op = (doc.paths['/api/v1/phases/{id}/predict'] as Record<string, any>).post;
    const body = op.requestBody.content['application/json'];
    expect(body.schema.properties.texts).toMatchObject({ type: 'array', minItems: 1, maxItems: 1000 });
    expect(predictRequestSchema.parse(body.example)).toEqual(PREDICT_EXAMPLE);
    expect(op.responses['200'].content['application/json'].schema.properties.results.type).toBe('array');
    const task = (doc.paths['/api/tasks'] as Record<string, any>).post.requestBody.content['application/json'].schema;
    expect(task.properties.phases.type).toBe('array');
  });
});
