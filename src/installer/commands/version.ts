// `cfy_manager version` (reference §1.3): Cloudify's version line, and with -v the package's version and
// the build metadata.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { METADATA_FILE } from '../paths.js';

export function version(verbose: boolean): string[] {
  const pkg = JSON.parse(
    readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8'),
  ) as { version: string };
  const lines = ['Cloudify 5.1.0'];
  if (verbose) {
    lines.push(`Stratus ${pkg.version}`);
    if (existsSync(METADATA_FILE)) {
      const meta = JSON.parse(readFileSync(METADATA_FILE, 'utf8')) as Record<string, unknown>;
      for (const [k, v] of Object.entries(meta)) lines.push(`${k}: ${String(v)}`);
    }
  }
  return lines;
}
