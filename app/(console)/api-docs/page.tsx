import { currentUser } from '@/lib/http/page-auth.ts';
import { openApiDocument } from '@/lib/openapi/document.ts';
import { PageHeader } from '@/components/layout/PageHeader';

export const metadata = { title: 'REST API' };

export const dynamic = 'force-dynamic';

type Op = { summary: string; description: string; tags: string[]; requestBody?: { content: { 'application/json': { schema: unknown; example?: unknown } } } };

/** The OpenAPI document rendered: one row per operation, with its request schema and example. */
export default async function ApiDocsPage() {
  await currentUser();
  const doc = openApiDocument();
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods as Record<string, Op>).map(([method, op]) => ({ path, method, op })));
  return (
    <>
      <PageHeader title="REST API" subtitle={<>OpenAPI 3.1, generated from the zod schemas: <a className="text-indigo-700 hover:underline" href="/api/openapi.json">/api/openapi.json</a></>} />
      <section className="card">
        <table className="data" data-testid="api-operations">
          <thead><tr><th>Method</th><th>Path</th><th>What</th><th>Body</th></tr></thead>
          <tbody>
            {ops.map(({ path, method, op }) => {
              const body = op.requestBody?.content['application/json'];
              return (
                <tr key={`${method} ${path}`}>
                  <td className="font-mono text-xs uppercase">{method}</td>
                  <td className="font-mono text-xs">{path}</td>
                  <td className="text-xs">{op.summary}<div className="text-zinc-500">{op.description}</div></td>
                  <td className="text-xs">
                    {body && (
                      <details>
                        <summary className="cursor-pointer text-indigo-700">schema{body.example ? ' + example' : ''}</summary>
                        {body.example != null && <pre className="whitespace-pre-wrap">{`curl -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\\n  -d '${JSON.stringify(body.example)}' http://127.0.0.1:3000${path.replace('{id}', '1')}`}</pre>}
                        <pre className="max-w-md overflow-x-auto whitespace-pre-wrap">{JSON.stringify(body.schema, null, 2)}</pre>
                      </details>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
    </>
  );
}
