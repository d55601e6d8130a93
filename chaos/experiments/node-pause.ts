import { defineExperiment } from '../model.ts';
import { ALL_ROLES, NODE_TIMING, SILENT_NODE, STEADY } from './common.ts';

export default defineExperiment({
  id: 'node-pause',
  title: 'Freeze a worker node',
  description:
    'Every process on a worker stops while its sockets stay open: peers see silence, not resets, so only timeouts ' +
    'and health checks can route around it. HAProxy drops a silent nginx in ~2 s; behind it each layer gives up ' +
    'before the one outside it (API nginx 1.5 s, web 2 s x2, frontend nginx 4 s) and retries reads elsewhere, but ' +
    'layers stack: a page whose web task and API nginx are both frozen still outlasts a 5 s client. Creates carry ' +
    'an Idempotency-Key, so nginx and HAProxy re-send one that met a frozen API task to another task (the key makes ' +
    'a late second run a no-op); what still fails is a request already inside a frozen nginx before HAProxy drops ' +
    'it. Availability is judged on reads and writes together, writes must not black out, and no write may be ' +
    'stored twice. Undo unpauses it.',
  targets: { services: ALL_ROLES },
  steadyState: STEADY,
  method: [{ type: 'fault', fault: 'pause-node', params: {}, holdMs: 10_000 }],
  tolerances: { ...SILENT_NODE, maxRecoveryMs: 120_000 },
  timing: NODE_TIMING,
});
