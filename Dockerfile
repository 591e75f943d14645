# One image for every service; SERVICE_MAIN picks the entry point (a service's src/main.ts,
# or packages/kit/src/migrate-cli.ts for the migration Job).
#   docker build -t switchboard .
#   docker run -e SERVICE_MAIN=gateway/src/main.ts switchboard
# Two stages: `deps` installs the production dependencies only (no dev tools, no test
# packages); the runtime stage copies them with the sources and runs as the non-root `node`
# user (uid 1000), on a filesystem it cannot write (Kubernetes mounts it read-only).
FROM node:20-bookworm-slim AS deps
ENV NODE_ENV=production NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY package.json package-lock.json ./
# Every workspace's package.json first, so the install layer is cached until one changes.
# >>> generated: workspaces (npm run compose; do not edit)
COPY packages/kit/package.json packages/kit/
COPY packages/launcher/package.json packages/launcher/
COPY subgraphs/analytics/package.json subgraphs/analytics/
COPY subgraphs/assistants/package.json subgraphs/assistants/
COPY subgraphs/conversations/package.json subgraphs/conversations/
COPY subgraphs/integrations/package.json subgraphs/integrations/
COPY subgraphs/knowledge/package.json subgraphs/knowledge/
COPY subgraphs/models/package.json subgraphs/models/
COPY subgraphs/tenants/package.json subgraphs/tenants/
COPY subgraphs/tickets/package.json subgraphs/tickets/
COPY gateway/package.json gateway/
COPY bench/package.json bench/
# <<< generated: workspaces
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim AS runtime
# HOST: services listen on 127.0.0.1 by default; in a container they must answer on its network.
ENV NODE_ENV=production HOST=0.0.0.0 TURBO_TELEMETRY_DISABLED=1 NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY scripts ./scripts
COPY schema ./schema
COPY packages ./packages
COPY subgraphs ./subgraphs
COPY gateway ./gateway
# The install linked each workspace into node_modules (relative links): the sources above are what they point at.
# Health checks are per service (docker-compose.yml, the Kubernetes probes): /healthz and /readyz on its port.
# @swc/core's platform package ships a compressed carrier that unpacks the real addon into a
# user cache on first load; on a read-only root filesystem with a noexec /tmp (docker's tmpfs
# default) that fails and no service starts. Unpack it here and put the real addon where
# @swc/core looks first (its own folder), so at run time nothing is written.
RUN SWC_NATIVE_BINDING_CACHE=/tmp/swc-unpack node -e "require('@swc/core')" \
 && pkg=$(ls -d node_modules/@swc/core-*-* | head -1) \
 && addon="node_modules/@swc/core/$(node -p "require('./$pkg/package.json').main")" \
 && cp "$(find /tmp/swc-unpack -name '*.node' | head -1)" "$addon" && chmod 0644 "$addon" \
 && rm -rf /tmp/swc-unpack
USER node
# >>> generated: ports (npm run compose; do not edit)
EXPOSE 4000 4001 4002 4003 4004 4005 4006 4007 4008
# <<< generated: ports
CMD ["sh", "-c", "exec node -r ./scripts/register.cjs \"$SERVICE_MAIN\""]
