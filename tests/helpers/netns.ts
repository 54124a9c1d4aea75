/**
 * "Another host" for a worker, made on this machine: a network namespace joined to this one by a
 * veth pair, whose only way out is a TCP relay (in the test process, on the host end of the pair)
 * to PostgreSQL. A firewall table drops everything else that arrives from the pair, so no other
 * service of this machine (the console, PostgreSQL itself, anything on 0.0.0.0) is reachable, and
 * the namespace has no route to the internet. Commands run in it through `wrap()`, which also gives
 * them a mount namespace where the listed folders are hidden under empty tmpfs mounts and their
 * own data folder is a private tmpfs: nothing on disk is shared with the console either way.
 *
 * Needs root, iproute2 (`ip`), nftables (`nft`) and util-linux (`unshare`):
 * scripts/ensure-test-deps.sh installs the first two where they are missing.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const OWNERS = '/run/distillery-netns';
/** Every namespace lives in a /30 of this /24: 64 slots, taken atomically by `ip netns add` of the slot's name. */
const SUBNET = '10.231.0';

/** Why this machine cannot make the isolated host, or null when it can. */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network namespaces and firewall rules need root (the test runs as uid ' + process.getuid?.() + ')';
  for (const [tool, pkg] of [['ip', 'iproute2'], ['nft', 'nftables'], ['unshare', 'util-linux']]) {
    if (spawnSync(tool, ['--version']).error) return `\`${tool}\` is missing (Debian package ${pkg}; scripts/ensure-test-deps.sh installs it)`;
  }
  return null;
}

export interface ProbeTarget {
  host: string;
  port: number;
}
export interface ProbeResult extends ProbeTarget {
  /** 'connected', or the error code (ECONNREFUSED, ECONNRESET, ENETUNREACH, ETIMEDOUT, …). */
  outcome: string;
}

