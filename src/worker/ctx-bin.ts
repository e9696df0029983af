// The folder put first on a script's PATH. `bin/ctx` goes through the TypeScript loader, which costs
// ~0.2–0.7 s per call on a busy machine; scripts call ctx many times, so the worker compiles
// ctx-cli.ts once per process into a plain CommonJS `ctx` (esbuild, a dependency of tsx) and uses
// that. Without esbuild the repository's bin/ is used.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
    const src = readFileSync(join(here, 'ctx-cli.ts'), 'utf8');
    const { code } = esbuild.transformSync(src, { loader: 'ts', format: 'cjs', target: 'node20' });
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
