# Builds and releases parmap. `make` builds ./parmap for this machine;
# `make release` builds static binaries for each of ARCHES (linux) into
# DIST with the version and commit stamped in, and their SHA-256 sums.

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
ARCHES  ?= amd64 arm64
DIST    ?= dist

PKG     := github.com/parmap/parmap/cmd
LDFLAGS := -s -w -X $(PKG).Version=$(VERSION) -X $(PKG).Commit=$(COMMIT)
FLAGS   := -trimpath -tags urfave_cli_no_docs -ldflags "$(LDFLAGS)"

.PHONY: build test release clean

build:
	CGO_ENABLED=0 go build $(FLAGS) -o parmap .

test:
	go test -race ./...

release:
	mkdir -p $(DIST)
	for arch in $(ARCHES); do \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$arch go build $(FLAGS) \
			-o $(DIST)/parmap-$(VERSION)-linux-$$arch . || exit 1; \
	done
	cd $(DIST) && sha256sum parmap-$(VERSION)-linux-* > SHA256SUMS

clean:
	rm -rf $(DIST) parmap
