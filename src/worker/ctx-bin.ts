// The folder put first on a script's PATH. Scripts call ctx many times, and `bin/ctx` loads the whole
// entry layer, so the worker turns ctx-cli once per process into one plain CommonJS `ctx` file (esbuild)
// and uses that. Without esbuild the repository's bin/ is used.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_BIN_DIR = join(here, '..', '..', 'bin');
let cached: string | undefined;

export function ctxBinDir(): string {
  if (cached) return cached;
  try {
    const esbuild = createRequire(import.meta.url)('esbuild') as {
      transformSync(code: string, o: Record<string, unknown>): { code: string };
    };
    // Beside this module: ctx-cli.ts when run from src/, ctx-cli.js when run from the build.
    const ts = existsSync(join(here, 'ctx-cli.ts'));
    const src = readFileSync(join(here, ts ? 'ctx-cli.ts' : 'ctx-cli.js'), 'utf8');
    const { code } = esbuild.transformSync(src, {
      loader: ts ? 'ts' : 'js',
      format: 'cjs',
      target: 'node20',
    });
    const dir = join(tmpdir(), `stratus-ctx-${process.getuid?.() ?? 'u'}-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'ctx');
    writeFileSync(file, `#!${process.execPath}\n${code}\nmodule.exports.main(process.argv);\n`);
    chmodSync(file, 0o755);
    cached = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  } catch {
    cached = REPO_BIN_DIR;
  }
  return cached;
}
