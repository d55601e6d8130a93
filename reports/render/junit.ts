// JUnit XML for CI test views: one test case per k6 threshold and per chaos tolerance; failures
// carry the figures (actual vs required). Validates against Jenkins' junit-10.xsd
// (reports/fixtures/junit-10.xsd; tests/unit/report-junit.test.ts checks it with xmllint). Pure.
import type { RunResult } from '../model.ts';
import { fmtPct, isInterrupted, thresholdFailureText, visibleThresholds } from './format.ts';

interface Case {
  classname: string;
  name: string;
  failure?: { message: string; type: string; body: string };
  error?: { message: string; type: string };
}

// XML 1.0 forbids most control characters even when escaped
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function xmlEscape(s: string): string {
  return s
    .replace(INVALID_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Surefire's time format: seconds with at most three decimals. */
function secs(ms: number | null | undefined): string {
  return ((ms ?? 0) / 1000).toFixed(3);
}

function suite(name: string, cases: Case[], attrs: { timestamp: string; time: string; props?: [string, string][] }): string {
  const failures = cases.filter((c) => c.failure).length;
  const errors = cases.filter((c) => c.error).length;
  const props = attrs.props?.length
    ? `    <properties>\n${attrs.props.map(([k, v]) => `      <property name="${xmlEscape(k)}" value="${xmlEscape(v)}"/>`).join('\n')}\n    </properties>\n`
    : '';
  const body = cases
    .map((c) => {
      const open = `    <testcase classname="${xmlEscape(c.classname)}" name="${xmlEscape(c.name)}" time="0.000"`;
      if (c.failure) return `${open}>\n      <failure message="${xmlEscape(c.failure.message)}" type="${xmlEscape(c.failure.type)}">${xmlEscape(c.failure.body)}</failure>\n    </testcase>`;
      if (c.error) return `${open}>\n      <error message="${xmlEscape(c.error.message)}" type="${xmlEscape(c.error.type)}"/>\n    </testcase>`;
      return `${open}/>`;
    })
    .join('\n');
  return `  <testsuite name="${xmlEscape(name)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="0" timestamp="${xmlEscape(attrs.timestamp)}" time="${attrs.time}">\n${props}${body}${body ? '\n' : ''}  </testsuite>`;
}

export function renderJunit(r: RunResult): string {
  const timestamp = r.run.startedAt || r.generatedAt;
  const time = secs(r.run.durationMs);
  const suites: string[] = [];
  const props: [string, string][] = [
    ['run.id', r.run.id],
    ['run.kind', r.run.kind],
    ['run.status', r.run.status],
    ['verdict', r.verdict.status],
  ];
  if (r.run.git) props.push(['git.revision', r.run.git.revision]);
  if (r.run.target) props.push(['target', r.run.target.ingressUrl]);
  if (r.run.profile) props.push(['profile', r.run.profile]);
  if (r.run.scenario) props.push(['scenario', r.run.scenario]);

  const runCases: Case[] = [
    isInterrupted(r)
      ? { classname: 'gameday.run', name: 'run completed', error: { message: `run did not finish (status ${r.run.status}${r.run.complete ? '' : ', INCOMPLETE marker'}); results are partial`, type: 'incomplete' } }
      : { classname: 'gameday.run', name: 'run completed' },
  ];
  suites.push(suite(`${r.run.kind} ${r.run.id}`, runCases, { timestamp, time, props }));

  const thresholds = visibleThresholds(r);
  if (thresholds.length)
    suites.push(
      suite(
        'k6 thresholds',
        thresholds.map((t) => {
          const c: Case = { classname: `k6.thresholds.${t.metric}`, name: `${t.metric}: ${t.expression}` };
          if (!t.ok) {
            const msg = thresholdFailureText(t);
            c.failure = { message: msg, type: 'threshold', body: `threshold ${t.expression} on ${t.metric} crossed: ${msg}` };
          }
          return c;
        }),
        { timestamp, time },
      ),
    );

  const chaos = r.chaos;
  if (chaos) {
    const experiments = [...new Set([...chaos.experiments.map((e) => e.experiment), ...chaos.verdicts.map((v) => v.experiment)])];
    for (const exp of experiments) {
      const cases: Case[] = chaos.verdicts
        .filter((v) => v.experiment === exp)
        .map((v) => ({
          classname: `chaos.${exp}`,
          name: v.tolerance,
          ...(v.ok ? {} : { failure: { message: `expected ${v.expected}, got ${v.actual}`, type: 'tolerance', body: `${exp}: ${v.tolerance}\nexpected: ${v.expected}\nactual:   ${v.actual}` } }),
        }));
      const e = chaos.experiments.find((x) => x.experiment === exp);
      if (e && e.status !== 'completed') cases.push({ classname: `chaos.${exp}`, name: 'experiment completed', error: { message: `experiment ${e.status}${e.error ? `: ${e.error}` : ''}`, type: e.status } });
      const phases = chaos.probe?.perPhase.filter((p) => p.experiment === exp && p.endpoint === '*') ?? [];
      const props: [string, string][] = phases.map((p) => [`availability.${p.phase}`, `${fmtPct(p.availability, 3)}, longest outage ${p.longestOutageMs} ms`]);
      const start = e ? Date.parse(e.startedAt) : NaN;
      const end = e?.finishedAt ? Date.parse(e.finishedAt) : NaN;
      suites.push(suite(`chaos ${exp}`, cases, { timestamp: e?.startedAt ?? timestamp, time: Number.isFinite(end - start) ? secs(end - start) : '0.000', props }));
    }
    if (chaos.writes) {
      const w = chaos.writes;
      const c: Case = { classname: 'chaos.writes', name: 'no acknowledged write lost, no unexpected write' };
      if (!w.ok)
        c.failure = {
          message: `${w.lost.length} lost, ${w.unexpected.length} unexpected of ${w.acknowledged} acknowledged`,
          type: 'lost-writes',
          body: w.perServer.map((s) => `${s.server}: present ${s.present}, lost [${s.lost.slice(0, 50).join(', ')}], unexpected [${s.unexpected.slice(0, 50).join(', ')}]`).join('\n'),
        };
      suites.push(suite('chaos lost writes', [c], { timestamp: w.checkedAt, time: '0.000' }));
    }
  }

  const all = suites.join('\n');
  const count = (attr: string) => [...all.matchAll(new RegExp(`<testsuite [^>]*${attr}="(\\d+)"`, 'g'))].reduce((a, m) => a + Number(m[1]), 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="swarm-gameday ${xmlEscape(r.run.id)}" tests="${count('tests')}" failures="${count('failures')}" errors="${count('errors')}" time="${time}">\n${all}\n</testsuites>\n`;
}
