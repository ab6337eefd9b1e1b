# Any scimbridge NestJS service — multi-stage build, runs as the unprivileged `node` user.
# One file for all three services (they build the same way); APP names the service, PORT its port.
# Build from the repository root:
#   docker build -f deploy/docker/service.Dockerfile --build-arg APP=scim-ingress --build-arg PORT=3000 .
FROM node:20-bookworm-slim AS build
ARG APP
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: the production image needs none of the dev-only native binaries.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.base.json tsconfig.build.json ./
COPY libs libs
COPY apps/${APP} apps/${APP}
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
ARG APP
ARG PORT=3000
ENV NODE_ENV=production HOST=0.0.0.0 PORT=${PORT} APP=${APP}
WORKDIR /app
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist/out-tsc/libs libs
COPY --from=build /src/dist/out-tsc/apps/${APP} apps/${APP}
# The workspace's @scimbridge/* path aliases, resolved the Node way.
RUN mkdir -p node_modules/@scimbridge \
 && for lib in libs/*; do ln -s "../../$lib/src" "node_modules/@scimbridge/$(basename "$lib")"; done
USER node
EXPOSE ${PORT}
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["sh", "-c", "exec node apps/$APP/src/main.js"]
