# axlprov: build, code generation, tests and the local run.
#
#   make run        install missing Debian packages, build, start PostgreSQL + axlprovd
#   make test       unit tests, generated/ freshness, integration + compatibility
#                   tests, all of them also under AddressSanitizer + UBSan
#   make generate   rebuild generated/ from wsdl/ (never edit generated/ by hand)
#   make docs       rewrite docs/settings.md from the settings table in src/config.c
#   make format     clang-format the C sources (.clang-format); format-check only checks

PKGS      := libpq openssl gsoapssl sofia-sip-ua
# What building and `make run` need; then what only the tests, the fuzzers
# and the benchmark need (`make test` installs both).
DEB_PKGS  := gcc make pkg-config gsoap libgsoap-dev libpq-dev libssl-dev postgresql \
             openssl curl libsofia-sip-ua-dev
TEST_DEB_PKGS := libcmocka-dev libxml2-utils python3-zeep python3-lxml python3-pytest wrk \
             sip-tester stunnel4 haproxy clang libclang-rt-14-dev clang-format \
             baresip-core python3-cryptography \
             chromium chromium-driver python3-selenium ansible python3-xmltodict \
             kamailio kamailio-postgres-modules
# Node.js and npm for the tests' npm packages (tests/package.json): Debian's,
# installed only when no npm is on the PATH (NodeSource's nodejs carries its
# own npm and conflicts with Debian's npm package).
NODE_DEB_PKGS := nodejs npm
PYTHON    := /usr/bin/python3
GSOAP_IMPORT := /usr/share/gsoap/import

WARN      := -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes -Wshadow \
             -Wformat=2 -Wpointer-arith -Wvla -Wimplicit-fallthrough -Wundef
OPT       ?= -O2 -g
STD       := -std=gnu11
SAN       := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# pkg-config runs only when building: `make deps` must work before it exists.
# Library headers are -isystem: their warnings are not ours.
pkgflags   = $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(PKGS)))
pkglibs    = $(shell pkg-config --libs $(PKGS)) -lssl -lcrypto -lz -pthread

