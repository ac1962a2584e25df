# corridor: GNU make. `make` builds ./corridor and build/rel/libcorridor.a.
# `make check` builds the ASan+UBSan variant in build/san and runs every test
# (unit + database) inside a throw-away pg_virtualenv cluster.
PKGS       := libpq gsl jansson libcrypto freetype2
PREFIX     ?= /usr/local
DESTDIR    ?=
CFLAGS     ?= -O2 -g
BUILD      ?= build/rel
DATA_DIR   ?= ../shared/data
export DATA_DIR

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
override COR_CFLAGS := -std=c17 -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64 \
	-Wall -Wextra -Werror -Iinclude $(PKG_CFLAGS) \
	-DCOR_SHARE_DIR='"$(PREFIX)/share/corridor"'
COR_LIBS   := $(PKG_LIBS) -lcsv -lhpdf -lm
COR_LDFLAGS :=

ifeq ($(SAN),1)
override COR_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
COR_LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRC  := $(sort $(wildcard etl/*.c analysis/*.c reports/*.c))
CLI_SRC  := $(sort $(wildcard cli/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
DBT_SRC  := $(sort $(wildcard tests/db/test_*.c))
TSUP_SRC := $(sort $(wildcard tests/support/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TSUP_OBJ := $(TSUP_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
DBT_BIN  := $(DBT_SRC:tests/db/%.c=$(BUILD)/tests/db/%)
LIBA     := $(BUILD)/libcorridor.a
BIN      := $(BUILD)/corridor
HDRS     := $(wildcard include/corridor/*.h etl/*.h)

.PHONY: all check installcheck all-tests demo bench install uninstall \
	clean deps valgrind fuzz
.DEFAULT_GOAL := all

all: corridor

corridor: $(BIN)
	@if [ "$(BUILD)" = build/rel ]; then cp $(BIN) corridor.tmp && mv -f corridor.tmp corridor; fi

$(BUILD)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(COR_CFLAGS) $(CFLAGS) -c $< -o $@

$(LIBA): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIBA)
	$(CC) $(COR_LDFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIBA) $(COR_LIBS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIBA) $(TSUP_OBJ) $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(COR_CFLAGS) -Itests $(CFLAGS) $(COR_LDFLAGS) \
		$(LDFLAGS) -o $@ $< $(TSUP_OBJ) $(LIBA) $(COR_LIBS) -lcmocka

$(BUILD)/tests/db/%: tests/db/%.c $(LIBA) $(TSUP_OBJ) $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(COR_CFLAGS) -Itests $(CFLAGS) $(COR_LDFLAGS) \
		$(LDFLAGS) -o $@ $< $(TSUP_OBJ) $(LIBA) $(COR_LIBS) -lcmocka

all-tests: $(BIN) $(UNIT_BIN) $(DBT_BIN)

# Test helpers appear only in pattern rules: keep make from deleting them as
# intermediate files (and rebuilding them every time).
.SECONDARY: $(TSUP_OBJ)

deps:
	@scripts/deps.sh

# Unit tests need no server; database tests use whatever server the PG*
# variables name. scripts/run-tests.sh prints the closing
# "N passed, N failed[, N skipped]".
installcheck: all-tests
	@BUILD=$(BUILD) scripts/run-tests.sh

# pg_virtualenv -t: a private temporary cluster directory even as root
# (without it, root gets the shared cluster name 15/regress, so two checks at
# once collide). Its own chatter ("Dropping cluster ...") goes to /dev/null
# so the runner's "N passed, N failed" stays the last line; the tests' output
# reaches the terminal through fd 3. COR_REQUIRE_DB=1: no server = failure.
check: deps
	$(MAKE) BUILD=build/san SAN=1 CFLAGS="-O1 -g" all-tests
	COR_REQUIRE_DB=1 pg_virtualenv -t sh -c '$(MAKE) --no-print-directory \
		BUILD=build/san SAN=1 CFLAGS="-O1 -g" installcheck >&3 2>&1' \
		3>&1 >/dev/null

valgrind: all-tests
	@BUILD=$(BUILD) VALGRIND=1 scripts/run-tests.sh unit

# libFuzzer harness for the CSV reader and cell parsers (clang needed:
# apt-get install clang). Seeds: tests/fixtures/etl; new finds go to
# build/fuzz/corpus. FUZZ_SECONDS bounds the run.
FUZZ_SECONDS ?= 60
FUZZ_SRC := tests/fuzz/fuzz_csv.c etl/csv_reader.c etl/etl_parse.c etl/core.c
fuzz: $(FUZZ_SRC) $(HDRS)
	@mkdir -p build/fuzz/corpus
	clang -std=c17 -D_DEFAULT_SOURCE -g -O1 -Iinclude $(PKG_CFLAGS) \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		$(FUZZ_SRC) -lcsv -o build/fuzz/fuzz_csv
	build/fuzz/fuzz_csv -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		-timeout=10 build/fuzz/corpus tests/fixtures/etl

demo: deps
	@scripts/demo.sh

bench: deps all
	@scripts/bench.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/corridor/sql \
		$(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 corridor $(DESTDIR)$(PREFIX)/bin/corridor
	install -m 644 sql/*.sql $(DESTDIR)$(PREFIX)/share/corridor/sql/
	install -m 644 docs/corridor.1 $(DESTDIR)$(PREFIX)/share/man/man1/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/corridor \
		$(DESTDIR)$(PREFIX)/share/man/man1/corridor.1
	rm -rf $(DESTDIR)$(PREFIX)/share/corridor

clean:
	rm -rf build corridor
