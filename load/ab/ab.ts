// A/B k6 script (npm run ab): the same open-model load at two targets, alternating in short
// blocks A B B A, A B B A, ... so that whatever the machine does in those seconds hits both sides
// alike. Every request is tagged with its block (ab_block) and side (ab_side); the decision
// (reports/ab-stats.ts) pairs neighbouring blocks. Env (set by scripts/ab.ts):
//   AB_URL_A, AB_URL_B  base URLs of the two routes (the TODO API's own paths: /todo?status=…)
//   AB_T0               epoch ms the test starts at (the engine's --start-at), the block clock
//   AB_BLOCK_MS, AB_BLOCKS, AB_RATE (requests/s), AB_VUS (pre-allocated VUs)
import http from 'k6/http';
import type { Options } from 'k6/options';

const SIDES = ['A', 'B', 'B', 'A'];
const STATUSES = ['TODO', 'PROGRESS', 'DONE'];

function num(name: string): number {
  const v = Number(__ENV[name]);
  if (!(v > 0)) throw new Error(`${name}: expected a positive number, got ${JSON.stringify(__ENV[name])}`);
  return v;
}

const blockMs = num('AB_BLOCK_MS');
const blocks = num('AB_BLOCKS');
const rate = num('AB_RATE');
const t0 = num('AB_T0');
const urls: Record<string, string> = { A: __ENV.AB_URL_A ?? '', B: __ENV.AB_URL_B ?? '' };

export const options: Options = {
  discardResponseBodies: true,
  scenarios: {
    ab: {
      executor: 'constant-arrival-rate',
      rate,
      timeUnit: '1s',
      duration: `${Math.round(blocks * blockMs)}ms`,
      preAllocatedVUs: num('AB_VUS'),
      maxVUs: num('AB_VUS') * 2,
      gracefulStop: '5s',
    },
  },
  // only the tags the decision reads: keeps the JSON output small
  systemTags: ['status', 'expected_response'],
};

let n = 0;
export default function ab(): void {
  const block = Math.floor((Date.now() - t0) / blockMs);
  if (block < 0 || block >= blocks) return;
  const side = SIDES[block % 4];
  const status = STATUSES[n++ % STATUSES.length];
  http.get(`${urls[side]}/todo?status=${status}`, { tags: { ab_side: side, ab_block: String(block) }, timeout: '5s' });
}
