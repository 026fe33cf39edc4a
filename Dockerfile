# syntax=docker/dockerfile:1

# Build stage: compiles on the builder's own platform and cross-compiles to
# the target, so multi-arch images need no emulation.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src

# Modules first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .

ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
ARG COMMIT=unknown

# CGO_ENABLED=0 gives a static binary for the distroless static image (no
# libc there); -trimpath keeps build paths out of the binary; -s -w drop
# symbol and DWARF tables.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath \
      -ldflags "-s -w -X github.com/vaultgate/vaultgate/internal/app.Version=${VERSION} -X github.com/vaultgate/vaultgate/internal/app.Commit=${COMMIT}" \
      -o /out/vaultgate ./cmd/server

# Final stage: no shell, no package manager, uid/gid 65532.
FROM gcr.io/distroless/static-debian12:nonroot

ARG VERSION=dev
ARG COMMIT=unknown
LABEL org.opencontainers.image.title="vaultgate" \
      org.opencontainers.image.description="Creates Apideck Vault sessions for signed-in users" \
      org.opencontainers.image.source="https://github.com/vaultgate/vaultgate" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}"

COPY --from=build /out/vaultgate /vaultgate

USER nonroot:nonroot
# 8080: public listener (HTTP_ADDR). 9090: admin listener (ADMIN_ADDR:
# /healthz, /readyz, /metrics) — keep it off the public network.
EXPOSE 8080 9090

# No shell in the image: the binary probes its own admin /healthz.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/vaultgate", "healthcheck"]

ENTRYPOINT ["/vaultgate"]
