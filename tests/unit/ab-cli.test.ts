// npm run ab's pure parts: flag validation, the planted-slowdown Dockerfile, reading the engine's
// samples per block, the report formats, and bench:compare --ab's windows and baseline shape.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { AB_DEFAULTS, abDecide } from '../../reports/ab-stats.ts';
import { renderAbHtml, renderAbJunit, renderAbMarkdown, type AbResult } from '../../reports/ab-report.ts';
import { compare } from '../../reports/compare.ts';
import { type AbOpts, validateAb } from '../../scripts/ab.ts';
import { sideAsBaseline, windowsOf } from '../../scripts/ab/bench.ts';
import { delayDockerfile, hostRef } from '../../scripts/ab/delay-image.ts';
import { readSamples } from '../../scripts/ab/phase.ts';

const base: AbOpts = { candidate: 'registry:5000/x:1', blocks: 160, blockMs: 1000, rate: 60, calibrate: true, alpha: 0.01, minEffect: 0.05, outDir: '/tmp/x', portA: 18481, portB: 18482 };

test('bad flags name the flag, what was expected and what came', () => {
  assert.doesNotThrow(() => validateAb(base));
  assert.throws(() => validateAb({ ...base, blocks: 30 }), /--blocks: expected a multiple of 4 .*, got 30/);
  assert.throws(() => validateAb({ ...base, candidate: undefined }), /--candidate: expected an API image .* got nothing/);
  assert.throws(() => validateAb({ ...base, candidateDelayMs: 3 }), /expected one of them, got both/);
  assert.throws(() => validateAb({ ...base, candidate: 'a b' }), /--candidate: expected an image reference .* got "a b"/);
  assert.throws(() => validateAb({ ...base, portB: 18481 }), /--port-b: expected a port other than --port-a 18481, got 18481/);
});

test('the planted image is FROM the baseline as the host sees it, with the delay baked in', () => {
  assert.equal(hostRef('registry:5000/swarm-gameday/todoapi:abc'), '127.0.0.1:15000/swarm-gameday/todoapi:abc');
  assert.equal(hostRef('example.org/api:1'), 'example.org/api:1');
  const df = delayDockerfile('127.0.0.1:15000/swarm-gameday/todoapi:abc', 4.25);
  assert.match(df, /^FROM 127\.0\.0\.1:15000\/swarm-gameday\/todoapi:abc$/m);
  assert.match(df, /^ENV AB_DELAY_MS=4\.25$/m);
  assert.match(df, /"-r", "\/app\/ab-delay\.cjs"/);
  assert.throws(() => delayDockerfile('x', -1), /delay: expected milliseconds from 0 to 10000, got -1/);
});

test('samples are read per block; failures counted per side; a side off the schedule is noticed', async () => {
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ab-unit-')), 's.jsonl');
  const pt = (block: number, side: string, v: number, expected = 'true') => JSON.stringify({ type: 'Point', metric: 'http_req_duration', data: { time: 'x', value: v, tags: { ab_block: String(block), ab_side: side, expected_response: expected } } });
  fs.writeFileSync(f, [JSON.stringify({ type: 'Metric', metric: 'http_req_duration', data: {} }), pt(0, 'A', 5), pt(1, 'B', 6), pt(1, 'B', 7, 'false'), pt(2, 'A', 8), pt(9, 'A', 1), JSON.stringify({ type: 'Point', metric: 'http_reqs', data: { value: 1, tags: { ab_block: '0', ab_side: 'A' } } })].join('\n'));
  const s = await readSamples(f, 4);
  assert.deepEqual(s.blocks, [[5], [6], [8], []]);
  assert.deepEqual(s.errors, { A: 0, B: 1 });
  assert.equal(s.mislabelled, 1); // block 2 is a B block
});

test('reports: Markdown table, JUnit failure on a regression, HTML escapes', () => {
  const blocks = Array.from({ length: 40 }, (_, b) => Array.from({ length: 30 }, (_, i) => (10 + (i % 7)) * ([1, 2].includes(b % 4) ? 1.5 : 1)));
  const d = abDecide(blocks, { ...AB_DEFAULTS, permutations: 500, bootstrap: 100 });
  assert.equal(d.regressed, true);
  const r: AbResult = { tool: 'npm run ab', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:05:00.000Z', baseline: 'img:a', candidate: 'img:<b>', blocks: 40, blockMs: 1000, rate: 50, margin: 0.01, loadAverage: [1, 2, 3], phases: [{ name: 'A/B', imageA: 'img:a', imageB: 'img:<b>', decision: d, durationS: 42, mislabelled: 0 }], regressed: true, regressions: [d.reason], notes: ['n'] };
  const md = renderAbMarkdown(r);
  assert.match(md, /\*\*REGRESSION\*\*/);
  assert.match(md, /\| A\/B \| 19 \| .* \| regression \|/);
  const x = new XMLParser({ ignoreAttributes: false }).parse(renderAbJunit(r));
  assert.equal(x.testsuites.testsuite['@_failures'], '1');
  assert.equal(x.testsuites.testsuite.testcase.failure['@_type'], 'regression');
  const html = renderAbHtml(r);
  assert.ok(html.includes('img:&lt;b&gt;') && !html.includes('img:<b>'));
});

test('bench windows are whole groups after the warm-up; a side becomes a baseline with one bucket per block', () => {
  assert.deepEqual(windowsOf(100, 32, 4), [[4, 36], [36, 68], [68, 100]]);
  assert.deepEqual(windowsOf(20, 32, 4), []);
  const blocks = Array.from({ length: 32 }, (_, b) => Array.from({ length: 20 }, (_, i) => 10 + i + b));
  const a = sideAsBaseline(blocks, 0, 32, 'A', 'a', 1000);
  assert.equal(a.endpoints[0].buckets.p95.length, 16);
  assert.equal(a.endpoints[0].requests, 320);
  // the stored-baseline rule accepts the shape and sees no change in a run against itself
  assert.equal(compare(a, a).regressed, false);
});

test('both sides read from one replica: the one on the A/B node, else the first with an address', async () => {
  const { pickReplica } = await import('../../scripts/ab/session.ts');
  const task = (id: string, node: string, addr?: string) => ({
    ID: id, Slot: Number(id), NodeID: node, Status: { State: 'running', ContainerStatus: { ContainerID: `c${id}` } },
    NetworksAttachments: addr ? [{ Network: { Spec: { Name: 'ingress' } }, Addresses: ['10.255.0.9/16'] }, { Network: { Spec: { Name: 'todoapp' } }, Addresses: [`${addr}/24`] }] : [],
  });
  const nodes = [{ ID: 'n1', Description: { Hostname: 'w1' } }, { ID: 'n2', Description: { Hostname: 'w2' } }];
  const docker = (tasks: unknown[]) => ({ listTasks: async () => tasks, listNodes: async () => nodes }) as never;
  const two = [task('1', 'n1', '10.0.1.7'), task('2', 'n2', '10.0.1.8')];
  assert.equal((await pickReplica(docker(two), 'w2'))?.address, '10.0.1.8');
  assert.equal((await pickReplica(docker(two), 'w9'))?.address, '10.0.1.7');
  assert.equal((await pickReplica(docker([task('3', 'n2')]), 'w2')), null, 'a replica with no overlay address cannot be pinned');
});
