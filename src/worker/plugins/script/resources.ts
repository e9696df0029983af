// Blueprint resources: a relative path is looked up in the blueprint's extracted folder and may not
// leave it; `file://` URLs and absolute paths are taken as they are (Cloudify's download_resource).
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NonRecoverableError } from '../../../engine/index.js';

export function resolveResource(blueprintDir: string, path: string): string {
  let full: string;
  if (path.startsWith('file://')) full = fileURLToPath(path);
  else if (isAbsolute(path)) full = path;
  else {
    full = resolve(join(blueprintDir, path));
    const rel = relative(resolve(blueprintDir), full);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw new NonRecoverableError(`Resource ${path} is outside the blueprint's folder`);
    }
  }
  if (!existsSync(full) || !statSync(full).isFile()) {
    // The message names the path as the blueprint gives it: where the manager keeps blueprints is not the user's.
    throw new NonRecoverableError(`Resource ${path} was not found in the blueprint's resources`);
  }
  return full;
}
