import type { NextConfig } from 'next';

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
  experimental: { authInterrupts: true },
  typescript: { ignoreBuildErrors: false },
};

export default nextConfig;
