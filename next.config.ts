import type { NextConfig } from 'next';

/**
 * Response headers for every page and API answer. The CSP is what the console needs and no more:
 * its own scripts, styles and fetches. Next's App Router streams page data in inline `<script>`
 * tags, so script-src needs 'unsafe-inline' (nonces would need every page rendered per request
 * and a proxy that sets them); the policy still stops scripts, frames, objects and form posts
 * from anywhere else, a `<base>` rewrite, and being framed (clickjacking). `next dev` evaluates
 * code for fast refresh, hence 'unsafe-eval' (and its websocket) outside production only.
 * 'wasm-unsafe-eval' lets the try-it page compile onnxruntime-web's WebAssembly (served from
 * /ort/, never fetched from elsewhere); it allows no JavaScript eval.
 * Kept in this file: next.config.ts is loaded before the app's own TypeScript can be.
 */
export function securityHeaders(dev = process.env.NODE_ENV !== 'production'): { key: string; value: string }[] {
  const csp = [
    `default-src 'self'`,
    `script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'${dev ? ` 'unsafe-eval'` : ''}`,
    `style-src 'self' 'unsafe-inline'`,
    `img-src 'self' data: blob:`,
    `font-src 'self' data:`,
    `connect-src 'self'${dev ? ' ws: wss:' : ''}`,
    `worker-src 'self' blob:`,
    `object-src 'none'`,
    `base-uri 'self'`,
    `form-action 'self'`,
    `frame-ancestors 'none'`,
  ].join('; ');
  return [
    { key: 'Content-Security-Policy', value: csp },
    { key: 'X-Content-Type-Options', value: 'nosniff' },
    { key: 'X-Frame-Options', value: 'DENY' },
    { key: 'Referrer-Policy', value: 'same-origin' },
    { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
    { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=()' },
  ];
}

const nextConfig: NextConfig = {
  // Native addons and the Prisma runtime load from node_modules at run time, never bundled.
  serverExternalPackages: [
    'onnxruntime-node',
    '@libsql/client',
    'libsql',
    '@prisma/adapter-libsql',
    '@prisma/adapter-pg',
    '@prisma/client',
    'pg',
    '@tensorflow/tfjs',
    '@tensorflow/tfjs-backend-wasm',
  ],
  poweredByHeader: false,
  // CSP, nosniff, no framing, referrer policy on every answer (securityHeaders above).
  async headers() {
    return [{ source: '/:path*', headers: securityHeaders() }];
  },
  experimental: { authInterrupts: true },
  // npm test type-checks the whole repository (tsc --noEmit); the build need not do it again.
  typescript: { ignoreBuildErrors: true },
};

export default nextConfig;
