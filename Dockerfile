# The worker and webhook image. Node 24 runs the TypeScript sources as they are (type stripping):
# there is no build step, the image holds src/ and the production dependencies only.
# Worker (default): node src/worker.ts · webhook: node src/webhooks/main.ts · simulator: node src/simulator/main.ts
# · setup (schedules): node bin/npp-temporal.mjs setup

FROM node:24.21.0-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency needs an install script (the Temporal core bridge ships prebuilt binaries).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24.21.0-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY bin ./bin
# The recordings archive (NPP_ARCHIVE_DIR in docker-compose.yml). A new named volume mounted here takes
# this directory's owner, so the unprivileged user can write to it.
RUN mkdir -p /var/lib/npp-temporal/recordings && chown node:node /var/lib/npp-temporal/recordings
# The official image's unprivileged user; nothing under /app is writable by it.
USER node
CMD ["node", "src/worker.ts"]
