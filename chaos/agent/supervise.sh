#!/bin/sh
# gameday-agent-supervise: the dead-man bound of one fault (chaos/agent/deadman.ts). Runs on a
# manager (its docker socket serves the swarm API). Sleeps until the fault's bound, then runs the
# undo (base64 shell line in GAMEDAY_AGENT_CMD, which also verifies) on the fault's node through a
# one-shot agent service, as the controller would; on success removes its helpers and itself.
# A controller that undoes first removes this service before it fires. An undo that keeps failing
# leaves this service (and its last helper's log) in place for `npm run chaos -- --recover`.
# No registry credential here, on purpose: the undo runs on the node the fault's own agent exec
# ran on, so the image (pinned by digest) is already there and the node does not pull it; the
# registry password never has to sit in a service spec on the manager.
id="${GAMEDAY_AGENT_ID:?}"; node="${GAMEDAY_AGENT_NODE:?}"; self="${GAMEDAY_AGENT_SELF:?}"
bound="${GAMEDAY_AGENT_BOUND_S:?}"; t="${GAMEDAY_AGENT_TIMEOUT_S:-60}"
say() { echo "supervisor $id: $*"; }
say "holds the undo for node $node; fires in ${bound}s unless the controller undoes first"
sleep "$bound"
n=1
while [ $n -le 5 ]; do
  u="${id}u$n"; svc="gameday-agent-$u"
  say "bound reached: undo on $node (attempt $n, service $svc)"
  docker service create -d -q --name "$svc" --label gameday.agent=1 --label "gameday.agent.run=$u" \
    --label gameday.agent.role=undo --label "gameday.agent.parent=$id" --label "gameday.agent.node=$node" \
    --constraint "node.hostname==$node" --restart-condition none --endpoint-mode dnsrr \
    --mount type=bind,source=/var/run/docker.sock,target=/var/run/docker.sock \
    -e "GAMEDAY_AGENT_ID=$u" -e "GAMEDAY_AGENT_CMD=$GAMEDAY_AGENT_CMD" -e "GAMEDAY_AGENT_IMAGE=$GAMEDAY_AGENT_IMAGE" \
    -e "GAMEDAY_AGENT_TIMEOUT_S=$t" "$GAMEDAY_AGENT_IMAGE" gameday-agent-run >/dev/null
  rc=
  i=0
  while [ $i -lt $((t + 60)) ]; do
    line=$(docker service logs --raw "$svc" 2>/dev/null | grep "^@@GDA $u exit " | tail -n 1)
    if [ -n "$line" ]; then rc=${line##* }; break; fi
    sleep 1; i=$((i + 1))
  done
  out=$(docker service logs --raw "$svc" 2>/dev/null | sed -n "/^@@GDA $u err\$/,/^@@GDA $u exit /p" | sed '1d;$d' | base64 -d 2>/dev/null | tail -c 300)
  docker service rm "$svc" >/dev/null 2>&1 || true
  if [ "$rc" = 0 ]; then
    say "undo on $node done and verified; removing myself"
    # exec services of the controller that ended (one killed mid-command leaves its own)
    if [ -n "${GAMEDAY_AGENT_OWNER:-}" ]; then
      for s in $(docker service ls -q --filter "label=gameday.agent.owner=$GAMEDAY_AGENT_OWNER" --filter label=gameday.agent.role=exec); do
        if docker service ps --format '{{.CurrentState}}' "$s" 2>/dev/null | grep -Eq '^(Complete|Failed|Rejected|Shutdown)'; then docker service rm "$s" >/dev/null 2>&1 || true; fi
      done
      # its measurement streams (lag sampler): their controller is presumed gone, nobody reads them
      for s in $(docker service ls -q --filter "label=gameday.agent.owner=$GAMEDAY_AGENT_OWNER" --filter label=gameday.agent.role=stream); do
        docker service rm "$s" >/dev/null 2>&1 || true
      done
    fi
    docker service rm "$self" >/dev/null 2>&1
    sleep 30
    exit 0
  fi
  say "undo on $node failed (exit ${rc:-none within $((t + 60))s}): $out"
  n=$((n + 1)); sleep 5
done
say "giving up after 5 attempts: left in place for npm run chaos -- --recover"
exit 1
