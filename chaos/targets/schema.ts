// A target as data: which services of the swarm play which role of the app under test, the
// endpoints the probe and steady state use, the write endpoint of the write ledger and how writes
// are read back, and the DB connection facts the in-swarm measurements take. Experiments and plans
// name roles (chaos/targets/bind.ts maps them); the TODO app is the built-in default.
import { z } from 'zod';

/** The roles an experiment or plan may name. */
export const ROLES = ['ingress', 'api', 'apiProxy', 'web', 'webProxy', 'dbPrimary', 'dbReplicas'] as const;
export type Role = (typeof ROLES)[number];
export const ROLES_EXPECTED = `a role, one of ${ROLES.join(', ')}`;

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

/** Swarm service names: what `docker service create --name` accepts (letters, digits, _ . -). */
const serviceName = z
  .string({ error: 'expected a Swarm service name' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'expected a Swarm service name (letters, digits, _ . -, at most 63 characters)');
const urlPath = z.string({ error: 'expected a path starting with /' }).startsWith('/', 'expected a path starting with /');
const secretName = z.string({ error: 'expected a Docker secret name' }).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'expected a Docker secret name');

export const RolesSchema = z
  .object(Object.fromEntries(ROLES.map((r) => [r, serviceName.optional()])) as Record<Role, z.ZodOptional<typeof serviceName>>)
  .strict()
  .refine((r) => Object.values(r).some(Boolean), { message: `expected at least one role (${ROLES.join(', ')})` });

export const ProbeSchema = z
  .object({
    /** what the open-loop probe requests through the ingress, each on its own schedule */
    endpoints: z.array(z.object({ name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a lower-case name with dashes'), path: urlPath }).strict()).min(1),
    /** what must answer 2xx for the steady state to hold */
    steadyPaths: z.array(urlPath).min(1),
  })
  .strict();

export const WritesSchema = z
  .object({
    /** the create the write ledger sends: a JSON body with the token in `tokenField`; 2xx with a numeric `idField` = acknowledged */
    create: z.object({ method: z.enum(['POST', 'PUT']).default('POST'), path: urlPath, tokenField: z.string().min(1).default('title'), idField: z.string().min(1).default('id') }).strict(),
    /** how a client reads its writes back (read-your-writes lag): a list answering a JSON array of objects with idField */
    list: z.object({ path: urlPath }).strict(),
    /** how the lost-write check reads writes back from every DB server: table, id and token columns */
    table: z.object({ name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an SQL table name'), idColumn: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an SQL column name'), tokenColumn: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an SQL column name') }).strict(),
  })
  .strict();

export const DbSchema = z
  .object({
    /** overlay network the in-swarm measurement tasks join to reach the DB tasks (must be attachable) */
    network: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'expected a Docker network name'),
    port: z.number({ error: 'expected a port from 1 to 65535' }).int('expected a port from 1 to 65535').min(1, 'expected a port from 1 to 65535').max(65535, 'expected a port from 1 to 65535'),
    /** Docker secrets holding the measurement's DB user and password (never in a log line) */
    userSecret: secretName.optional(),
    /** plain user name when no user secret is given */
    user: z.string().min(1).optional(),
    passwordSecret: secretName,
    database: z.string().regex(/^[A-Za-z0-9_]+$/, 'expected a database name'),
  })
  .strict();

export const TargetFileSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a lower-case name with dashes'),
    description: z.string().optional(),
    roles: RolesSchema,
    probe: ProbeSchema.optional(),
    writes: WritesSchema.optional(),
    db: DbSchema.optional(),
  })
  .strict();

export type TargetFileInput = z.input<typeof TargetFileSchema>;

export interface AppTarget {
  name: string;
  description?: string;
  roles: Partial<Record<Role, string>>;
  probe: z.infer<typeof ProbeSchema>;
  writes: z.infer<typeof WritesSchema>;
  db: z.infer<typeof DbSchema>;
  /** where it came from, as errors name it: `target file x.yaml`, or the built-in default */
  source: string;
  /** the file read, if any */
  file?: string;
}

/** The TODO app of stack/ as deployed by `npm run stack:up`: the one built-in default. */
export const TODO_TARGET: AppTarget = {
  name: 'todo',
  description: 'the TODO app of stack/ (npm run stack:up)',
  roles: {
    ingress: 'todo_ingress_haproxy',
    api: 'todo_app_api',
    apiProxy: 'todo_app_nginx',
    web: 'todo_frontend_web',
    webProxy: 'todo_frontend_nginx',
    dbPrimary: 'todo_mysql_master',
    dbReplicas: 'todo_mysql_slave',
  },
  probe: {
    endpoints: [
      { name: 'api-list', path: '/api/todo?status=TODO' },
      { name: 'web-index', path: '/' },
    ],
    steadyPaths: ['/api/healthz', '/'],
  },
  writes: {
    create: { method: 'POST', path: '/api/todo', tokenField: 'title', idField: 'id' },
    list: { path: '/api/todo?status=TODO' },
    table: { name: 'todo', idColumn: 'id', tokenColumn: 'title' },
  },
  db: { network: 'todoapp', port: 3306, user: 'todo', passwordSecret: 'tododb_password', database: 'tododb' },
  source: 'the built-in target (the TODO app)',
};

/** The parameter object the in-swarm DB measurements take (chaos/measure/). */
export interface DbMeasureTarget {
  network: string;
  primaryService: string;
  replicaServices: string[];
  port: number;
  userSecret?: string;
  user?: string;
  passwordSecret: string;
  database: string;
}

export function dbMeasureTarget(t: AppTarget): DbMeasureTarget | undefined {
  if (!t.roles.dbPrimary) return undefined;
  return {
    network: t.db.network,
    primaryService: t.roles.dbPrimary,
    replicaServices: t.roles.dbReplicas ? [t.roles.dbReplicas] : [],
    port: t.db.port,
    ...(t.db.userSecret ? { userSecret: t.db.userSecret } : {}),
    ...(t.db.user ? { user: t.db.user } : {}),
    passwordSecret: t.db.passwordSecret,
    database: t.db.database,
  };
}

/** Every service the target names, role by role. */
export function targetServices(t: AppTarget): string[] {
  return ROLES.map((r) => t.roles[r]).filter((s): s is string => Boolean(s));
}
