# The local registry the swarm nodes pull from (Debian's docker-registry, distribution v2).
FROM swarm-gameday/debian:bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker-registry tini \
 && rm -rf /var/lib/apt/lists/*
COPY registry-config.yml /etc/docker/registry/config.yml
EXPOSE 5000
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/bin/docker-registry", "serve", "/etc/docker/registry/config.yml"]
