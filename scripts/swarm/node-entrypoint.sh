#!/bin/sh
# Starts the node's dockerd. The manager (NODE_API_TLS=1) also serves its API on tcp :2376 with
# TLS and client verification (certificates mounted read-only at /etc/gameday/tls by stack:up),
# published on the host's loopback only, so the suite reaches the swarm the usual Docker way
# (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH). NODE_SSHD=1 starts a key-only sshd (host
# key and authorized_keys mounted read-only at /etc/gameday/ssh) for DOCKER_HOST=ssh://root@...
set -e
rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid
hosts="--host unix:///var/run/docker.sock"
if [ "${NODE_API_TLS:-}" = "1" ]; then
  t=/etc/gameday/tls
  for f in ca.pem cert.pem key.pem; do
    [ -r "$t/$f" ] || { echo "node-entrypoint: NODE_API_TLS=1 but $t/$f is missing" >&2; exit 2; }
  done
  hosts="$hosts --host tcp://0.0.0.0:2376 --tlsverify --tlscacert $t/ca.pem --tlscert $t/cert.pem --tlskey $t/key.pem"
fi
if [ "${NODE_SSHD:-}" = "1" ]; then
  s=/etc/gameday/ssh
  for f in ssh_host_ed25519_key authorized_keys; do
    [ -r "$s/$f" ] || { echo "node-entrypoint: NODE_SSHD=1 but $s/$f is missing" >&2; exit 2; }
  done
  # copies: sshd insists on root-owned, private files (StrictModes), whatever the mount shows
  install -d -m 0700 /root/.ssh /run/sshd
  install -m 0600 "$s/ssh_host_ed25519_key" /etc/ssh/gameday_host_ed25519_key
  install -m 0600 "$s/authorized_keys" /root/.ssh/authorized_keys
  cat >/etc/ssh/sshd_config.d/gameday.conf <<'CONF'
HostKey /etc/ssh/gameday_host_ed25519_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthenticationMethods publickey
AllowUsers root
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PermitTunnel no
CONF
  /usr/sbin/sshd -t
  /usr/sbin/sshd
fi
exec dockerd $hosts --insecure-registry registry:5000 --storage-driver overlay2 \
  --log-level warn ${DOCKERD_EXTRA_ARGS:-}
