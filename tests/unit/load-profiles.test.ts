// Profiles -> k6 scenarios (open model) and SLO -> thresholds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROFILES, SCENARIOS, type ScenarioName } from '../../load/lib/catalog.ts';
import { buildOptions, makePlan, planFromEnv } from '../../load/lib/plan.ts';
import { LIMITS } from '../../load/run/config.ts';
import { DEFAULT_RATES, MAX_VUS_PER_WORKLOAD, PROFILE_DEFS, buildScenarios, plannedIterations, profileStages, totalSeconds } from '../../load/lib/profiles.ts';
import { buildThresholds, parseExpression, parseThresholdKey } from '../../load/lib/thresholds.ts';
import defaultSlo from '../../load/slo.ts';

type Sc = Record<string, any>;

test('every HTTP scenario x profile uses an arrival-rate executor with a VU pool', () => {
  for (const scenario of SCENARIOS.filter((s) => s !== 'browser')) {
    for (const profile of PROFILES) {
      const scs = buildScenarios({ scenario, profile }) as Record<string, Sc>;
      assert.ok(Object.keys(scs).length >= 1);
      for (const [name, sc] of Object.entries(scs)) {
        assert.match(sc.executor, /^(constant|ramping)-arrival-rate$/, `${scenario}/${profile}/${name}`);
        assert.ok(sc.preAllocatedVUs >= 1 && sc.maxVUs >= sc.preAllocatedVUs);
        assert.equal(typeof sc.exec, 'string');
      }
    }
  }
});

test('at the highest --rate every scenario keeps preAllocatedVUs <= maxVUs <= the cap (k6 would refuse it only after the stack is up)', () => {
  for (const scenario of SCENARIOS.filter((s) => s !== 'browser')) {
    for (const profile of PROFILES) {
      for (const rate of [1000, LIMITS.rate]) {
        for (const [name, sc] of Object.entries(buildScenarios({ scenario, profile, rate }) as Record<string, Sc>)) {
          assert.ok(sc.preAllocatedVUs <= sc.maxVUs && sc.maxVUs <= MAX_VUS_PER_WORKLOAD, `${scenario}/${profile}/${name} at ${rate}/s: ${sc.preAllocatedVUs} > ${sc.maxVUs}`);
        }
      }
    }
  }
});

test('smoke is constant; load ramps up to the base rate and holds ~1 min total', () => {
  const smoke = buildScenarios({ scenario: 'api-read', profile: 'smoke' }).api_read as Sc;
  assert.equal(smoke.executor, 'constant-arrival-rate');
  assert.equal(smoke.rate, Math.round(0.1 * DEFAULT_RATES['api-read'] * 60));
  assert.equal(smoke.timeUnit, '1m');
  const load = buildScenarios({ scenario: 'api-read', profile: 'load', rate: 10 }).api_read as Sc;
  assert.equal(load.executor, 'ramping-arrival-rate');
  assert.equal(load.startRate, 0);
  assert.deepEqual(
    load.stages.map((s: Sc) => s.target),
    [600, 600, 0],
  );
  const total = totalSeconds(profileStages(PROFILE_DEFS.load));
  assert.ok(total >= 45 && total <= 90, `load profile lasts ${total} s`);
});

test('mixed splits the rate 60/25/15 over reads, web and writes', () => {
  const scs = buildScenarios({ scenario: 'mixed', profile: 'smoke', rate: 100 }) as Record<string, Sc>;
  assert.deepEqual(Object.keys(scs).sort(), ['api_read', 'api_write', 'web']);
  assert.equal(scs.api_read.rate, 360); // smoke = 10% of 100/s, * 0.6, per minute
  assert.equal(scs.web.rate, 150);
  assert.equal(scs.api_write.rate, 90);
  assert.equal(scs.api_write.exec, 'apiWrite');
});

test('--duration stretches stages proportionally; --rate scales targets', () => {
  for (const want of [65, 20, 7, 3600]) {
    const st = profileStages(PROFILE_DEFS.spike, want);
    assert.equal(totalSeconds(st), want);
    assert.ok(st.every((s) => s.duration >= 1));
  }
  const peak = buildScenarios({ scenario: 'api-read', profile: 'spike', rate: 5 }).api_read as Sc;
  assert.equal(Math.max(...peak.stages.map((s: Sc) => s.target)), 4 * 5 * 60);
  const c = buildScenarios({ scenario: 'api-read', profile: 'smoke', durationS: 7 }).api_read as Sc;
  assert.equal(c.duration, '7s');
});

test('plannedIterations integrates the rate over the stages', () => {
  assert.equal(plannedIterations({ scenario: 'api-read', profile: 'smoke', rate: 10 }), 20); // 1/s * 20 s
  // ramp 0->10 over 10s (50) + 10/s * 45 s (450) + ramp down over 5 s (25)
  assert.equal(plannedIterations({ scenario: 'api-read', profile: 'load', rate: 10 }), 525);
  assert.equal(plannedIterations({ scenario: 'browser', profile: 'load' }), 0);
});

