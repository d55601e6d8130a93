#!/bin/sh
# gameday-agent-run: the task of a one-shot agent service (chaos/agent/spec.ts). On its node it
# starts a "node shell" (host pids for nsenter, host network, the node's engine over the socket:
# the view a dind node container gives), runs the command (base64 in GAMEDAY_AGENT_CMD, a shell
# line) bounded by GAMEDAY_AGENT_TIMEOUT_S, and reports through its own log, framed:
#   @@GDA <id> out / base64 stdout / @@GDA <id> err / base64 stderr / @@GDA <id> exit <code>
# GAMEDAY_AGENT_ID is passed in, so a guard the command starts can wait until this run is gone.
# Nothing but the command's own output goes into the log.
id="${GAMEDAY_AGENT_ID:?}"
t="${GAMEDAY_AGENT_TIMEOUT_S:-60}"
name="gameday-agent-sh-$id"
w=$(mktemp -d)
if [ -n "${GAMEDAY_AGENT_STDIN:-}" ]; then printf %s "$GAMEDAY_AGENT_STDIN" | base64 -d > "$w/in"; else : > "$w/in"; fi
timeout -s KILL $((t + 20)) docker run --rm -i --name "$name" --label gameday.agent=1 --label "gameday.agent.run=$id" \
  --pid host --net host --cap-add ALL --cap-drop SYS_RESOURCE \
  --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
  -v /var/run/docker.sock:/var/run/docker.sock \
  -e GAMEDAY_AGENT_ID -e GAMEDAY_AGENT_CMD -e GAMEDAY_AGENT_IMAGE --entrypoint timeout "${GAMEDAY_AGENT_IMAGE:?}" \
  -s KILL "$t" sh -c 'eval "$(printf %s "$GAMEDAY_AGENT_CMD" | base64 -d)"' < "$w/in" > "$w/out" 2> "$w/err"
rc=$?
docker rm -f "$name" >/dev/null 2>&1 || true
echo "@@GDA $id out"; base64 < "$w/out"
echo "@@GDA $id err"; base64 < "$w/err"
echo "@@GDA $id exit $rc"
rm -rf "$w"
