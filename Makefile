# make build | test | lint | image — the everyday commands; CI runs
# `bash .ci/run`, which installs what the tests need and runs more.
GO       ?= go
BIN      ?= bin/headroom
IMAGE    ?= headroom:dev
# The commit, for builds that have no .git to read it from (the image).
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)

.PHONY: build test lint image image-check

# A static binary; -buildvcs=true records the commit for `headroom version`
# even where GOFLAGS turns it off.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=true -o $(BIN) ./cmd/headroom

# The README's test command. Real servers (Prometheus, PostgreSQL,
# kube-apiserver) and ../shared/data/traces are used when present.
test:
	$(GO) test ./...

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "not gofmt-ed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

# The container image (Dockerfile), with buildah or docker.
image:
	@if command -v buildah >/dev/null 2>&1; then \
	  buildah bud --build-arg REVISION=$(REVISION) -t $(IMAGE) . ; \
	else \
	  docker build --build-arg REVISION=$(REVISION) -t $(IMAGE) . ; \
	fi

# What CI runs (.ci/run): `buildah bud` of the Dockerfile with its stage
# "build" given as a directory built here (--build-context), so that no
# registry is needed: only the FROM scratch stage is built. The binary is
# built with the Dockerfile's flags (keep them in step). Then the image runs,
# as its non-root user: `version` must name the commit, and the embedded
# default config must serve one loop.
IMAGE_CTX := out/image-build
BUILDAH   ?= buildah --storage-driver vfs
image-check:
	rm -rf $(IMAGE_CTX)
	mkdir -p $(IMAGE_CTX)/out/var/lib/headroom $(IMAGE_CTX)/etc/ssl/certs
	cp /etc/ssl/certs/ca-certificates.crt $(IMAGE_CTX)/etc/ssl/certs/
	CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=false -tags timetzdata \
	  -ldflags "-s -w -X main.revision=$(REVISION)" -o $(IMAGE_CTX)/out/headroom ./cmd/headroom
	$(BUILDAH) bud --isolation chroot --pull-never --build-context build=$(IMAGE_CTX) -t $(IMAGE) .
	test "$$($(BUILDAH) inspect --format '{{.OCIv1.Config.User}}' $(IMAGE))" = 65532:65532
	ctr=$$($(BUILDAH) from --pull-never $(IMAGE)) && trap '$(BUILDAH) rm '$$ctr' >/dev/null' EXIT && \
	v=$$($(BUILDAH) run --isolation chroot $$ctr -- /headroom version) && echo "$$v" && \
	echo "$$v" | grep -q "revision $$(echo $(REVISION) | cut -c1-12)" && \
	$(BUILDAH) run --isolation chroot $$ctr -- /headroom serve --once
