# syntax=docker/dockerfile:1
# Build: a static binary (modernc.org/sqlite needs no cgo). The first build
# downloads the modules and compiles them: a few minutes; later builds reuse
# the module layer.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/shopbridge ./cmd/shopbridge \
 && mkdir -p /out/data

# Run: no shell, no root, state and config on the /data volume (owned by the
# image's user, so that a new named volume is writable by it).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/shopbridge /usr/local/bin/shopbridge
COPY --from=build --chown=nonroot:nonroot /out/data /data
USER nonroot:nonroot
VOLUME ["/data"]
WORKDIR /data
EXPOSE 8080
# The image has no shell or curl: the binary probes its own /healthz (on the
# config's http.listen, which must be 0.0.0.0:8080 in a container).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/shopbridge", "healthcheck", "--config", "/data/shopbridge.yaml"]
ENTRYPOINT ["/usr/local/bin/shopbridge"]
CMD ["run", "--config", "/data/shopbridge.yaml"]
