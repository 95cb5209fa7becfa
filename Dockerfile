# iamlab as a container: `docker build -t iamlab . && docker run -p 8787:8787 -e IAMLAB_ADMIN_TOKEN=$(openssl rand -hex 24) iamlab`
# Listening on 0.0.0.0, npm start refuses the documented admin token and warns about the other
# documented secrets (src/tools/local-config.ts checkExposure): pass your own with -e.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ENV WRANGLER_SEND_METRICS=false
EXPOSE 8787
VOLUME /data
CMD ["npm", "start", "--", "--host", "0.0.0.0", "--persist-to", "/data"]
