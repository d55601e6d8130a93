// issue 14: the stats password was fixed ("gameday-stats") and printed in the README; the local
// registry allowed deletes. Now the password is generated per local swarm and kept in the user's
// state dir; the registry refuses deletes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import { LEGACY_STATS_PASSWORD, newStatsPassword, readStatsPassword, statsPasswordFile } from '../../scripts/lib/stats-password.ts';
import { tmpDir } from './chaos-fakes.ts';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

test('the stats password: generated per local swarm into the state dir (0600), read back; env wins; older swarms keep theirs', () => {
  const env = { GAMEDAY_STATE_DIR: tmpDir() };
  assert.equal(readStatsPassword(env), LEGACY_STATS_PASSWORD, 'a swarm created before: its secret holds the old fixed one');
  const a = newStatsPassword(env);
  assert.match(a, /^[A-Za-z0-9_-]{24}$/);
  assert.notEqual(a, LEGACY_STATS_PASSWORD);
  assert.equal(statsPasswordFile(env), path.join(env.GAMEDAY_STATE_DIR, 'local-swarm', 'stats-password'));
  assert.equal(fs.statSync(statsPasswordFile(env)).mode & 0o777, 0o600);
  assert.equal(readStatsPassword(env), a);
  const b = newStatsPassword(env);
  assert.notEqual(b, a, 'a new swarm, a new password');
  assert.equal(readStatsPassword({ ...env, GAMEDAY_STATS_PASSWORD: 'mine' }), 'mine');
  assert.equal(newStatsPassword({ ...env, GAMEDAY_STATS_PASSWORD: 'mine' }), 'mine');
  assert.equal(readStatsPassword(env), 'mine', 'remembered for commands run without the variable');
});

test('the README no longer prints a stats password; the code has no fixed one', () => {
  const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  assert.doesNotMatch(readme, /gameday-stats/);
  const defaults = fs.readFileSync(new URL('../../scripts/lib/defaults.ts', import.meta.url), 'utf8');
  assert.doesNotMatch(defaults, /statsPassword:/);
});

test('the local registry refuses deletes', () => {
  const cfg = YAML.parse(fs.readFileSync(new URL('../../scripts/swarm/registry-config.yml', import.meta.url), 'utf8'));
  assert.equal(cfg.storage.delete.enabled, false);
});

test('HAProxy refuses to start without its stats secret instead of falling back to a well-known password', () => {
  // the entrypoint stops (exit 2) before it would check or run haproxy: no HAProxy needed here
  const r = spawnSync('sh', [path.join(repo, 'stack', 'haproxy', 'haproxy-entrypoint')], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HAPROXY_STATS_PASSWORD_FILE: '' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stdout, /stats password: expected the Docker secret haproxy_stats_password/);
  assert.doesNotMatch(fs.readFileSync(path.join(repo, 'stack', 'haproxy', 'haproxy-entrypoint'), 'utf8'), /gameday-stats/);
});
