#!/bin/sh
# Starts the node's dockerd. The manager also listens on tcp :2375, published on the host's
# loopback only, so the suite reaches the swarm the usual Docker way (DOCKER_HOST).
set -e
rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid
hosts="--host unix:///var/run/docker.sock"
[ "${NODE_API_TCP:-}" = "1" ] && hosts="$hosts --host tcp://0.0.0.0:2375"
exec dockerd $hosts --insecure-registry registry:5000 --storage-driver overlay2 \
  --log-level warn ${DOCKERD_EXTRA_ARGS:-}
