# headroom as a container: a static binary on an empty image.
#   buildah bud --build-arg REVISION=$(git rev-parse HEAD) -t headroom .   (or docker build; make image)
#   docker run -p 8080:8080 headroom        # the embedded default: a status page on :8080
# The sources are copied without .git (.dockerignore), so the commit comes in
# as REVISION for `headroom version`.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first: a change in the sources does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
ARG REVISION=""
# CGO_ENABLED=0: a static binary, nothing to link at run time (the SQLite
# driver is pure Go). timetzdata embeds the IANA zones that schedules and
# the status page name, which an empty image lacks.
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -tags timetzdata \
      -ldflags "-s -w -X main.version=${VERSION} -X main.revision=${REVISION}" \
      -o /out/headroom ./cmd/headroom \
 && mkdir -p /out/var/lib/headroom

FROM scratch
# CA certificates for https Prometheus, Alertmanager and webhook receivers.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/headroom /headroom
# The working directory is where the embedded default keeps ./data; it
# belongs to the user headroom runs as (distroless' nonroot, 65532).
COPY --from=build --chown=65532:65532 /out/var/lib/headroom /var/lib/headroom
WORKDIR /var/lib/headroom
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/headroom"]
CMD ["serve", "--listen", ":8080"]
