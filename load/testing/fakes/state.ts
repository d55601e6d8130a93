// Shared state of the fake k6 modules, kept on globalThis so the test (outside the bundle) and the
// bundled fakes (inside it) see the same object.

export interface FakeRequest {
  method: string;
  url: string;
  body?: string | null;
  tags: Record<string, string>;
  headers: Record<string, string>;
  /** virtual ms when sent */
  t: number;
}
export interface FakeResponse {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** virtual ms the request takes (advances the clock) */
  latencyMs?: number;
}
export interface FakeCheck {
  name: string;
  ok: boolean;
  tags: Record<string, string>;
}
export interface FakeSample {
  metric: string;
  type: 'trend' | 'rate' | 'counter' | 'gauge';
  value: number;
  tags: Record<string, string>;
}

export interface FakeK6 {
  env: Record<string, string>;
  /** virtual clock (ms), returned by Date.now inside the bundle */
  now: number;
  handler: (req: FakeRequest) => FakeResponse;
  requests: FakeRequest[];
  checks: FakeCheck[];
  samples: FakeSample[];
  sleeps: number[];
  vu: { idInTest: number; iterationInScenario: number };
}

declare global {
  // eslint-disable-next-line no-var
  var __k6fake: FakeK6 | undefined;
}

export function fake(): FakeK6 {
  if (!globalThis.__k6fake) throw new Error('fake k6 state missing: load modules through load/testing/k6-shim.ts');
  return globalThis.__k6fake;
}
