// The agent's netem inject script, run by sh against fake docker/nsenter/iptables/tc on PATH: a
// delayer that exits at once is started once more, and when it fails twice the script exits 4 with
// the delayer's own log, its rule removed and no container left.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { agentInjectScript } from '../../chaos/faults/netem.ts';

const TASK = 'f'.repeat(64);
const NAME = 'gameday-netdelay-ffffffffffff';

// docker: the task container has pid 4242; `run` of the delayer fails (exits at once with a log
// line) as often as $FAIL_STARTS says, then starts and prints its ready line.
const FAKE_DOCKER = `#!/bin/sh
S="$STATE"
case "$1" in
  inspect)
    f="$3"; c="$4"
    if [ "$c" = "${TASK}" ]; then echo 4242; exit 0; fi
    [ -f "$S/$c.log" ] || { echo "Error: No such object: $c" >&2; exit 1; }
    case "$f" in *Running*) cat "$S/$c.running";; *) echo "state $(cat "$S/$c.status"), exit code 1";; esac ;;
  rm) rm -f "$S/$3.log" "$S/$3.running" "$S/$3.status" ;;
  logs) [ -f "$S/$2.log" ] || { echo "Error: No such container: $2" >&2; exit 1; }; cat "$S/$2.log" >&2 ;;
  run)
    n=$(cat "$S/starts" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$S/starts"
    shift; while [ "$1" != --name ]; do shift; done; c="$2"
    if [ $n -le "$FAIL_STARTS" ]; then
      echo "gameday-netdelay: open NFQUEUE 7411 (needs CAP_NET_ADMIN in this netns): device or resource busy" > "$S/$c.log"; echo false > "$S/$c.running"; echo exited > "$S/$c.status"
    else
      echo "gameday-netdelay: queue 7411, delay 100ms ±20ms, loss 0%, for at most 10m0s" > "$S/$c.log"; echo true > "$S/$c.running"; echo running > "$S/$c.status"
    fi
    echo cid ;;
  *) echo "fake docker: unexpected $*" >&2; exit 9 ;;
esac
`;

function run(failStarts: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netem-script-'));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const tool = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), body, { mode: 0o755 });
  tool('docker', FAKE_DOCKER);
  // nsenter -t PID -n sh -c SCRIPT: runs SCRIPT here
  tool('nsenter', '#!/bin/sh\nshift 3\nexec "$@"\n');
  tool('tc', '#!/bin/sh\necho "Error: Specified qdisc kind is unknown." >&2; exit 2\n');
  tool('ip', '#!/bin/sh\necho "1: lo: <LOOPBACK>"; echo "2: eth0@if9: <UP>"\n');
  tool('iptables', `#!/bin/sh\necho "$*" >> "${dir}/iptables"\ncase "$1" in -C) exit 1;; esac\n`);
  tool('sleep', '#!/bin/sh\n'); // the script's pauses are not what is tested here
  const script = agentInjectScript({ service: 's', count: 1, delayMs: 100, jitterMs: 20, lossPct: 0, maxDurationS: 600 }, TASK, 'img');
  const r = spawnSync('sh', ['-c', script], { env: { PATH: `${bin}:/usr/bin:/bin`, STATE: dir, FAIL_STARTS: String(failStarts) }, encoding: 'utf8' });
  const iptables = fs.existsSync(path.join(dir, 'iptables')) ? fs.readFileSync(path.join(dir, 'iptables'), 'utf8') : '';
  const left = fs.existsSync(path.join(dir, `${NAME}.log`));
  fs.rmSync(dir, { recursive: true, force: true });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, iptables, left };
}

test('netem via the agent: a delayer that starts is ready at once, no retry', () => {
  const r = run(0);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^mechanism=nfqueue-delay$/m);
  assert.doesNotMatch(r.stdout, /delayer-retry/);
  assert.match(r.iptables, /^-I INPUT 1 ! -i lo -j NFQUEUE --queue-num 7411 --queue-bypass$/m);
  assert.doesNotMatch(r.iptables, /^-D/m);
  assert.equal(r.left, true, 'the running delayer stays');
});

test('netem via the agent: a delayer that exits at once is started once more, and why is on stdout', () => {
  const r = run(1);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^delayer-retry: .*is not serving its queue \(state exited, exit code 1; waited up to 5 s\).*device or resource busy/m);
  assert.match(r.stdout, /^mechanism=nfqueue-delay$/m);
  assert.doesNotMatch(r.iptables, /^-D/m);
});

test('netem via the agent: a delayer that fails twice: exit 4 with its log, rule removed, no container left', () => {
  const r = run(2);
  assert.equal(r.code, 4);
  assert.match(r.stderr, /gameday-netdelay in the netns of ffffffffffff is not serving its queue \(state exited, exit code 1; waited up to 5 s\); its log:\ngameday-netdelay: open NFQUEUE 7411 .*device or resource busy/);
  assert.doesNotMatch(r.stdout, /mechanism=/);
  assert.match(r.iptables, /^-D INPUT ! -i lo -j NFQUEUE --queue-num 7411 --queue-bypass$/m);
  assert.equal(r.left, false);
});
