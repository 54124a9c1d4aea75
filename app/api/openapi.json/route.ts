import { NextResponse } from 'next/server';
import { openApiDocument } from '@/lib/openapi/document.ts';

// GET /api/openapi.json – the REST API's OpenAPI 3.1 document, generated from the zod schemas (public, like any API description)
export const GET = async () => NextResponse.json(openApiDocument());
