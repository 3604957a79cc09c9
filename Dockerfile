# The API and worker image (compose.yaml runs it as both). The PWA is built in its own stage.
FROM node:20-slim AS pwa
WORKDIR /pwa
COPY pwa/package.json pwa/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY pwa ./
RUN npm run build

FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY api ./api
COPY workers ./workers
COPY alembic ./alembic
RUN pip install --no-cache-dir . && mkdir -p /app/var && chown nobody /app/var
COPY --from=pwa /pwa/dist ./pwa/dist
USER nobody
EXPOSE 8000

# The operator may point LANTERN_PWA_DIST elsewhere; the image ships the build here.
ENV LANTERN_PWA_DIST=/app/pwa/dist