SRC       := $(wildcard src/*.c)
GEN_C     := generated/soapC.c generated/soapServer.c
GEN_ALL   := generated/axl.h generated/soapH.h generated/soapStub.h $(GEN_C)
# Modules that are pure C (no gSOAP, no libpq): what the unit tests link.
PURE      := src/err.c src/axl_fault.c src/version.c src/uuid.c src/xbuf.c src/profile_fields.c \
             src/profile.c src/models.c src/like.c src/config.c src/log.c src/text.c src/xmlguard.c src/phone.c \
             src/sip_rules.c src/sip_facts.c src/audit.c src/backoff.c \
             src/ops.c src/metrics.c src/throttle.c src/reqlog.c src/capf.c src/sql_informix.c src/est_rules.c
UNIT      := $(wildcard tests/unit/test_*.c)
# The administration console's static files, built into the binary as
# build/console_files.c (tools/embed_console.py; served by pages.c).
CONSOLE   := $(wildcard console/*)

.PHONY: all build asan deps test-deps generate check-generated check-libpq unit unit-asan integration \
        integration-asan test run clean docs check-docs format format-check check-style

all: build
build: check-libpq build/axlprovd
asan: check-libpq build/asan/axlprovd

# libpq stays behind the database layer: only db.c and the repositories
# (repo_*.c) may include libpq-fe.h or db_pq.h, the header that wraps it.
LIBPQ_OK := src/db.c src/db_pq.h $(wildcard src/repo_*.c)
check-libpq:
	@bad=$$(grep -lE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](libpq-fe|db_pq)\.h[>"]' \
	  $(filter-out $(LIBPQ_OK),$(wildcard src/*.c src/*.h tests/unit/*.c tests/fuzz/*.c tests/fuzz/*.h))); \
	  if [ -n "$$bad" ]; then echo "libpq outside db.c and repo_*.c: $$bad"; exit 1; fi

# --- objects -------------------------------------------------------------
build/%.o: src/%.c $(GEN_ALL) | build/.dirs
	$(CC) $(STD) $(OPT) $(WARN) -Isrc -isystem generated $(pkgflags) -MMD -MP -c -o $@ $<
build/gen/%.o: generated/%.c $(GEN_ALL) | build/.dirs
	$(CC) $(STD) $(OPT) -w -isystem generated $(pkgflags) -c -o $@ $<
build/console_files.c: $(CONSOLE) tools/embed_console.py | build/.dirs
	$(PYTHON) tools/embed_console.py console $@
build/console_files.o: build/console_files.c src/console_files.h
	$(CC) $(STD) $(OPT) $(WARN) -Isrc -c -o $@ $<
build/asan/console_files.o: build/console_files.c src/console_files.h | build/.dirs
	$(CC) $(STD) $(SAN) $(WARN) -Isrc -c -o $@ $<

build/axlprovd: $(SRC:src/%.c=build/%.o) $(GEN_C:generated/%.c=build/gen/%.o) build/console_files.o
	$(CC) $(OPT) -o $@ $^ $(pkglibs) -lpq

build/asan/%.o: src/%.c $(GEN_ALL) | build/.dirs
	$(CC) $(STD) $(SAN) $(WARN) -Isrc -isystem generated $(pkgflags) -MMD -MP -c -o $@ $<
build/asan/gen/%.o: generated/%.c $(GEN_ALL) | build/.dirs
	$(CC) $(STD) $(SAN) -w -isystem generated $(pkgflags) -c -o $@ $<
build/asan/axlprovd: $(SRC:src/%.c=build/asan/%.o) $(GEN_C:generated/%.c=build/asan/gen/%.o) \
                     build/asan/console_files.o
	$(CC) $(SAN) -o $@ $^ $(pkglibs) -lpq

build/.dirs:
	@mkdir -p build/gen build/asan/gen build/unit build/unit-asan
	@touch $@

-include $(wildcard build/*.d build/asan/*.d)

# --- code generation -----------------------------------------------------
# wsdl2h + soapcpp2 from Debian's gsoap; the output is committed.
# Runs inside the output folder on copies of the inputs, so that the paths
# gSOAP writes into comments are the same wherever it runs.
define run_generate
	rm -rf $(1) && mkdir -p $(1)
	cp wsdl/axl.wsdl wsdl/typemap.dat wsdl/axlsvc.h $(1)/
	cd $(1) && wsdl2h -c -j -x -L -t typemap.dat -o axl.h axl.wsdl
	cd $(1) && soapcpp2 -c -S -L -x -w -1 -I$(GSOAP_IMPORT) -d . axlsvc.h
	rm -f $(1)/*.nsmap $(1)/axl.wsdl $(1)/typemap.dat
endef

generate:
	$(call run_generate,generated)

# Regenerates into a scratch folder and compares (ignoring gSOAP's time stamps).
check-generated:
	$(call run_generate,build/regen)
	diff -r -I 'SOAP_SOURCE_STAMP' -I '^   [0-9-]* [0-9:]* GMT$$' generated build/regen \
	  || { echo "generated/ is stale: run 'make generate' and commit the result"; exit 1; }
	@echo "generated/ is up to date"

# --- documentation generated from code --------------------------------------
# docs/settings.md is `axlprovd settings-markdown`: the settings table in
# src/config.c (the one --help prints), so a new setting needs only `make docs`.
docs: build/axlprovd
	build/axlprovd settings-markdown >docs/settings.md

check-docs: build/axlprovd
	@build/axlprovd settings-markdown | diff -u docs/settings.md - \
	  || { echo "docs/settings.md is stale: run 'make docs' and commit the result"; exit 1; }
	@echo "docs/settings.md is up to date"

# --- formatting --------------------------------------------------------------
# .clang-format holds the house style (Debian's clang-format 14); generated/
# is left as gSOAP writes it.
FORMAT_SRC := $(wildcard src/*.c src/*.h tests/unit/*.c tests/unit/*.h tests/fuzz/*.c tests/fuzz/*.h)
CLANG_FORMAT ?= clang-format

format:
	$(CLANG_FORMAT) -i $(FORMAT_SRC)

format-check:
	$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_SRC)

# The house rules a compiler does not check: the layout .clang-format
# describes, and no function over 60 lines (tools/check_function_length.py).
check-style: format-check
	$(PYTHON) tools/check_function_length.py $(filter %.c,$(FORMAT_SRC))

# --- Debian and npm packages ---------------------------------------------
# The npm part: `npm ci` into tests/node_modules exactly what
# tests/package-lock.json pins (integrity-checked), skipped when the copy
# of the lock file left by the last install says it is already in sync
# (and the package is there);
# --prefer-offline takes what npm's cache holds without asking the registry.
NPM_STAMP := tests/node_modules/.axlprov-package-lock.json

# Installs the Debian packages of $(1) that are missing (through sudo
# unless root).
define install_debs
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call install_debs,$(DEB_PKGS))

test-deps: deps
	$(call install_debs,$(TEST_DEB_PKGS) $(if $(shell command -v npm),,$(NODE_DEB_PKGS)))
	@if cmp -s tests/package-lock.json $(NPM_STAMP) && [ -f tests/node_modules/cisco-axl/package.json ]; then \
	  echo "tests/node_modules is in sync with tests/package-lock.json"; \
	else \
	  echo "npm ci --prefix tests --prefer-offline --no-audit --no-fund"; \
	  npm ci --prefix tests --prefer-offline --no-audit --no-fund && \
	  cp tests/package-lock.json $(NPM_STAMP); \
	fi

# --- tests ---------------------------------------------------------------
build/unit/%: tests/unit/%.c $(PURE) $(wildcard src/*.h) tests/unit/testutil.h | build/.dirs
	$(CC) $(STD) $(OPT) $(WARN) -Isrc -o $@ $< $(PURE) -lcmocka -lcrypto -pthread
build/unit-asan/%: tests/unit/%.c $(PURE) $(wildcard src/*.h) tests/unit/testutil.h | build/.dirs
	$(CC) $(STD) $(SAN) $(WARN) -Isrc -o $@ $< $(PURE) -lcmocka -lcrypto -pthread

unit: $(UNIT:tests/unit/%.c=build/unit/%)
	@for t in $^; do echo "== $$t"; $$t || exit 1; done
unit-asan: $(UNIT:tests/unit/%.c=build/unit-asan/%)
	@for t in $^; do echo "== $$t"; $$t || exit 1; done

integration: build/axlprovd
	AXLPROV_TEST_BINARY=$(CURDIR)/build/axlprovd $(PYTHON) -m pytest -q tests/integration
integration-asan: build/asan/axlprovd
	AXLPROV_TEST_BINARY=$(CURDIR)/build/asan/axlprovd AXLPROV_TEST_SANITIZED=1 \
	  $(PYTHON) -m pytest -q tests/integration

test: test-deps
	$(MAKE) check-generated
	$(MAKE) check-docs
	$(MAKE) check-style
	$(MAKE) unit unit-asan
	$(MAKE) integration
	$(MAKE) integration-asan
	$(MAKE) fuzz

# --- running -------------------------------------------------------------
run: deps
	$(MAKE) build
	db/run.sh

clean:
	rm -rf build

# --- benchmark -----------------------------------------------------------
# `make bench` (under 10 minutes) and `make bench-quick` (under 2): the real
# server against the bare gSOAP + SELECT baseline and pgbench, side by side;
# see bench/README.md.  Results go to bench/results/ (not committed).
.PHONY: bench bench-quick bench-cluster

# The baseline links the same generated objects, built with the same flags;
# its serving shape is bench/pool.c, shared with the minimal server.
BENCH_POOL := bench/pool.c bench/pool.h
build/bench/baseline: bench/baseline.c $(BENCH_POOL) $(GEN_C:generated/%.c=build/gen/%.o) $(GEN_ALL) \
                      | build/.dirs
	@mkdir -p build/bench
	$(CC) $(STD) $(OPT) $(WARN) -Ibench -isystem generated $(pkgflags) -o $@ bench/baseline.c \
	  bench/pool.c $(GEN_C:generated/%.c=build/gen/%.o) $(pkglibs) -lpq

# The minimal server (issue 16): its one-operation WSDL goes through wsdl2h +
# soapcpp2 at build time into build/bench/minimal/gen/ (never committed),
# with the options `make generate` uses; the generated C gets the flags of
# generated/, minimal.c and pool.c those of the baseline.
MIN_DIR := build/bench/minimal
MIN_GEN := $(MIN_DIR)/gen
$(MIN_GEN)/soapH.h: bench/minimal/minimal.wsdl bench/minimal/typemap.dat | build/.dirs
	rm -rf $(MIN_GEN) && mkdir -p $(MIN_GEN)
	cp bench/minimal/minimal.wsdl bench/minimal/typemap.dat $(MIN_GEN)/
	cd $(MIN_GEN) && wsdl2h -c -j -x -L -t typemap.dat -o minimal.h minimal.wsdl
	cd $(MIN_GEN) && soapcpp2 -c -S -L -x -w -1 -I$(GSOAP_IMPORT) -d . minimal.h
	rm -f $(MIN_GEN)/*.nsmap
$(MIN_GEN)/soapC.c $(MIN_GEN)/soapServer.c: $(MIN_GEN)/soapH.h
$(MIN_GEN)/%.o: $(MIN_GEN)/%.c $(MIN_GEN)/soapH.h
	$(CC) $(STD) $(OPT) -w -isystem $(MIN_GEN) $(pkgflags) -c -o $@ $<
$(MIN_DIR)/minimal: bench/minimal/minimal.c $(BENCH_POOL) $(MIN_GEN)/soapC.o $(MIN_GEN)/soapServer.o
	$(CC) $(STD) $(OPT) $(WARN) -Ibench -isystem $(MIN_GEN) $(pkgflags) -o $@ bench/minimal/minimal.c \
	  bench/pool.c $(MIN_GEN)/soapC.o $(MIN_GEN)/soapServer.o $(pkglibs) -lpq

bench: build/axlprovd build/bench/baseline $(MIN_DIR)/minimal
	$(PYTHON) bench/run.py

bench-quick: build/axlprovd build/bench/baseline $(MIN_DIR)/minimal
	$(PYTHON) bench/run.py --quick

# `make bench-cluster` (about 20 minutes): 40,000 SIPp phones, UDP and TCP
# registration storms, a refresh load with PostgreSQL paused in it, against
# axlprovd and against Kamailio, and an apply to every phone;
# bench/cluster.py.  Not part of make test.
bench-cluster: build/axlprovd
	$(PYTHON) bench/cluster.py

# --- fuzzing -------------------------------------------------------------
# libFuzzer harnesses (clang): the request path and the SIP REGISTER path,
# all our code but db.c and repo_*.c, which tests/fuzz/fake_repo.c replaces
# with an in-memory database.  `make fuzz` first replays every kept crash
# input (tests/fuzz/regressions/), then runs each harness FUZZ_SECONDS over
# a scratch copy of the seed corpus (new inputs stay in build/, never in
# the repository).  Any crash, sanitizer report or leak fails it, and so
# does a seed that no longer gets the answer it was written for.
.PHONY: fuzz-build fuzz
FUZZ_CC      := clang
FUZZ_SECONDS ?= 60
# gcc's warnings but -Wimplicit-fallthrough: clang does not take the
# /* fall through */ comments gcc does (the gcc builds check it).
FUZZ_WARN    := $(filter-out -Wimplicit-fallthrough,$(WARN))
FUZZ_FLAGS   := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
                -fno-sanitize-recover=all
FUZZ_SRC     := $(filter-out src/main.c src/db.c $(wildcard src/repo_*.c),$(SRC)) \
                tests/fuzz/fake_repo.c
FUZZ_OBJ     := $(patsubst %.c,build/fuzz/%.o,$(notdir $(FUZZ_SRC))) \
                $(GEN_C:generated/%.c=build/fuzz/gen/%.o) build/fuzz/console_files.o
FUZZ_BINS    := build/fuzz/fuzz_request build/fuzz/fuzz_register
FUZZ_RUN     := -max_len=65536 -timeout=25 -rss_limit_mb=4096 -detect_leaks=1 \
                -print_final_stats=1

build/fuzz/.dirs:
	@mkdir -p build/fuzz/gen
	@touch $@
build/fuzz/%.o: src/%.c $(GEN_ALL) | build/fuzz/.dirs
	$(FUZZ_CC) $(STD) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(FUZZ_WARN) -Isrc -isystem generated \
	  $(pkgflags) -MMD -MP -c -o $@ $<
build/fuzz/%.o: tests/fuzz/%.c $(GEN_ALL) | build/fuzz/.dirs
	$(FUZZ_CC) $(STD) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(FUZZ_WARN) -Isrc -Itests/fuzz \
	  -isystem generated $(pkgflags) -MMD -MP -c -o $@ $<
build/fuzz/console_files.o: build/console_files.c src/console_files.h | build/fuzz/.dirs
	$(FUZZ_CC) $(STD) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -Isrc -c -o $@ $<
build/fuzz-cov/console_files.o: build/console_files.c src/console_files.h | build/fuzz-cov/.dirs
	$(FUZZ_CC) $(STD) $(COV_FLAGS) -fsanitize=fuzzer-no-link -Isrc -c -o $@ $<
build/fuzz/gen/%.o: generated/%.c $(GEN_ALL) | build/fuzz/.dirs
	$(FUZZ_CC) $(STD) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -w -isystem generated \
	  $(pkgflags) -c -o $@ $<
build/fuzz/fuzz_%: build/fuzz/fuzz_%.o $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ $(pkglibs)

# Keep the objects make would delete as intermediates.
.SECONDARY: $(FUZZ_OBJ) $(FUZZ_BINS:%=%.o)

-include $(wildcard build/fuzz/*.d)

fuzz-build: test-deps
	$(MAKE) $(FUZZ_BINS)

fuzz: fuzz-build
	$(PYTHON) tests/fuzz/check_seeds.py build/fuzz
	@set -e; for h in request register; do \
	  bin=build/fuzz/fuzz_$$h; reg=tests/fuzz/regressions/$$h; \
	  if ls $$reg/* >/dev/null 2>&1; then \
	    echo "== $$bin: replaying $$reg"; \
	    $$bin $(FUZZ_RUN) $$reg/* 2>build/fuzz/$$h-regressions.log \
	      || { tail -50 build/fuzz/$$h-regressions.log; exit 1; }; \
	  fi; \
	  rm -rf build/fuzz/corpus-$$h && cp -r tests/fuzz/corpus/$$h build/fuzz/corpus-$$h; \
	  echo "== $$bin: fuzzing $(FUZZ_SECONDS) s"; \
	  dict=tests/fuzz/axl.dict; [ $$h = request ] || dict=tests/fuzz/sip.dict; \
	  $$bin $(FUZZ_RUN) -max_total_time=$(FUZZ_SECONDS) \
	    -dict=$$dict -artifact_prefix=build/fuzz/crash-$$h- \
	    build/fuzz/corpus-$$h >build/fuzz/$$h.log 2>&1 \
	    || { tail -60 build/fuzz/$$h.log; exit 1; }; \
	  $(PYTHON) tests/fuzz/summary.py $$h build/fuzz/$$h.log; \
	done

# Line coverage of src/ reached by a corpus (default: the seeds plus what
# the last `make fuzz` found): a build with clang's source coverage instead
# of the sanitizers, each corpus replayed once, llvm-cov's per-file report.
# A developer's tool, not part of `make test`: needs Debian's llvm-14.
.PHONY: fuzz-coverage
COV_FLAGS    := -g -O0 -fprofile-instr-generate -fcoverage-mapping
COV_OBJ      := $(FUZZ_OBJ:build/fuzz/%=build/fuzz-cov/%)

build/fuzz-cov/.dirs:
	@mkdir -p build/fuzz-cov/gen
	@touch $@
build/fuzz-cov/%.o: src/%.c $(GEN_ALL) | build/fuzz-cov/.dirs
	$(FUZZ_CC) $(STD) $(COV_FLAGS) -fsanitize=fuzzer-no-link -w -Isrc -isystem generated \
	  $(pkgflags) -MMD -MP -c -o $@ $<
build/fuzz-cov/%.o: tests/fuzz/%.c $(GEN_ALL) | build/fuzz-cov/.dirs
	$(FUZZ_CC) $(STD) $(COV_FLAGS) -fsanitize=fuzzer-no-link -w -Isrc -Itests/fuzz \
	  -isystem generated $(pkgflags) -MMD -MP -c -o $@ $<
build/fuzz-cov/gen/%.o: generated/%.c $(GEN_ALL) | build/fuzz-cov/.dirs
	$(FUZZ_CC) $(STD) -g -O0 -fsanitize=fuzzer-no-link -w -isystem generated $(pkgflags) \
	  -c -o $@ $<
build/fuzz-cov/fuzz_%: build/fuzz-cov/fuzz_%.o $(COV_OBJ)
	$(FUZZ_CC) $(COV_FLAGS) -fsanitize=fuzzer -o $@ $^ $(pkglibs)
.SECONDARY: $(COV_OBJ) build/fuzz-cov/fuzz_request.o build/fuzz-cov/fuzz_register.o
-include $(wildcard build/fuzz-cov/*.d)

fuzz-coverage: build/fuzz-cov/fuzz_request build/fuzz-cov/fuzz_register
	@command -v llvm-cov-14 >/dev/null || { echo "fuzz-coverage needs llvm-14 (apt-get install llvm-14)"; exit 1; }
	@set -e; for h in request register; do \
	  dirs="tests/fuzz/corpus/$$h"; [ -d build/fuzz/corpus-$$h ] && dirs="$$dirs build/fuzz/corpus-$$h"; \
	  rm -f build/fuzz-cov/$$h.profraw; \
	  LLVM_PROFILE_FILE=build/fuzz-cov/$$h.profraw build/fuzz-cov/fuzz_$$h -runs=0 $$dirs \
	    >build/fuzz-cov/$$h.log 2>&1; \
	  llvm-profdata-14 merge -sparse -o build/fuzz-cov/$$h.profdata build/fuzz-cov/$$h.profraw; \
	  echo "== fuzz_$$h over $$dirs"; \
	  files="src/sip.c src/sip_rules.c"; \
	  [ $$h = register ] || files="src/server.c src/request.c src/http.c src/pages.c src/xmlguard.c \
	    src/auth.c src/version.c src/svc.c src/svc_profile.c src/svc_phone.c src/svc_user.c \
	    src/svc_apply.c src/axl_wire.c src/axl_fault.c src/profile.c src/profile_fields.c \
	    src/phone.c src/phone_ops.c src/profile_ops.c src/ops.c src/err.c src/like.c \
	    src/uuid.c src/text.c src/apply_status.c"; \
	  llvm-cov-14 report build/fuzz-cov/fuzz_$$h -instr-profile=build/fuzz-cov/$$h.profdata $$files \
	    | awk 'BEGIN { fmt = "%-18s %6s %7s %11s %13s\n" } \
		   NR == 1 { printf fmt, "file", "lines", "missed", "line-cover", "branch-cover" } \
		   NF >= 13 && NR > 1 { printf fmt, $$1, $$8, $$9, $$10, $$13 }'; \
	done