export interface IsolatedHost {
  name: string;
  /** This machine's end of the link (where the relay listens). */
  hostAddress: string;
  /** The namespace's own address. */
  address: string;
  relayPort: number;
  /** Connections the relay has accepted so far. */
  relayed(): number;
  /** `url` (a PostgreSQL URL on this machine) as seen from the namespace: through the relay. */
  relayUrl(url: string): string;
  /**
   * The argv prefix that runs a command in the namespace, with `hide` covered by empty tmpfs
   * mounts and `privateDir` created as a tmpfs of its own (invisible from outside).
   */
  wrap(opts: { hide: string[]; privateDir: string }): string[];
  /** From inside the namespace: TCP connections to the targets, a DNS lookup, whether the paths exist, its own addresses. */
  probe(opts: { targets: ProbeTarget[]; paths: string[]; hide: string[]; privateDir: string }): Promise<{ connections: ProbeResult[]; dns: string; paths: Record<string, boolean>; addresses: string[] }>;
  /** Removes the firewall table, the relay and the namespace (its veth pair goes with it). */
  destroy(): Promise<void>;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

async function netnsList(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return stdout.split('\n').map((l) => l.split(' ')[0]).filter(Boolean);
}

/** Removes what a test killed before its clean-up left behind: slots whose owner process is gone. */
async function sweepStale(): Promise<void> {
  if (!existsSync(OWNERS)) return;
  const names = new Set(await netnsList());
  for (const f of readdirSync(OWNERS)) {
    const slot = Number(f.replace(/\.pid$/, ''));
    const owner = Number(readFileSync(join(OWNERS, f), 'utf8'));
    if (!Number.isInteger(slot) || alive(owner)) continue;
    await removeSlot(slot, names.has(slotName(slot)));
  }
}

const slotName = (slot: number) => `distillery-w${slot}`;
const tableName = (slot: number) => `distillery_w${slot}`;

async function removeSlot(slot: number, hasNamespace: boolean): Promise<void> {
  const name = slotName(slot);
  if (hasNamespace) {
    // Processes left in the namespace (a worker of a killed run) go first, or it outlives its name.
    const { stdout } = await run('ip', ['netns', 'pids', name]).catch(() => ({ stdout: '' }));
    for (const pid of stdout.split('\n').map(Number).filter((p) => p > 0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    await run('ip', ['netns', 'delete', name]).catch(() => {});
  }
  await run('nft', ['delete', 'table', 'inet', tableName(slot)]).catch(() => {});
  rmSync(join(OWNERS, `${slot}.pid`), { force: true });
}

/** Takes the first free slot: `ip netns add` fails when the name exists, so two runs never share one. */
async function claimSlot(): Promise<number> {
  await sweepStale();
  mkdirSync(OWNERS, { recursive: true });
  for (let slot = 0; slot < 64; slot++) {
    const r = spawnSync('ip', ['netns', 'add', slotName(slot)], { encoding: 'utf8' });
    if (r.status === 0) {
      writeFileSync(join(OWNERS, `${slot}.pid`), String(process.pid));
      return slot;
    }
    if (!/exists/i.test(r.stderr)) throw new Error(`ip netns add ${slotName(slot)} failed: ${r.stderr.trim() || r.error?.message}`);
  }
  throw new Error(`all 64 network namespace slots (${slotName(0)}…${slotName(63)}) are taken`);
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Folders to cover, outermost first: existing ones, never the checkout itself (the worker runs its code), none inside another. */
function hiddenFolders(hide: string[], root: string): string[] {
  const inside = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith(sep) ? dir : dir + sep);
  const dirs = [...new Set(hide.map((d) => resolve(d)))].filter((d) => existsSync(d) && !inside(root, d)).sort((a, b) => a.length - b.length);
  return dirs.filter((d, i) => !dirs.slice(0, i).some((o) => inside(d, o)));
}

export async function createIsolatedHost(opts: { target: ProbeTarget; root: string }): Promise<IsolatedHost> {
  const slot = await claimSlot();
  const name = slotName(slot);
  const hostIf = `dw${slot}h`;
  const nsIf = `dw${slot}n`;
  const hostAddress = `${SUBNET}.${slot * 4 + 1}`;
  const address = `${SUBNET}.${slot * 4 + 2}`;
  const sockets = new Set<Socket>();
  let relay: Server | null = null;
  let accepted = 0;
  const destroy = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => (relay ? relay.close(() => r()) : r()));
    relay = null;
    await removeSlot(slot, true);
  };
  try {
    const ip = (...args: string[]) => run('ip', args);
    await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
    await ip('link', 'set', nsIf, 'netns', name);
    await ip('addr', 'add', `${hostAddress}/30`, 'dev', hostIf);
    await ip('link', 'set', hostIf, 'up');
    await ip('-n', name, 'addr', 'add', `${address}/30`, 'dev', nsIf);
    await ip('-n', name, 'link', 'set', nsIf, 'up');
    await ip('-n', name, 'link', 'set', 'lo', 'up');
    // IPv4 only on the link: no IPv6 link-local addresses to reach this machine's [::] listeners by.
    if (existsSync(`/proc/sys/net/ipv6/conf/${hostIf}`)) {
      writeFileSync(`/proc/sys/net/ipv6/conf/${hostIf}/disable_ipv6`, '1');
      await run('ip', ['netns', 'exec', name, 'sh', '-c', `echo 1 > /proc/sys/net/ipv6/conf/${nsIf}/disable_ipv6`]);
    }

    // The relay: the namespace's one way to PostgreSQL, which listens on this machine's loopback only.
    relay = createServer((client) => {
      accepted++;
      const upstream = connect(opts.target);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    const server = relay;
    await new Promise<void>((res, rej) => server.once('error', rej).listen(0, hostAddress, () => res()));
    const relayPort = (server.address() as { port: number }).port;

    // Everything from the namespace but the relay is refused (inet: IPv4 and IPv6 alike).
    const rules = [
      `table inet ${tableName(slot)} {`,
      '  chain input {',
      '    type filter hook input priority 0; policy accept;',
      `    iifname "${hostIf}" tcp dport ${relayPort} accept`,
      `    iifname "${hostIf}" meta l4proto tcp reject with tcp reset`,
      `    iifname "${hostIf}" reject`,
      '  }',
      '}',
    ].join('\n');
    const nft = spawnSync('nft', ['-f', '-'], { input: rules, encoding: 'utf8' });
    if (nft.status !== 0) throw new Error(`nft could not add the firewall table: ${nft.stderr.trim() || nft.error?.message}`);

    const wrap = ({ hide, privateDir }: { hide: string[]; privateDir: string }) => {
      const mounts = hiddenFolders(hide, opts.root).map((d) => `mount -t tmpfs distillery-hidden ${shellQuote(d)}`);
      const script = [
        'set -e',
        ...mounts,
        `mkdir -p ${shellQuote(privateDir)}`,
        `mount -t tmpfs distillery-private ${shellQuote(privateDir)}`,
        `mkdir -p ${shellQuote(join(privateDir, 'tmp'))}`,
        'exec "$@"',
      ].join('\n');
      // A private mount namespace: the tmpfs mounts exist for this command only, never on the host.
      return ['ip', 'netns', 'exec', name, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh'];
    };

    return {
      name,
      hostAddress,
      address,
      relayPort,
      relayed: () => accepted,
      relayUrl(url: string) {
        const u = new URL(url);
        u.hostname = hostAddress;
        u.port = String(relayPort);
        return u.toString();
      },
      wrap,
      async probe({ targets, paths, hide, privateDir }) {
        const code = `
          const net = require('node:net'), dns = require('node:dns'), fs = require('node:fs');
          const [targets, paths] = JSON.parse(process.argv[1]);
          const tryConnect = (t) => new Promise((done) => {
            const s = net.connect({ host: t.host, port: t.port });
            const end = (outcome) => { s.destroy(); done({ ...t, outcome }); };
            s.setTimeout(3000, () => end('ETIMEDOUT'));
            s.once('connect', () => end('connected'));
            s.once('error', (e) => end(e.code || e.message));
          });
          Promise.all([
            Promise.all(targets.map(tryConnect)),
            new Promise((done) => dns.lookup('registry.npmjs.org', (e, a) => done(e ? e.code : 'resolved ' + a))),
          ]).then(([connections, dns]) => {
            const addresses = Object.values(require('node:os').networkInterfaces()).flat().map((a) => a.address).sort();
            console.log(JSON.stringify({ connections, dns, paths: Object.fromEntries(paths.map((p) => [p, fs.existsSync(p)])), addresses }));
          });`;
        const argv = [...wrap({ hide, privateDir }), process.execPath, '-e', code, JSON.stringify([targets, paths])];
        const { stdout } = await run(argv[0], argv.slice(1), { timeout: 30_000 });
        return JSON.parse(stdout.trim().split('\n').pop()!);
      },
      destroy,
    };
  } catch (e) {
    await destroy().catch(() => {});
    throw e;
  }
}

/** TCP ports listening on this machine's network namespace (IPv4 and IPv6), from /proc. */
export function listeningPorts(): number[] {
  const ports = new Set<number>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A') ports.add(parseInt(cols[1].split(':').pop()!, 16)); // 0A = LISTEN
    }
  }
  return [...ports].sort((a, b) => a - b);
}
