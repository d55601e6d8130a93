# The local registry the swarm nodes pull from (Debian's docker-registry, distribution v2), with
# htpasswd auth; apache2-utils' htpasswd makes the bcrypt file (ensureRegistry runs it once).
FROM swarm-gameday/debian:bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker-registry tini apache2-utils \
 && rm -rf /var/lib/apt/lists/*
COPY registry-config.yml /etc/docker/registry/config.yml
EXPOSE 5000
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/bin/docker-registry", "serve", "/etc/docker/registry/config.yml"]
