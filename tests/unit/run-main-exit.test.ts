// runMain: a finished command exits with its code even when a handle was left open, and says so;
// one that closes everything exits on its own without the warning.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const errorsTs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scripts/lib/errors.ts');

function run(body: string): { code: number | null; stderr: string } {
  const src = `import net from 'node:net';\nimport { runMain } from ${JSON.stringify(errorsTs)};\n${body}\n`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', src], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stderr: r.stderr };
}

describe('runMain', () => {
  it('exits with the main\'s code when a handle stays open, naming what was open', () => {
    const r = run(`void runMain(async () => { net.createServer().listen(0, '127.0.0.1'); return 3; }, { lingerMs: 300 });`);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /warning: finished, but still open .*TCPServerWrap.*exiting with code 3/);
  });

  it('keeps the error\'s exit code', () => {
    const r = run(`void runMain(async () => { net.createServer().listen(0, '127.0.0.1'); throw new Error('boom'); }, { lingerMs: 300 });`);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /error: boom/);
    assert.match(r.stderr, /exiting with code 1/);
  });

  it('a command that closes everything exits on its own, without the warning', () => {
    const r = run(`void runMain(async () => { const s = net.createServer().listen(0, '127.0.0.1'); await new Promise((r) => s.once('listening', r)); s.close(); return 0; }, { lingerMs: 60_000 });`);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /warning/);
  });
});