test('browser: few VUs with chromium, fixed iterations in smoke', () => {
  const smoke = buildScenarios({ scenario: 'browser', profile: 'smoke' }).browser as Sc;
  assert.equal(smoke.executor, 'per-vu-iterations');
  assert.deepEqual(smoke.options, { browser: { type: 'chromium' } });
  const load = buildScenarios({ scenario: 'browser', profile: 'load' }).browser as Sc;
  assert.equal(load.executor, 'constant-vus');
  assert.ok(load.vus <= 3);
});

test('thresholds: per-endpoint sub-metrics for the endpoints the scenario touches only', () => {
  const th = buildThresholds(defaultSlo, { scenario: 'api-read', plannedIterations: 1000 });
  assert.deepEqual(th['http_req_duration{endpoint:api-list}'], ['p(95)<500', 'p(99)<1500']);
  assert.deepEqual(th['http_req_failed{endpoint:api-list}'], ['rate<0.01']);
  assert.deepEqual(th['checks{endpoint:api-list}'], ['rate>0.99']);
  assert.equal(th['http_req_duration{endpoint:api-create}'], undefined);
  assert.equal(th.read_your_writes_ms, undefined, 'no write, no read-your-writes threshold');
  assert.equal(th.browser_web_vital_lcp, undefined);
  assert.deepEqual(th.dropped_iterations, ['count<=10']);
  const w = buildThresholds(defaultSlo, { scenario: 'api-write', plannedIterations: 100 });
  assert.deepEqual(w.read_your_writes_ms, ['p(95)<2000']);
  // api-ryw-poll has only an error-rate SLO: latency gets an always-true observer so it is summarized
  assert.deepEqual(w['http_req_duration{endpoint:api-ryw-poll}'], ['max>=0']);
  const b = buildThresholds(defaultSlo, { scenario: 'browser', plannedIterations: 0 });
  assert.deepEqual(b.browser_web_vital_lcp, ['p(95)<4000']);
  assert.equal(b['http_req_duration{endpoint:api-list}'], undefined);
});

test('breakpoint: SLO thresholds abort the run', () => {
  const th = buildThresholds(defaultSlo, { scenario: 'api-read', plannedIterations: 1000, abortOnFail: true });
  assert.deepEqual(th['http_req_duration{endpoint:api-list}'][0], { threshold: 'p(95)<500', abortOnFail: true, delayAbortEval: '10s' });
});

test('threshold key and expression parsing', () => {
  assert.deepEqual(parseThresholdKey('http_req_duration{endpoint:api-list,method:GET}'), {
    metric: 'http_req_duration',
    tags: { endpoint: 'api-list', method: 'GET' },
  });
  assert.deepEqual(parseThresholdKey('checks'), { metric: 'checks', tags: {} });
  assert.equal(parseThresholdKey('a{b}'), null);
  assert.equal(parseThresholdKey('a b'), null);
  assert.deepEqual(parseExpression('p(99.9) <= 250.5'), { aggregation: 'p(99.9)', op: '<=', value: 250.5 });
  assert.equal(parseExpression('p95<3'), null);
  assert.equal(parseExpression('count < lots'), null);
});

test('plan: options carry scenarios, thresholds, trend stats and tags', () => {
  const plan = makePlan({ target: 'http://127.0.0.1:1/', scenario: 'mixed', profile: 'smoke', slo: defaultSlo, tags: { experiment: 'x' } });
  assert.equal(plan.target, 'http://127.0.0.1:1');
  const o = buildOptions(plan) as Sc;
  assert.deepEqual(Object.keys(o.scenarios).sort(), ['api_read', 'api_write', 'web']);
  assert.ok(o.summaryTrendStats.includes('p(99)'));
  assert.deepEqual(o.tags, { experiment: 'x' });
});

test('planFromEnv: GAMEDAY_PLAN must match the bundle; without it a default plan is built', () => {
  const plan = makePlan({ target: 'http://x', scenario: 'web', profile: 'smoke', slo: defaultSlo });
  assert.throws(() => planFromEnv({ GAMEDAY_PLAN: JSON.stringify(plan) }, 'api-read' as ScenarioName, defaultSlo), /is for scenario "web"/);
  assert.equal(planFromEnv({ GAMEDAY_PLAN: JSON.stringify(plan) }, 'web', defaultSlo).target, 'http://x');
  const d = planFromEnv({ GAMEDAY_TARGET: 'http://127.0.0.1:5' }, 'api-read', defaultSlo);
  assert.equal(d.profile, 'smoke');
  assert.equal(d.target, 'http://127.0.0.1:5');
  assert.throws(() => planFromEnv({ GAMEDAY_PROFILE: 'nope' }, 'api-read', defaultSlo), /GAMEDAY_PROFILE: expected one of/);
});
