# syntax=docker/dockerfile:1
# Toposync Streaming add-on image (amd64, aarch64).
#
# .github/workflows/builder.yaml builds and publishes it (Home Assistant's builder actions, one
# native runner per architecture); Supervisor (2025.07 and later) builds it itself only for a copy
# whose config.yaml has no `image:`. Both build with BuildKit from the repository root, which is the
# add-on folder: `docker buildx build --platform linux/<arch> .`. BuildKit provides BUILDPLATFORM
# and TARGETARCH. The manual build command is in DOCS.md ("Building the image yourself").
#
# No build.yaml (Supervisor deprecates it since 2026.04; everything it would carry lives here). The
# base image is written out instead of taken from a BUILD_FROM argument: a Supervisor older than
# 2026.04 that finds no build.yaml passes BUILD_FROM=ghcr.io/home-assistant/<arch>-base:latest,
# which would silently move the image off Alpine 3.24. An unused build argument is ignored.

# ---------------------------------------------------------------------------------------------
# MediaMTX v1.20.1: the release tarball, verified against the release's checksums.sha256.
# Runs on the build platform: it only downloads and checks files for the target architecture.
FROM --platform=$BUILDPLATFORM ghcr.io/home-assistant/base:3.24 AS mediamtx
ARG TARGETARCH
ARG MEDIAMTX_VERSION=v1.20.1
WORKDIR /tmp/mediamtx
RUN set -eu; \
    case "${TARGETARCH:-}" in \
      amd64) platform=linux_amd64 ;; \
      arm64) platform=linux_arm64 ;; \
      *) echo "TARGETARCH='${TARGETARCH:-}': build with BuildKit for linux/amd64 or linux/arm64" >&2; exit 1 ;; \
    esac; \
    asset="mediamtx_${MEDIAMTX_VERSION}_${platform}.tar.gz"; \
    release="https://github.com/bluenviron/mediamtx/releases/download/${MEDIAMTX_VERSION}"; \
    curl -fsSL -o checksums.sha256 "${release}/checksums.sha256"; \
    curl -fsSL -o "${asset}" "${release}/${asset}"; \
    # Exactly one line for this asset (the file is written by `sha256sum -b`, hence the optional '*').
    awk -v a="${asset}" '$2 == a || $2 == "*" a' checksums.sha256 > asset.sha256; \
    test "$(wc -l < asset.sha256)" -eq 1; \
    sha256sum -c asset.sha256; \
    tar -xzf "${asset}" mediamtx LICENSE; \
    install -D -m 0755 mediamtx /out/mediamtx; \
    install -D -m 0644 LICENSE /out/licenses/mediamtx/LICENSE

# ---------------------------------------------------------------------------------------------
# go2rtc v1.9.14 publishes no checksum file, so it is built from its Go module instead of
# downloaded: `go install module@version` checks the module and every dependency against the Go
# checksum database (sum.golang.org), so a tampered proxy or repository fails the build.
# Cross-compiled on the build platform (pure Go, CGO off).
FROM --platform=$BUILDPLATFORM golang:1.25-alpine AS go2rtc
ARG TARGETARCH
ARG GO2RTC_VERSION=v1.9.14
ENV CGO_ENABLED=0 \
    GOTOOLCHAIN=local \
    GOSUMDB=sum.golang.org
RUN set -eu; \
    case "${TARGETARCH:-}" in amd64|arm64) ;; *) echo "TARGETARCH='${TARGETARCH:-}' is not amd64/arm64" >&2; exit 1 ;; esac; \
    GOOS=linux GOARCH="${TARGETARCH}" go install -trimpath -ldflags "-s -w" "github.com/AlexxIT/go2rtc@${GO2RTC_VERSION}"; \
    # A cross-compiled install lands in bin/linux_<arch>/, a native one in bin/.
    bin="$(find "$(go env GOPATH)/bin" -type f -name go2rtc)"; \
    test -f "${bin}"; \
    install -D -m 0755 "${bin}" /out/go2rtc; \
    # The module cache case-encodes the path (AlexxIT -> !alexx!i!t): look the licence up instead.
    # Exactly one match, or `test -f` fails (no `| head`: the base image's shell may run pipefail).
    license="$(find "$(go env GOMODCACHE)" -path "*/go2rtc@${GO2RTC_VERSION}/LICENSE")"; \
    test -f "${license}"; \
    install -D -m 0644 "${license}" /out/licenses/go2rtc/LICENSE

