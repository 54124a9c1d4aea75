import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataDir } from '../config/env.ts';

/**
 * The public datasets the demo, tests and benchmarks use. They are never committed: they are
 * read from a local folder (DISTILLERY_DATASETS_DIR, else ../shared/datasets beside the
 * checkout) or downloaded once from their public source and checked against SHA-256.
 */
export interface DatasetFile {
  name: string;
  sha256: string;
}
export interface Dataset {
  name: 'cold' | 'banking77';
  license: string;
  citation: string;
  baseUrl: string;
  files: DatasetFile[];
}

export const DATASETS: Record<Dataset['name'], Dataset> = {
  cold: {
    name: 'cold',
    license: 'Apache-2.0',
    citation: 'Deng et al. 2022, "COLD: A Benchmark for Chinese Offensive Language Detection" (EMNLP)',
    baseUrl: 'https://raw.githubusercontent.com/thu-coai/COLDataset/a0c55a945497ab58e94aef491180e1cf88ffb864/COLDataset',
    files: [
      { name: 'train.csv', sha256: '16ca7955bdcaf90f5d8ac39e51eb3eda15320caa1e730ed45cb5e8ca8cd0d5e8' },
      { name: 'dev.csv', sha256: '28e67a26815aa1852449ba06919e51c07060d146e2bd23101cc0137a0ff94b7c' },
      { name: 'test.csv', sha256: 'b06d31481f0d558b6dc8140408938abe8dba8083cd9976b4ba8f5c837fbe78ed' },
    ],
  },
  banking77: {
    name: 'banking77',
    license: 'CC BY 4.0',
    citation: 'Casanueva et al. 2020, "Efficient Intent Detection with Dual Sentence Encoders"',
    baseUrl: 'https://raw.githubusercontent.com/PolyAI-LDN/task-specific-datasets/57ec275d8078af65b7731c2a98be812d844a6d6b/banking_data',
    files: [
      { name: 'train.csv', sha256: 'b06e26ac675513959a63135f11b94ea7786ed02da65db93a5650d8838cbc664b' },
      { name: 'test.csv', sha256: 'd12d6e3bc4c3103966ae786dc435913c0c563dfa328f5a3646d0e62cfeeb474d' },
      { name: 'categories.json', sha256: '53261da888122daf2d120d925458631d9619e15d82e56052e7a42e535ce32b63' },
    ],
  },
};

export function sha256File(path: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('error', rej)
      .on('end', () => res(h.digest('hex')));
  });
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function localCandidates(name: string): string[] {
  const out: string[] = [];
  if (process.env.DISTILLERY_DATASETS_DIR) out.push(resolve(process.env.DISTILLERY_DATASETS_DIR, name));
  out.push(resolve(process.cwd(), '..', 'shared', 'datasets', name));
  out.push(resolve(repoRoot, '..', 'shared', 'datasets', name));
  out.push(join(dataDir(), 'datasets', name));
  return out;
}

/** The local folder holding all of the dataset's files, or null (then locateDataset downloads it). */
export function localDatasetDir(name: Dataset['name']): string | null {
  return localCandidates(name).find((dir) => DATASETS[name].files.every((f) => existsSync(join(dir, f.name)))) ?? null;
}

/** The folder holding the dataset's files, downloading (and verifying) them when no local copy exists. */
export async function locateDataset(name: Dataset['name'], log: (m: string) => void = () => {}): Promise<string> {
  const ds = DATASETS[name];
  const local = localDatasetDir(name);
  if (local) return local;
  const dir = join(dataDir(), 'datasets', name);
  mkdirSync(dir, { recursive: true });
  for (const f of ds.files) {
    const target = join(dir, f.name);
    if (existsSync(target)) continue;
    const url = `${ds.baseUrl}/${f.name}`;
    log(`downloading ${name}/${f.name} from ${url}`);
    const res = await fetch(url).catch((e: Error) => {
      throw new Error(`cannot download ${url}: ${e.message}. Put the files in DISTILLERY_DATASETS_DIR/${name}/ instead.`);
    });
    if (!res.ok) throw new Error(`cannot download ${url}: HTTP ${res.status}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    const got = createHash('sha256').update(bytes).digest('hex');
    if (got !== f.sha256) throw new Error(`checksum mismatch for ${url}: expected ${f.sha256}, got ${got}; file not saved`);
    writeFileSync(target + '.part', bytes);
    renameSync(target + '.part', target);
  }
  return dir;
}

/** Verifies a local copy against the published checksums (used by tests and `cli datasets verify`). */
export async function verifyDataset(name: Dataset['name'], dir: string): Promise<{ file: string; ok: boolean }[]> {
  return Promise.all(DATASETS[name].files.map(async (f) => ({ file: f.name, ok: (await sha256File(join(dir, f.name))) === f.sha256 })));
}
