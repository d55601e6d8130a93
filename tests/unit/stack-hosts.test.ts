// Per-connection address choice for dnsrr names: round-robin, skip recently failed addresses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HostPicker } from '../../stack/todoapi/src/hosts.ts';

test('round-robin over the addresses in a stable order, whatever order DNS returned', () => {
  const p = new HostPicker(5000);
  const picks = [0, 1, 2, 3].map((i) => p.choose(i % 2 ? ['10.0.0.2', '10.0.0.1'] : ['10.0.0.1', '10.0.0.2']));
  assert.deepEqual(picks, ['10.0.0.1', '10.0.0.2', '10.0.0.1', '10.0.0.2']);
});

test('a failed address is skipped until badMs passed; if all are bad, all are tried', () => {
  let now = 1000;
  const p = new HostPicker(5000, () => now);
  p.markBad('10.0.0.1');
  for (let i = 0; i < 4; i++) assert.equal(p.choose(['10.0.0.1', '10.0.0.2']), '10.0.0.2');
  p.markBad('10.0.0.2');
  const both = new Set([0, 1, 2, 3].map(() => p.choose(['10.0.0.1', '10.0.0.2'])));
  assert.deepEqual([...both].sort(), ['10.0.0.1', '10.0.0.2']);
  now += 5001;
  assert.equal(p.isBad('10.0.0.1'), false);
  p.markBad('10.0.0.1');
  p.markGood('10.0.0.1');
  assert.equal(p.isBad('10.0.0.1'), false);
  assert.throws(() => p.choose([]));
});
