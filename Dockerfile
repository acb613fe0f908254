# syntax=docker/dockerfile:1
# One image runs the API (APP_ROLE=api), the worker (APP_ROLE=worker) and the migrations
# (node dist/apps/api/src/cli/migrate.js run). Runtime choice: docs/decisions/0029-container-image.md.
# Checked without an engine by test/dockerfile.e2e-spec.ts (dockerfile-ast + dockerfile-utils).
#
#   docker build --build-arg APP_VERSION=1.4.2 --build-arg GIT_COMMIT=$(git rev-parse HEAD) \
#     --build-arg BUILD_TIME=$(date -u +%Y-%m-%dT%H:%M:%SZ) -t wxmp-backend:1.4.2 .

# Every stage on the same pinned Node build (the spec checks it): the V8 code cache written by
# `npm run build` is only accepted by the exact Node/V8 that wrote it (ADR 0011).

# --- toolchain: what compiles a native addon without a prebuilt binary for this Node ------
# (better-sqlite3); only the deps and build stages have it, never the runtime image
FROM node:26.3.0-trixie-slim AS toolchain
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./

# --- deps: production dependencies only, from the lockfile --------------------------------
FROM toolchain AS deps
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- build: compile, bundle and write the code cache ----------------------------------------
FROM toolchain AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY scripts ./scripts
COPY libs ./libs
COPY apps ./apps
RUN npm run build

# --- runtime -------------------------------------------------------------------------------
FROM node:26.3.0-trixie-slim AS runtime
# tini as PID 1: forwards SIGTERM to node (graceful shutdown, lifecycle/graceful-shutdown.ts) and reaps zombies
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ARG APP_VERSION=0.0.0-dev
ARG GIT_COMMIT=unknown
ARG BUILD_TIME=unknown
LABEL org.opencontainers.image.title="wxmp-backend" \
      org.opencontainers.image.version="${APP_VERSION}" \
      org.opencontainers.image.revision="${GIT_COMMIT}" \
      org.opencontainers.image.created="${BUILD_TIME}"
# the same environment as `npm run start:prod` (performance note 0014 for MALLOC_ARENA_MAX)
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    PORT=3000 \
    APP_VERSION=${APP_VERSION} \
    GIT_COMMIT=${GIT_COMMIT} \
    BUILD_TIME=${BUILD_TIME}
COPY --chown=root:root package.json package-lock.json ./
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# the code runs as `node` (uid 1000 in the official image) and owns nothing it could rewrite;
# numeric, so Kubernetes' runAsNonRoot can verify it
USER 1000:1000
EXPOSE 3000 9464
HEALTHCHECK --interval=10s --timeout=2s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# what `npm run start:prod` runs: node, package.json config.apiNodeFlags, the bundled entry
CMD ["node", "--no-allocation-site-pretenuring", "dist/api/main.js"]
