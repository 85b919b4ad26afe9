# syntax=docker/dockerfile:1
# tenantdesk: multi-stage build. SQLite (mattn/go-sqlite3) needs cgo, so the binary links glibc;
# the runtime image is distroless "base" (glibc, CA certificates, no shell) running as non-root.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/root/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/root/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=1 go build -trimpath \
      -ldflags "-s -w -X github.com/tenantdesk/tenantdesk/internal/app.Version=${VERSION}" \
      -o /out/tenantdesk ./cmd/tenantdesk \
 && mkdir -p /out/data

FROM gcr.io/distroless/base-debian12:nonroot
COPY --from=build /out/tenantdesk /usr/local/bin/tenantdesk
COPY --from=build --chown=nonroot:nonroot /out/data /data
USER nonroot:nonroot
ENV TENANTDESK_LISTEN=:8080 \
    TENANTDESK_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/tenantdesk"]
CMD ["serve"]
