// The git revision a run was made from (run.json), tolerant of running outside a checkout.
import { execFileSync } from 'node:child_process';

export function gitRevision(cwd = process.cwd()): { revision: string; dirty: boolean } | undefined {
  try {
    const revision = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { revision, dirty: status.trim().length > 0 };
  } catch {
    return undefined;
  }
}
