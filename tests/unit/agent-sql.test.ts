// SQL through the agent with the target's credentials (chaos/agent/sql.ts): the service spec holds
// no secret value, joins the DB network, mounts the secrets and not the docker socket; a missing
// secret or user is a ConfigError naming the target file's key. The real one runs in
// tests/integration/40-chaos.test.ts and 45-gameday.test.ts (the lost-write read-back).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type Dockerode from 'dockerode';
import { SQL_SECRET_FILES, agentSql, sqlServiceSpec } from '../../chaos/agent/sql.ts';
import { ConfigError } from '../../scripts/lib/errors.ts';

const db = { network: 'shopnet', port: 3307, database: 'shop', user: 'reader', passwordSecret: 'shop_db_pw' };

test('the SQL service: DB network, the secrets by id, no socket, any node, the statement in base64, no password', () => {
  const s = sqlServiceSpec({ id: 'sqlab', image: 'reg/agent@sha256:1', db, secrets: [{ id: 'S1', name: 'shop_db_pw', target: SQL_SECRET_FILES.password }], host: '10.0.1.7', sql: "SELECT 'x'", timeoutMs: 30_000, owner: 'me' }) as any;
  const c = s.TaskTemplate.ContainerSpec;
  assert.deepEqual(c.Mounts, []);
  assert.deepEqual(c.Secrets, [{ SecretID: 'S1', SecretName: 'shop_db_pw', File: { Name: 'gameday-db-password', UID: '0', GID: '0', Mode: 0o400 } }]);
  assert.deepEqual(s.TaskTemplate.Networks, [{ Target: 'shopnet' }]);
  assert.deepEqual(s.TaskTemplate.Placement.Constraints, []);
  assert.deepEqual(c.Command, ['/usr/bin/tini', '--', 'gameday-agent-sql']);
  const env = Object.fromEntries(c.Env.map((e: string) => e.split(/=(.*)/s).slice(0, 2)));
  assert.equal(env.GAMEDAY_DB_HOST, '10.0.1.7');
  assert.equal(env.GAMEDAY_DB_PORT, '3307');
  assert.equal(env.GAMEDAY_DB_NAME, 'shop');
  assert.equal(env.GAMEDAY_DB_USER, 'reader');
  assert.equal(Buffer.from(env.GAMEDAY_SQL, 'base64').toString(), "SELECT 'x'");
  assert.equal(s.Labels['gameday.agent.role'], 'sql');
  assert.equal(s.Labels['gameday.agent.owner'], 'me');
  assert.ok(!JSON.stringify(s).includes('password='), 'no secret value in the spec');
  // a user from a secret: no plain user in the environment
  const u = sqlServiceSpec({ id: 'x', image: 'i', db: { ...db, user: undefined, userSecret: 'shop_db_user' }, secrets: [], host: 'h', sql: 's', timeoutMs: 1000 }) as any;
  assert.ok(!u.TaskTemplate.ContainerSpec.Env.some((e: string) => e.startsWith('GAMEDAY_DB_USER=')));
});

function fakeSwarm(names: string[]): Dockerode {
  return { listSecrets: async () => names.map((n, i) => ({ ID: `id${i}`, Spec: { Name: n } })) } as unknown as Dockerode;
}

test('check: every secret named exists; a missing one is exit 2 naming the key; no user at all is named too', async () => {
  await agentSql(fakeSwarm(['shop_db_pw']), { image: async () => 'i', db }).check();
  await assert.rejects(
    agentSql(fakeSwarm(['other']), { image: async () => 'i', db, source: 'target file t.yaml: db' }).check(),
    (err: unknown) => err instanceof ConfigError && err.exitCode === 2 && err.message.startsWith('target file t.yaml: db.passwordSecret: expected the name of a Docker secret') && err.message.includes('got "shop_db_pw"'),
  );
  await assert.rejects(agentSql(fakeSwarm(['shop_db_pw']), { image: async () => 'i', db: { ...db, userSecret: 'u_secret' } }).check(), /db\.userSecret: .*got "u_secret"/);
  await assert.rejects(agentSql(fakeSwarm(['shop_db_pw']), { image: async () => 'i', db: { ...db, user: undefined } }).check(), /expected user or userSecret/);
});
