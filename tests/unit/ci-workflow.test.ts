// issue 14: the example CI job ran `npm run setup` as a non-root user on Ubuntu, where it cannot
// work (setup installs Debian packages, debootstraps bookworm from the Debian mirror apt uses and
// starts its own dockerd). The example must run where setup can: Debian, as root, with what
// docker-in-docker needs, and Go for the load engine.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import YAML from 'yaml';

test('perf.yml runs setup in a Debian container as root, privileged, with Go, and says why', () => {
  const text = fs.readFileSync(new URL('../../.github/workflows/perf.yml', import.meta.url), 'utf8');
  const wf = YAML.parse(text);
  const job = wf.jobs.load;
  const image = typeof job.container === 'string' ? job.container : job.container?.image;
  assert.match(String(image), /^debian:(bookworm|12)/, 'a Debian bookworm job container');
  const options = String(job.container?.options ?? '');
  assert.match(options, /--privileged/);
  assert.match(options, /--cgroupns host/);
  assert.doesNotMatch(options, /--user|-u /, 'the container runs as root');
  const steps: { uses?: string; run?: string }[] = job.steps;
  const at = (pred: (s: { uses?: string; run?: string }) => boolean) => steps.findIndex(pred);
  const setup = at((s) => s.run === 'npm run setup');
  assert.ok(setup > 0, 'setup runs');
  assert.ok(at((s) => Boolean(s.uses?.startsWith('actions/setup-go'))) < setup, 'Go is there before setup builds the engine');
  assert.ok(!steps.some((s) => /\bsudo\b/.test(s.run ?? '')), 'no sudo needed as root');
  assert.match(text, /must run as root on Debian/, 'a comment says what setup needs');
});