# ---------------------------------------------------------------------------------------------
# The server (TypeScript -> dist/) and the web UI (-> web/dist/), built once on the build
# platform. The production dependencies are plain JavaScript (a test checks package-lock.json
# for install scripts and platform-specific packages), so the pruned node_modules runs on either
# target architecture.
FROM --platform=$BUILDPLATFORM ghcr.io/home-assistant/base:3.24 AS app
RUN apk add --no-cache nodejs npm
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# `npm run build` compiles the server and runs `npm run build:web`; the tests make sure both
# outputs exist before the dev dependencies go.
RUN npm run build \
    && test -f dist/main.js \
    && test -f web/dist/app.js \
    && npm prune --omit=dev --no-audit --no-fund

# ---------------------------------------------------------------------------------------------
FROM ghcr.io/home-assistant/base:3.24
ARG BUILD_VERSION=dev

# Node runs the server; FFmpeg does publishers, stills and fallback sessions; DejaVu Sans draws
# the placeholder text (the server looks for it at the Debian path, hence the link).
RUN set -eu; \
    apk add --no-cache nodejs ffmpeg font-dejavu; \
    font="$(find /usr/share/fonts -name DejaVuSans.ttf)"; \
    test -f "${font}"; \
    mkdir -p /usr/share/fonts/truetype/dejavu; \
    ln -sf "${font}" /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf; \
    node -e 'const [a, b] = process.versions.node.split(".").map(Number); if (a < 20 || (a === 20 && b < 19)) { console.error(`Node ${process.version} is older than 20.19`); process.exit(1); }'

COPY --from=mediamtx /out/mediamtx /usr/local/bin/mediamtx
COPY --from=go2rtc /out/go2rtc /usr/local/bin/go2rtc
COPY --from=mediamtx /out/licenses/ /usr/local/share/licenses/
COPY --from=go2rtc /out/licenses/ /usr/local/share/licenses/

# Only what runs: package.json (ESM "type"), production node_modules, the compiled server and UI.
WORKDIR /app
COPY --from=app /src/package.json ./package.json
COPY --from=app /src/node_modules ./node_modules
COPY --from=app /src/dist ./dist
COPY --from=app /src/web/dist ./web/dist
# The transport frame check users run inside the container (DOCS.md): plain node, production deps only.
COPY --from=app /src/scripts/check_stream_transport_frames.mjs ./scripts/check_stream_transport_frames.mjs

COPY rootfs /
# Execute bits survive git but not every checkout (a Windows clone, an archive): set them here.
RUN chmod a+x /etc/s6-overlay/s6-rc.d/toposync-streaming/run /etc/s6-overlay/s6-rc.d/toposync-streaming/finish \
    && mediamtx --version \
    && go2rtc -version | grep -F "go2rtc version 1.9.14 " \
    && ffmpeg -hide_banner -version > /dev/null \
    && ffprobe -hide_banner -version > /dev/null

# The server answers on its own port (8100, the ingress port); see the script for what counts.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["node", "/usr/local/lib/toposync-streaming/healthcheck.mjs"]

# The io.hass.* labels (type, name, version, arch) come from whoever builds: the workflow or Supervisor.
LABEL \
    org.opencontainers.image.title="Toposync Streaming" \
    org.opencontainers.image.description="Home Assistant add-on: every IP camera playable everywhere, encoding only while somebody watches" \
    org.opencontainers.image.source="https://github.com/toposync/toposync-streaming" \
    org.opencontainers.image.version="${BUILD_VERSION}"
