#!/bin/sh
# One replica of a distributed load run (load/run/distributed.ts). Swarm gives the task its slot
# (GAMEDAY_SLOT={{.Task.Slot}}, 1..N); slot k takes the k-th of GAMEDAY_SEGMENTS within
# GAMEDAY_SEQUENCE, starts at GAMEDAY_START_AT with the others, and writes its JSON lines framed on
# stdout (the service log is how they reach the controller). "$@": engine flags, then the script.
set -eu
slot=${GAMEDAY_SLOT:?GAMEDAY_SLOT (the task slot) is not set}
# shellcheck disable=SC2086
set -- $GAMEDAY_SEGMENTS -- "$@"
n=0
for s in "$@"; do
  [ "$s" = "--" ] && break
  n=$((n + 1))
done
case $slot in *[!0-9]*|'') slot=0 ;; esac
if [ "$slot" -lt 1 ] || [ "$slot" -gt "$n" ]; then
  echo "level=error msg=\"task slot $slot outside 1..$n (GAMEDAY_SEGMENTS)\"" >&2
  exit 104
fi
eval "segment=\${$slot}"
shift "$((n + 1))"
exec /usr/local/bin/gameday-engine run --no-color -q --out json=- \
  --execution-segment "$segment" --execution-segment-sequence "${GAMEDAY_SEQUENCE:?}" \
  --start-at "${GAMEDAY_START_AT:?}" "$@"
