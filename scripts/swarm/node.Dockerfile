# A swarm node: Debian's docker.io inside a container (docker-in-docker), plus the tools chaos
# uses inside nodes (tc/ip from iproute2, iptables, nsenter from util-linux); openssh-server for ssh://.
FROM swarm-gameday/debian:bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      docker.io iproute2 iptables procps ca-certificates util-linux tini \
 && rm -rf /var/lib/apt/lists/*
# sshd for DOCKER_HOST=ssh:// (the manager only starts it); its own layer keeps the one above cached.
# The package's generated host keys are removed: the manager uses the one stack:up made.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openssh-server \
 && rm -f /etc/ssh/ssh_host_* && rm -rf /var/lib/apt/lists/*
COPY node-entrypoint.sh /usr/local/bin/node-entrypoint.sh
VOLUME /var/lib/docker
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/node-entrypoint.sh"]
