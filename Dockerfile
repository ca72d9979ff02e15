# syntax=docker/dockerfile:1
# The probe agent as a container. Build from the repository root:
#   docker build -t probe-agent --build-arg DOCKER_GID=$(stat -c %g /var/run/docker.sock) .
# deploy/docker-compose.yml runs it next to an nginx container, as in the reference architecture.

ARG NODE_IMAGE=node:20-bookworm-slim

# 1. Build: compile TypeScript (agent and task scripts) and keep production dependencies only.
FROM ${NODE_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY agent ./agent
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev

# 2. The docker CLI and the compose v2 plugin, without the engine.
FROM docker:27-cli AS dockercli
FROM docker/compose-bin:v2.29.7 AS compose

# 3. Run: slim Node, the compiled agent, docker CLI + compose. No secrets are baked in:
#    the HS secret or public key lives in the state volume or a mounted file.
FROM ${NODE_IMAGE}
ARG DOCKER_GID=999
COPY --from=dockercli /usr/local/bin/docker /usr/local/bin/docker
COPY --from=compose /docker-compose /usr/local/lib/docker/cli-plugins/docker-compose
# A non-root user in the docker socket's group (pass its gid as DOCKER_GID).
RUN (getent group "${DOCKER_GID}" || groupadd --gid "${DOCKER_GID}" docker) \
 && useradd --system --uid 10001 --gid "${DOCKER_GID}" --home /var/lib/probe --create-home probe \
 && mkdir -p /etc/nginx/probe.d && chown probe /etc/nginx/probe.d && chmod 700 /var/lib/probe
WORKDIR /app
ENV NODE_ENV=production PROBE_CONFIG=/app/deploy/agent.yaml
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY config ./config
COPY deploy/agent.yaml ./deploy/agent.yaml
USER probe
EXPOSE 3050
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3050/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/agent/cli.js", "serve"]
