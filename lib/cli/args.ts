/** A small argv parser: positionals, --flag, --key value and --key=value. */
export interface Args {
  positionals: string[];
  flags: Record<string, string | true>;
}

export function parseArgs(argv: string[]): Args {
  const positionals: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
      else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) flags[a.slice(2)] = argv[++i];
      else flags[a.slice(2)] = true;
    } else positionals.push(a);
  }
  return { positionals, flags };
}

export class UsageError extends Error {}

export function str(args: Args, name: string, required = true): string | undefined {
  const v = args.flags[name];
  if (v === undefined || v === true) {
    if (required) throw new UsageError(`--${name} <value> is required`);
    return undefined;
  }
  return v;
}

export function int(args: Args, name: string, required = true): number | undefined {
  const v = str(args, name, required);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got "${v}"`);
  return n;
}

export function json(args: Args, name: string): unknown {
  const v = str(args, name, false);
  if (v === undefined) return undefined;
  try {
    return JSON.parse(v);
  } catch (e) {
    throw new UsageError(`--${name} is not valid JSON: ${(e as Error).message}`);
  }
}
