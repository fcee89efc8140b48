# labelagent — the two commands a new developer needs: `make run` and `make test`.
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
BIN       := bin/labelagent
STATICCHECK_VERSION := v0.8.2

# Debian packages: to build (gousb links libusb through cgo) and to test
# (umockdev fakes USB devices, socat and poppler-utils serve the emulator
# and benchmark harnesses).
BUILD_PKGS := gcc libusb-1.0-0-dev pkg-config
TEST_PKGS  := $(BUILD_PKGS) umockdev socat poppler-utils
# zbarimg and dmtxread read the preview's barcodes independently of gozxing.
TEST_PKGS  += zbar-tools dmtx-utils
# The browser tests drive headless Chromium; `labelagent browser cert install`
# is tested with NSS's certutil.
TEST_PKGS  += chromium libnss3-tools

.PHONY: all build run test test-short bench lint fuzz deps deps-test clean

all: build

# Installs the missing packages with apt (as root, or through sudo); on a
# machine without apt it names them and carries on.
define install_pkgs
	@missing=""; \
	if command -v dpkg-query >/dev/null 2>&1; then \
	  for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	fi; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	    echo "installing system packages:$$missing"; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "please install:$$missing"; \
	  fi; \
	fi
endef

deps:
	$(call install_pkgs,$(BUILD_PKGS))

deps-test:
	$(call install_pkgs,$(TEST_PKGS))

build: deps
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/labelagent

# Runs the agent in the foreground on its embedded defaults: no printer and
# no carrier account needed; labels land in the output folder it prints.
run: build
	./$(BIN) run

test: deps-test
	$(GO) vet ./...
	$(GO) test -race -timeout 20m ./...

# Without the race detector and the slow end-to-end runs: for quick loops.
test-short:
	$(GO) test -short ./...

# The zpl comparison runs pdftoppm (poppler-utils) and the npm package
# zpl-image side by side with our converter; npm ci installs the latter.
bench: build deps-test
	$(GO) test -run '^$$' -bench . -benchtime 2s -benchmem ./agent/... ./printer/... ./dhl/...
	@if command -v npm >/dev/null 2>&1; then (cd bench/zpl && npm ci --silent --no-audit --no-fund); else echo "npm not found: the zpl comparison with zpl-image will be skipped"; fi
	$(GO) test -run '^$$' -bench 'PDFLabelToZPL|PDFRendererReady|GraphicEncodings|CorpusPDF|Z64Levels' -benchtime 5x ./zpl/
	$(GO) test -run '^$$' -bench . -benchtime 1x ./cmd/labelagent/

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOOS=windows $(GO) vet ./agent/... ./printer/... ./cmd/...
	CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/labelagent
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# Runs every fuzz target for FUZZTIME each (go test allows one target per run).
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf bin dist
