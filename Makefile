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
TEST_PKGS  := $(BUILD_PKGS) umockdev socat poppler-utils nsis
# Packaging: NSIS for the Windows installer, osslsigncode to sign it, the
# MinGW compiler for the Windows tray (cgo).
DIST_PKGS   = $(BUILD_PKGS) $(UI_PKGS) nsis osslsigncode gcc-mingw-w64-x86-64
# zbarimg and dmtxread read the preview's barcodes independently of gozxing.
TEST_PKGS  += zbar-tools dmtx-utils
# The browser tests drive headless Chromium; `labelagent browser cert install`
# is tested with NSS's certutil.
TEST_PKGS  += chromium libnss3-tools
# The tray (ui/, built with -tags tray) is Fyne: cgo with OpenGL and X11
# headers; its smoke test runs under Xvfb with a private D-Bus session bus
# (dbus-daemon), where it plays the desktop's tray host.
UI_PKGS    := libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev
TEST_PKGS  += $(UI_PKGS) xvfb imagemagick dbus-daemon
# A real desktop's notification area draws the tray's icon and menu: Xfce's
# panel, driven with xdotool (ui/xfce_test.go).
TEST_PKGS  += xfce4-panel xdotool
# make bench: zopfli (an optimal-parse deflate in C) is the bound the zpl
# bytes benchmarks compare the shipped deflate with.
BENCH_PKGS := $(TEST_PKGS) zopfli

.PHONY: all build run test test-windows test-short bench lint fuzz deps deps-test deps-bench clean dist deps-dist

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

deps-bench:
	$(call install_pkgs,$(BENCH_PKGS))

deps-dist:
	$(call install_pkgs,$(DIST_PKGS))

build: deps
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/labelagent

# Runs the agent in the foreground on its embedded defaults: no printer and
# no carrier account needed; labels land in the output folder it prints.
run: build
	./$(BIN) run

test: deps-test
	$(GO) vet ./...
	$(GO) vet -tags tray ./ui/... ./cmd/labelagent-tray/
	$(GO) test -race -timeout 20m ./...
	$(GO) test -race -timeout 10m -tags tray ./ui/...

# The Windows build of the tray (cross-built with MinGW as `make dist` ships
# it) run under Wine on a virtual display, against the real agent
# (ui/wine_test.go). Wine is not Windows; it is the nearest a Linux build
# machine has. Debian puts wine64 in /usr/lib/wine. The cross build of Fyne
# takes minutes cold, so it is not part of `make test`; CI runs both.
WINE_PKGS := $(UI_PKGS) xvfb imagemagick gcc-mingw-w64-x86-64 wine64
test-windows:
	$(call install_pkgs,$(WINE_PKGS))
	PATH="$$PATH:/usr/lib/wine" LABELAGENT_TEST_WINE=1 $(GO) test -tags tray -count=1 -timeout 30m -run TestTrayOnWine -v ./ui

# Without the race detector and the slow end-to-end runs: for quick loops.
test-short:
	$(GO) test -short ./...

