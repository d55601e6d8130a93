// The iterations the HTTP scenarios run. Entry files export these under the names the profile's
// k6 scenarios `exec` (see WORKLOADS in profiles.ts).
import exec from 'k6/execution';
import { STATUSES, TodoClient } from './client.ts';
import type { RunPlan } from './plan.ts';
import { measureReadYourWrites } from './ryw.ts';
import { webPageWithAssets } from './web.ts';

export interface Flows {
  apiRead(): void;
  apiWrite(): void;
  web(): void;
}

/** A title that is unique per run, VU and iteration, recognizable as load-test data. */
export function writeToken(): string {
  return `k6-${exec.vu.idInTest}-${exec.vu.iterationInScenario}-${Date.now().toString(36)}`;
}

export function makeFlows(plan: RunPlan): Flows {
  const client = new TodoClient(plan.target, plan.httpTimeoutS);
  return {
    apiRead() {
      // the three board columns are read with equal odds, like a dashboard refresh would
      client.list(plan.readStatus ?? STATUSES[Math.floor(Math.random() * STATUSES.length)]);
    },
    apiWrite() {
      const token = writeToken();
      const content = `written by swarm-gameday load (${plan.scenario}/${plan.profile})`;
      const { item } = client.create(`gameday ${token}`, content, `${token}-${Math.random().toString(36).slice(2, 10)}`);
      if (!item) return;
      measureReadYourWrites(client, item.id, STATUSES.includes(item.status) ? item.status : 'TODO', plan.ryw);
      // then move it through the board, as a user would
      const progressed = client.update(item, 'PROGRESS').item ?? item;
      client.update(progressed, 'DONE');
    },
    web() {
      webPageWithAssets(plan.target, plan.httpTimeoutS);
    },
  };
}
