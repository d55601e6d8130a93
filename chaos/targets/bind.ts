// Experiments and plans name roles; this maps them onto a target's services. Everything here is
// pure except checkTargetServices, which only reads the swarm: a role the target does not define,
// a name that is not a role, or bad fault params are refused (exit 2) before anything is touched.
import type Dockerode from 'dockerode';
import { ConfigError } from '../../scripts/lib/errors.ts';
import { gotText, issueLine } from '../../scripts/lib/config-errors.ts';
import type { Experiment, FaultStep } from '../model.ts';
import { getFault, type FaultRegistry } from '../faults/index.ts';
import { validateParams } from '../faults/types.ts';
import { ROLES, ROLES_EXPECTED, isRole, targetServices, type AppTarget, type Role } from './schema.ts';

/**
 * The roles a fault falls back to when a step leaves its service params out. The fault files keep
 * the TODO app's names as their own defaults (for direct use); a step bound to a target always
 * gets these instead, so no default of a fault can point at the TODO app on another target.
 */
export const ROLE_DEFAULTS: Record<string, Record<string, Role | Role[]>> = {
  'restart-primary': { service: 'dbPrimary' },
  'stop-replication': { service: 'dbReplicas' },
  partition: { avoidServices: ['dbPrimary'] },
  'drain-node': { avoidServices: ['dbPrimary'], preferAvoidServices: ['dbReplicas'] },
  'kill-node': { avoidServices: ['dbPrimary'] },
  'pause-node': { avoidServices: ['dbPrimary'] },
  'hang-engine': { avoidServices: ['dbPrimary'] },
};

/** Fault params that name services: `service`, and every `...Services` list. */
export function isServiceParam(key: string): boolean {
  return key === 'service' || /Services$/.test(key);
}

/** The model's own default for steadyState.ingress: replaced by the target's steady paths. */
const MODEL_INGRESS_DEFAULT = ['/api/healthz', '/'];

function definedRoles(t: AppTarget): string {
  return ROLES.filter((r) => t.roles[r]).join(', ') || 'none';
}

/** One role to its service; `key` names the field in the error. */
export function roleService(t: AppTarget, value: unknown, key: string): string {
  if (!isRole(value)) throw new ConfigError(issueLine(key, ROLES_EXPECTED, value));
  const s = t.roles[value];
  if (!s) throw new ConfigError(`${key}: expected a role that ${t.source} defines (${definedRoles(t)}), got ${gotText(value)}`);
  return s;
}

function withRoleDefaults(step: FaultStep): Record<string, unknown> {
  const params = { ...(step.params as Record<string, unknown>) };
  for (const [k, v] of Object.entries(ROLE_DEFAULTS[step.fault] ?? {})) if (params[k] === undefined) params[k] = v;
  return params;
}

/**
 * The experiment with every role replaced by its service on `target`. `where` names the
 * experiment in errors (`experiment api-kill-task`, `plan x.yaml: experiments[3]`). Fault params
 * are validated with the fault's schema (defaults applied), then their service params mapped.
 */
export function bindExperiment(exp: Experiment, target: AppTarget, registry: FaultRegistry, where = `experiment ${exp.id}`): Experiment {
  // targets and steady state: the roles this target has (fault params below are strict)
  const lenient = (list: string[], key: string) =>
    list
      .map((r, i) => {
        if (!isRole(r)) throw new ConfigError(issueLine(`${where}: ${key}[${i}]`, ROLES_EXPECTED, r));
        return target.roles[r];
      })
      .filter((s): s is string => Boolean(s));
  const targets = lenient(exp.targets.services, 'targets.services');
  // (an app without a web tier has no web role: its steady state is the rest)
  const steadyServices = lenient(exp.steadyState.services, 'steadyState.services');
  const sameAsDefault = exp.steadyState.ingress.length === MODEL_INGRESS_DEFAULT.length && exp.steadyState.ingress.every((p, i) => p === MODEL_INGRESS_DEFAULT[i]);
  const method = exp.method.map((step, i) => {
    if (step.type !== 'fault') return step;
    const at = `${where}: method[${i}]`;
    const fault = getFault(registry, step.fault, at);
    const params = validateParams(fault, withRoleDefaults(step), at) as Record<string, unknown>;
    const bound: Record<string, unknown> = { ...params };
    for (const [k, v] of Object.entries(params)) {
      if (!isServiceParam(k) || v === undefined) continue;
      bound[k] = Array.isArray(v) ? v.map((r, j) => roleService(target, r, `${at}: params.${k}[${j}]`)) : roleService(target, v, `${at}: params.${k}`);
    }
    return { ...step, params: bound };
  });
  return {
    ...exp,
    targets: { services: targets },
    steadyState: {
      ...exp.steadyState,
      services: steadyServices,
      ingress: sameAsDefault ? [...target.probe.steadyPaths] : exp.steadyState.ingress,
      replication: exp.steadyState.replication && Boolean(target.roles.dbReplicas),
    },
    method,
  };
}

/** The roles an experiment uses, for the swarm check. */
export function experimentRoles(exp: Experiment): Role[] {
  const out = new Set<Role>();
  const add = (v: unknown) => {
    if (isRole(v)) out.add(v);
  };
  exp.targets.services.forEach(add);
  exp.steadyState.services.forEach(add);
  for (const step of exp.method) {
    if (step.type !== 'fault') continue;
    for (const [k, v] of Object.entries(withRoleDefaults(step))) if (isServiceParam(k)) (Array.isArray(v) ? v : [v]).forEach(add);
  }
  return [...out];
}

/**
 * Every service the target names for `roles` must exist on the swarm; read-only, before anything
 * is touched. The error names the target's key (exit 2).
 */
export async function checkTargetServices(swarm: Dockerode, target: AppTarget, roles: readonly Role[] = ROLES): Promise<void> {
  const wanted = roles.filter((r) => target.roles[r]);
  if (!wanted.length) return;
  const known = new Set(((await swarm.listServices()) as { Spec?: { Name?: string } }[]).map((s) => s.Spec?.Name).filter(Boolean) as string[]);
  const lines: string[] = [];
  for (const r of wanted) {
    const s = target.roles[r]!;
    if (!known.has(s)) {
      const names = [...known].sort();
      lines.push(`${target.source}: roles.${r}: expected a service of this swarm (${names.length ? names.slice(0, 20).join(', ') + (names.length > 20 ? ', ...' : '') : 'it has none'}), got ${gotText(s)}`);
    }
  }
  if (lines.length) throw new ConfigError(lines.join('\n'));
}

export { targetServices };
