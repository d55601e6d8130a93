#!/bin/sh
# gameday-agent-sql: the task of a one-shot SQL service (chaos/agent/sql.ts). It runs on the
# app's overlay network with the target's DB secrets mounted (no docker socket, no host access),
# sends one statement (base64 in GAMEDAY_SQL) to one DB server over TCP, and reports through its
# own log framed as run.sh does. The password goes from the secret file into a client option file
# in a private temp dir: never into the environment, the command line or the log.
id="${GAMEDAY_AGENT_ID:?}"
t="${GAMEDAY_AGENT_TIMEOUT_S:-60}"
w=$(mktemp -d)
chmod 700 "$w"
user="${GAMEDAY_DB_USER:-}"
if [ -f /run/secrets/gameday-db-user ]; then user=$(cat /run/secrets/gameday-db-user); fi
{ echo '[client]'; printf 'password=%s\n' "$(cat /run/secrets/gameday-db-password)"; } > "$w/my.cnf"
chmod 600 "$w/my.cnf"
printf %s "${GAMEDAY_SQL:?}" | base64 -d > "$w/sql"
timeout -s KILL "$t" mariadb --defaults-extra-file="$w/my.cnf" --protocol=tcp --host="${GAMEDAY_DB_HOST:?}" --port="${GAMEDAY_DB_PORT:-3306}" \
  --user="$user" --connect-timeout=5 --batch --skip-column-names "${GAMEDAY_DB_NAME:?}" < "$w/sql" > "$w/out" 2> "$w/err"
rc=$?
echo "@@GDA $id out"; base64 < "$w/out"
echo "@@GDA $id err"; base64 < "$w/err"
echo "@@GDA $id exit $rc"
rm -rf "$w"
