// JUnit XML: one test case per threshold and per tolerance, failures with figures. (Validation
// against reports/fixtures/junit-10.xsd with xmllint runs in tests/integration/50-report.test.ts,
// after setup has installed libxml2-utils.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { renderJunit, xmlEscape } from '../../reports/render/junit.ts';
import { fixture } from './report-helpers.ts';

interface Tc {
  '@_classname': string;
  '@_name': string;
  '@_time': string;
  failure?: { '@_message': string; '#text'?: string };
  error?: { '@_message': string };
}
interface Ts {
  '@_name': string;
  '@_tests': string;
  '@_failures': string;
  '@_errors': string;
  '@_time': string;
  testcase?: Tc[];
}

function parse(xml: string): { suites: Ts[]; root: Record<string, string> } {
  const doc = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'testsuite' || name === 'testcase' }).parse(xml);
  return { suites: doc.testsuites.testsuite, root: doc.testsuites };
}

const SUREFIRE_TIME = /^(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]{0,3})?$/;

test('game day: a case per threshold and per tolerance, failures carry the figures', async () => {
  const r = await fixture('gameday-two');
  const { suites, root } = parse(renderJunit(r));
  const byName = Object.fromEntries(suites.map((s) => [s['@_name'], s]));
  const th = byName['k6 thresholds'];
  assert.equal(th.testcase!.length, r.k6!.thresholds.filter((t) => !t.observer).length);
  const failed = th.testcase!.find((c) => c['@_name'] === 'http_req_failed{endpoint:api-list}: rate<0.01')!;
  assert.equal(failed.failure!['@_message'], 'rate = 2.38%, required < 1.00%');
  const lagCase = byName['chaos replica-replication-stopped'].testcase!.find((c) => c['@_name'] === 'replica heartbeat lag p95 <= 5000 ms in the fault phases')!;
  const lagVerdict = r.chaos!.verdicts.find((v) => v.tolerance === lagCase['@_name'])!;
  assert.equal(lagCase.failure!['@_message'], `expected ${lagVerdict.expected}, got ${lagVerdict.actual}`);
  assert.match(lagCase.failure!['@_message'], /^expected <= 5000 ms, got \d{5} ms \(todo_mysql_slave\.1\)$/);
  assert.equal(byName['chaos api-kill-task'].testcase!.length, 3);
  assert.equal(byName['chaos lost writes'].testcase!.length, 1);
  assert.equal(byName['chaos lost writes'].testcase![0].failure, undefined);
  // counts add up, times are Surefire times
  const sum = (k: '@_tests' | '@_failures' | '@_errors') => suites.reduce((a, s) => a + Number(s[k]), 0);
  assert.equal(Number(root['@_tests']), sum('@_tests'));
  assert.equal(Number(root['@_failures']), sum('@_failures'));
  assert.equal(Number(root['@_failures']), 10 + 2);
  for (const s of suites) {
    assert.equal(Number(s['@_tests']), s.testcase?.length ?? 0);
    assert.equal(Number(s['@_failures']), s.testcase?.filter((c) => c.failure).length ?? 0);
    assert.match(s['@_time'], SUREFIRE_TIME);
  }
});

test('an incomplete run is an error case, not a silent pass', async () => {
  const { suites } = parse(renderJunit(await fixture('load-incomplete')));
  const run = suites[0].testcase![0];
  assert.equal(run['@_name'], 'run completed');
  assert.match(run.error!['@_message'], /did not finish/);
  assert.equal(suites.length, 1, 'no summary, no threshold cases');
});

test('a passing load run has no failures', async () => {
  const { root } = parse(renderJunit(await fixture('load-mixed')));
  assert.equal(root['@_failures'], '0');
  assert.equal(root['@_errors'], '0');
  assert.equal(root['@_tests'], '25', '24 thresholds and "run completed"');
});

test('XML escaping drops characters XML 1.0 cannot carry', () => {
  assert.equal(xmlEscape('a<b & "c" \u0001\u001b'), 'a&lt;b &amp; &quot;c&quot; ');
});
