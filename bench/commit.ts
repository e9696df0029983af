// The commit a benchmark ran on, for its section of docs/benchmarks.md.
import { execFileSync } from 'node:child_process';

/** HEAD's short sha in `root`, marked when the checkout has uncommitted changes; 'unknown' outside git. */
export function commitOf(root: string): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root })
      .toString()
      .trim();
    return dirty ? `${sha} (with uncommitted changes in the checkout)` : sha;
  } catch {
    return 'unknown';
  }
}
