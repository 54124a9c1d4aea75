import { gzipSync } from 'node:zlib';

/**
 * A .tar.gz of in-memory files (ustar format, regular files only): enough for a model download,
 * with no dependency. Names up to 100 bytes.
 */
export function tarGz(files: { name: string; data: Uint8Array | string; mtime?: Date }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const f of files) {
    const data = typeof f.data === 'string' ? Buffer.from(f.data, 'utf8') : Buffer.from(f.data);
    const name = Buffer.from(f.name, 'utf8');
    if (name.length > 100) throw new Error(`tar: name too long: ${f.name}`);
    const h = Buffer.alloc(512);
    name.copy(h, 0);
    h.write('0000644\0', 100, 'ascii');
    h.write('0000000\0', 108, 'ascii');
    h.write('0000000\0', 116, 'ascii');
    h.write(data.length.toString(8).padStart(11, '0') + '\0', 124, 'ascii');
    h.write(Math.floor((f.mtime ?? new Date()).getTime() / 1000).toString(8).padStart(11, '0') + '\0', 136, 'ascii');
    h.write('        ', 148, 'ascii'); // checksum counts as spaces while summing
    h.write('0', 156, 'ascii');
    h.write('ustar\0', 257, 'ascii');
    h.write('00', 263, 'ascii');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}
