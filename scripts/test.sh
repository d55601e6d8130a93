#!/usr/bin/env bash
# The project's test suite (README: `npm test`). Two tiers:
#   unit         fast, no Docker: TypeScript unit tests, and the load engine's Go tests (its
#                conformance tests run real scripts against local fake servers)
#   integration  against the real local swarm: setup installs/starts what is missing, stack:up
#                brings up the embedded default; the last test file takes it down again.
# With no argument both tiers run, unit first.
set -euo pipefail
cd "$(dirname "$0")/.."
tier="${1:-all}"

# the tests' temporary files go in one folder of this run, removed at the end (several tests make
# folders under the temp dir; hundreds piled up in /tmp over a few days of runs)
test_tmp="$(mktemp -d "${TMPDIR:-/tmp}/gameday-tests-XXXXXX")"
chmod 1777 "$test_tmp" # as /tmp: containers that mount a file from here as another user can reach it
trap 'rm -rf "$test_tmp"' EXIT

run_unit() {
  echo "== typecheck"
  npx tsc --noEmit -p tsconfig.json
  npx tsc --noEmit -p load/tsconfig.json
  npx tsc --noEmit -p stack/tsconfig.json
  echo "== unit tests"
  mapfile -t files < <(ls tests/unit/*.test.ts 2>/dev/null | sort)
  TMPDIR="$test_tmp" node --import tsx --test --test-reporter=spec "${files[@]}"
  echo "== load engine (Go): unit and conformance tests"
  # one package at a time: the scheduler and conformance tests check start times (with tolerances),
  # and packages running beside each other on 2 cores only add noise
  (cd load/engine && go vet ./... && go test -p 1 -count=1 ./...)
}

run_integration() {
  echo "== setup (docker engine, load engine, base image)"
  npx tsx scripts/setup.ts
  if [ "${CI:-}" = "true" ]; then
    # CI proves the cold path: whatever a previous run left, start from no swarm at all
    echo "== CI: removing any local swarm left from before"
    npx tsx scripts/stack.ts down
  fi
  echo "== load engine: k6/browser against the chromium setup installed"
  (cd load/engine && go test -count=1 ./internal/browser/)
  echo "== integration tests (real local swarm)"
  mapfile -t files < <(ls tests/integration/*.test.ts 2>/dev/null | sort)
  # one file at a time, in name order: they share one swarm and the last one takes it down
  TMPDIR="$test_tmp" node --import tsx --test --test-concurrency=1 --test-timeout=2400000 --test-reporter=spec "${files[@]}"
}

case "$tier" in
  unit) run_unit ;;
  integration) run_integration ;;
  all) run_unit; run_integration ;;
  *) echo "usage: scripts/test.sh [unit|integration]" >&2; exit 2 ;;
esac