# The zpl comparison runs pdftoppm (poppler-utils) and the npm package
# zpl-image side by side with our converter; npm ci installs the latter.
bench: build deps-bench
	$(GO) test -run '^$$' -bench . -benchtime 2s -benchmem ./agent/... ./printer/... ./dhl/...
	@if command -v npm >/dev/null 2>&1; then (cd bench/zpl && npm ci --silent --no-audit --no-fund); else echo "npm not found: the zpl comparison with zpl-image will be skipped"; fi
	$(GO) test -run '^$$' -bench 'PDFLabelToZPL|PDFRendererReady|GraphicEncodings|CorpusPDF|Z64Levels|PNGLevels|SerialLineZ64' -benchtime 5x ./zpl/
	$(GO) test -run '^$$' -bench 'PageDeflate|RenderAntiAliasedText' -benchtime 7x -v ./zpl/
	$(GO) test -run '^$$' -bench 'DeflateLimits|TemplateRecall|RenderersSameEncoder' -benchtime 1x -v ./zpl/
	$(GO) test -run '^$$' -bench . -benchtime 1x ./cmd/labelagent/

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOOS=windows $(GO) vet ./agent/... ./printer/... ./cmd/...
	CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/labelagent
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/labelagent
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# Runs every fuzz target for FUZZTIME each (go test allows one target per run).
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# Packages: dist/labelagent_<v>_amd64.deb (nfpm as a library) and
# dist/labelagent-<v>-windows-amd64-installer.exe (NSIS) from cross-compiled
# binaries: the Windows service in pure Go, the tray (-tags tray) with cgo
# through MinGW unless WIN_TRAY=0. With SIGN_PFX (a PKCS#12 file)
# and SIGN_PASS set, the Windows binaries and the installer are signed with
# osslsigncode (Authenticode); SIGN_TIMESTAMP adds a timestamp server.
DIST        := dist
TRAY_TAGS   := tray,no_emoji
WIN_TRAY    ?= 1
# Debian and Windows spellings of $(VERSION) (mkdeb knows both rules);
# "=" so that only `make dist` runs it.
DEB_VERSION = $(shell $(GO) run ./installer/mkdeb -print-version deb -version "$(VERSION)")
WIN_VERSION = $(shell $(GO) run ./installer/mkdeb -print-version windows -version "$(VERSION)")
WIN_INSTALLER = $(DIST)/labelagent-$(DEB_VERSION)-windows-amd64-installer.exe

dist: deps-dist
	@rm -rf $(DIST) && mkdir -p $(DIST)/linux-amd64 $(DIST)/windows-amd64
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(DIST)/linux-amd64/labelagent ./cmd/labelagent
	# The tray is its own program (cmd/labelagent-tray: ui and the API client
	# only, Fyne with cgo), so the service stays free of Fyne and the idle
	# tray small; no_emoji leaves out Fyne's 4 MB colour emoji font.
	$(GO) build -trimpath -tags $(TRAY_TAGS) -ldflags "$(LDFLAGS)" -o $(DIST)/linux-amd64/labelagent-tray ./cmd/labelagent-tray
	$(GO) run ./installer/mkdeb -bin $(DIST)/linux-amd64/labelagent -tray-bin $(DIST)/linux-amd64/labelagent-tray -version "$(VERSION)" -out $(DIST)/labelagent_$(DEB_VERSION)_amd64.deb
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(DIST)/windows-amd64/labelagent.exe ./cmd/labelagent
	@tray=""; if [ "$(WIN_TRAY)" != 0 ]; then \
	  echo "building the Windows tray with MinGW (WIN_TRAY=0 leaves it out)"; \
	  GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc $(GO) build -trimpath -tags $(TRAY_TAGS) -ldflags "$(LDFLAGS) -H windowsgui" -o $(DIST)/windows-amd64/labelagent-tray.exe ./cmd/labelagent-tray || exit 1; \
	  tray="-DWITH_TRAY"; \
	else echo "WIN_TRAY=0: the installer carries the service only"; fi; \
	$(MAKE) --no-print-directory sign-windows FILES="$(DIST)/windows-amd64/*.exe" && \
	makensis -V2 -WX $$tray -DVERSION=$(WIN_VERSION) -DBINDIR=$(CURDIR)/$(DIST)/windows-amd64 -DOUTFILE=$(CURDIR)/$(WIN_INSTALLER) installer/windows/labelagent.nsi && \
	$(MAKE) --no-print-directory sign-windows FILES="$(WIN_INSTALLER)"
	@ls -l $(DIST)/*.deb $(DIST)/*.exe

.PHONY: sign-windows
sign-windows:
	@if [ -z "$(SIGN_PFX)" ]; then echo "not signing $(FILES) (set SIGN_PFX and SIGN_PASS to sign)"; exit 0; fi; \
	for f in $(FILES); do \
	  osslsigncode sign -pkcs12 "$(SIGN_PFX)" -pass "$(SIGN_PASS)" -n labelagent -h sha256 \
	    $(if $(SIGN_TIMESTAMP),-ts $(SIGN_TIMESTAMP)) -in "$$f" -out "$$f.signed" && mv "$$f.signed" "$$f" || exit 1; \
	  echo "signed $$f"; \
	done

clean:
	rm -rf bin dist
