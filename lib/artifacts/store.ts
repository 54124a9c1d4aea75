import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { dataDir } from '../config/env.ts';
import type { Db } from '../db/client.ts';

/**
 * Where model files and checkpoints live, reachable by every process that needs them:
 * the local data folder by default (console and worker on one box), or the database
 * (DISTILLERY_ARTIFACTS=db) when workers run on other machines.
 */
export interface ArtifactStore {
  readonly kind: 'local' | 'db';
  put(key: string, data: Uint8Array): Promise<void>;
  get(key: string): Promise<Buffer | null>;
  delete(key: string): Promise<void>;
}

function checkKey(key: string): string {
  const k = normalize(key);
  if (k.startsWith('..') || k.startsWith('/') || !/^[\w./-]+$/.test(k)) throw new Error(`bad artifact key "${key}"`);
  return k;
}

export class LocalArtifactStore implements ArtifactStore {
  readonly kind = 'local' as const;
  constructor(readonly root: string = join(dataDir(), 'artifacts')) {}
  path(key: string) {
    return join(this.root, checkKey(key));
  }
  async put(key: string, data: Uint8Array) {
    const p = this.path(key);
    mkdirSync(dirname(p), { recursive: true });
    // Write then rename: a reader (or a crash) never sees half a file.
    writeFileSync(p + '.tmp', data);
    renameSync(p + '.tmp', p);
  }
  async get(key: string) {
    const p = this.path(key);
    return existsSync(p) ? readFileSync(p) : null;
  }
  async delete(key: string) {
    rmSync(this.path(key), { force: true });
  }
}

export class DbArtifactStore implements ArtifactStore {
  readonly kind = 'db' as const;
  constructor(private db: Db) {}
  async put(key: string, data: Uint8Array) {
    const k = checkKey(key);
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength) as unknown as Uint8Array<ArrayBuffer>;
    await this.db.artifact.upsert({ where: { key: k }, create: { key: k, data: bytes }, update: { data: bytes } });
  }
  async get(key: string) {
    const row = await this.db.artifact.findUnique({ where: { key: checkKey(key) } });
    return row ? Buffer.from(row.data) : null;
  }
  async delete(key: string) {
    await this.db.artifact.deleteMany({ where: { key: checkKey(key) } });
  }
}

export function artifactStore(db: Db, env: NodeJS.ProcessEnv = process.env): ArtifactStore {
  return env.DISTILLERY_ARTIFACTS === 'db' ? new DbArtifactStore(db) : new LocalArtifactStore();
}
