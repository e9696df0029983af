// The bins' one launcher: runs the build in dist/ (made by `npm ci` and by `npm test`, scripts/build.mjs).
// Without a build, or with STRATUS_FROM_SOURCE=1, it runs the TypeScript source through tsx.
import { existsSync } from 'node:fs';

export async function launch(entry) {
  const built = new URL(`../dist/entry/${entry}.js`, import.meta.url);
  if (process.env.STRATUS_FROM_SOURCE !== '1' && existsSync(built)) {
    await import(built.href);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import(new URL(`../src/entry/${entry}.ts`, import.meta.url).href);
  }
}
