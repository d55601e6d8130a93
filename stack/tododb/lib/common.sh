# Shared helpers for the tododb scripts (sourced, bash).

TODODB_SOCKET=/run/mysqld/mysqld.sock
TODODB_STATE_DIR=/run/tododb           # per-container-run state (ready / stopping flags)
TODODB_DATADIR=/var/lib/mysql
TODODB_INIT_MARKER=$TODODB_DATADIR/.tododb-initialized

log() { printf '%s tododb[%s] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "${TODODB_ROLE:-?}" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

# read_secret VAR SECRET_NAME [DEFAULT]
# Value from $VAR_FILE, else /run/secrets/SECRET_NAME, else $VAR, else DEFAULT; fails if none.
read_secret() {
  local var=$1 secret=$2 def=${3-} file_var="${1}_FILE" file
  file=${!file_var:-/run/secrets/$secret}
  if [ -r "$file" ]; then
    # strip one trailing newline (echo > secret adds one)
    local v; v=$(cat "$file"); printf '%s' "$v"; return 0
  fi
  if [ -n "${!file_var:-}" ]; then die "$file_var points to '$file' which is not readable"; fi
  if [ -n "${!var:-}" ]; then printf '%s' "${!var}"; return 0; fi
  if [ -n "$def" ]; then printf '%s' "$def"; return 0; fi
  die "secret $secret missing: expected file /run/secrets/$secret, \$$file_var or \$$var"
}

# SQL string literal (single quotes, backslashes escaped).
sql_quote() {
  local s=${1//\\/\\\\}
  s=${s//\'/\'\'}
  printf "'%s'" "$s"
}

# Local client as root over the unix socket (root@localhost authenticates via unix_socket).
sql() { mariadb --protocol=socket --socket="$TODODB_SOCKET" -uroot --batch --skip-column-names "$@"; }

# JSON string literal.
json_str() {
  local s=$1
  s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\n'/\\n}; s=${s//$'\r'/\\r}; s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}
# JSON number, or null when empty / NULL / not numeric.
json_num() {
  if [[ ${1-} =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; then printf '%s' "$1"; else printf 'null'; fi
}

# Parses SHOW SLAVE STATUS\G into the associative array SLAVE (declare -A SLAVE first).
load_slave_status() {
  local k v
  while IFS=: read -r k v; do
    k=${k//[[:space:]]/}
    [ -z "$k" ] && continue
    case $k in \**) continue ;; esac
    v=${v#"${v%%[![:space:]]*}"}
    SLAVE[$k]=$v
  done < <(mariadb --protocol=socket --socket="$TODODB_SOCKET" -uroot -e 'SHOW SLAVE STATUS\G' 2>/dev/null)
}
