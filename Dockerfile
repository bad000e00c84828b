# syntax=docker/dockerfile:1
# Build: a static binary (modernc.org/sqlite needs no cgo).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/shopbridge ./cmd/shopbridge

# Run: no shell, no root, state on the /data volume.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/shopbridge /usr/local/bin/shopbridge
USER nonroot:nonroot
VOLUME ["/data"]
WORKDIR /data
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/shopbridge"]
CMD ["run", "--config", "/data/shopbridge.yaml"]
