# vecindex: PGXS build.
#
#   make                  build (warnings are errors when WERROR=1)
#   make install          install into the server found by PG_CONFIG
#   make installcheck     pg_regress against a running server
#   make unittest         the distance-kernel unit tests
#   make fuzz             build the libFuzzer targets and run each for
#                         FUZZ_SECONDS (default 30; test/fuzz/README)
#   test/run              the whole suite on a throwaway cluster (see README.md)

EXTENSION = vecindex
EXTVERSION = 0.3.0

MODULE_big = vecindex
OBJS = \
	src/vector.o \
	src/vectorparse.o \
	src/vectorfuncs.o \
	src/halfvec.o \
	src/halfvecparse.o \
	src/distance.o \
	src/distance_half.o \
	src/distance_sq8.o \
	src/distance_bit.o \
	src/bitvec.o \
	src/distance_sparse.o \
	src/sparsevec.o \
	src/sparsevecparse.o \
	src/hnsw.o \
	src/hnswbuild.o \
	src/hnswcheck.o \
	src/hnswmemgraph.o \
	src/hnswreach.o \
	src/hnswreachgraph.o \
	src/hnswinsert.o \
	src/hnswscan.o \
	src/hnswscanstats.o \
	src/hnswsearch.o \
	src/hnswstats.o \
	src/hnswpinned.o \
	src/hnswrecent.o \
	src/hnswreuse.o \
	src/hnswutils.o \
	src/hnswvector.o \
	src/hnswvacuum.o

# CREATE EXTENSION runs the first version's script and then the upgrade
# scripts in turn (as contrib's modules do), so each object is defined once
# and a fresh install and an upgraded one cannot differ.
DATA = sql/$(EXTENSION)--0.1.0.sql sql/$(EXTENSION)--0.1.0--0.2.0.sql \
	sql/$(EXTENSION)--0.2.0--0.3.0.sql

# pg_regress scripts live in sql/, their outputs in expected/.
REGRESS = vector_input vector_functions vector_ops vector_aggregates vector_casts hnsw_basic hnsw_options hnsw_tables hnsw_check hnsw_scan_stats hnsw_short_plans hnsw_reused_distances bit_functions sparsevec_input sparsevec_functions sparsevec_casts halfvec_input halfvec_functions halfvec_casts halfvec_aggregates sparsevec_halfvec
REGRESS_OPTS = --load-extension=$(EXTENSION)

PG_CONFIG ?= pg_config

# Kernels pick their instruction set at run time (function target attributes),
# so no -march flag is needed and a default build runs on any x86-64.
PG_CPPFLAGS += -I$(srcdir)/src
# Header dependencies: the compiler writes each object's list of headers
# (src/*.d) as it compiles it, so a changed header rebuilds exactly the
# objects that include it (PGXS tracks none unless the server was configured
# with --enable-depend); the lists are read at the end of this file.
PG_CPPFLAGS += -MMD -MP
PG_CFLAGS += -Wall -Wmissing-prototypes -Wpointer-arith -Wdeclaration-after-statement

ifeq ($(WERROR),1)
PG_CFLAGS += -Werror
endif
ifeq ($(ASSERTS),1)
PG_CPPFLAGS += -DUSE_ASSERT_CHECKING
endif

# JIT bitcode would need clang at build time on every machine; the extension
# has nothing worth inlining into JIT-compiled expressions.
override with_llvm = no

FUZZ_TARGETS = test/fuzz/fuzz_vector_text test/fuzz/fuzz_vector_binary \
	test/fuzz/fuzz_sparsevec_text test/fuzz/fuzz_sparsevec_binary \
	test/fuzz/fuzz_halfvec_text test/fuzz/fuzz_halfvec_binary

EXTRA_CLEAN = $(OBJS:.o=.d) test/unit/test_distance test/unit/test_distance_bit test/unit/prefetch_probe.o test/unit/prefetch_probe.d test/tmp_check $(FUZZ_TARGETS) test/fuzz/work test/unit/test_sparse

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Standalone unit test of every distance-kernel variant (no server needed).
test/unit/test_distance: test/unit/test_distance.c src/distance.c src/distance_half.c src/distance_sq8.c src/distance.h src/distance_sums.h
	$(CC) -O2 -Wall -Werror -I$(srcdir)/src -o $@ test/unit/test_distance.c src/distance.c src/distance_half.c src/distance_sq8.c -lm

# The same for the bit-string (popcount) kernels.
test/unit/test_distance_bit: test/unit/test_distance_bit.c src/distance_bit.c src/distance_bit.h
	$(CC) -O2 -Wall -Werror -I$(srcdir)/src -o $@ test/unit/test_distance_bit.c src/distance_bit.c

# Standalone unit test of the sparse merge kernels against dense sums.
test/unit/test_sparse: test/unit/test_sparse.c src/distance_sparse.c src/distance_sparse.h
	$(CC) -O2 -Wall -Werror -I$(srcdir)/src -o $@ test/unit/test_sparse.c src/distance_sparse.c -lm

# The shape in which gcc deleted prefetches, compiled as the extension is.
test/unit/prefetch_probe.o: test/unit/prefetch_probe.c src/hnsw_prefetch.h
	$(CC) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

.PHONY: unittest
unittest: test/unit/test_distance test/unit/test_distance_bit test/unit/prefetch_probe.o test/unit/test_sparse all
	test/unit/test_distance
	test/unit/test_distance_bit
	test/unit/test_sparse
	$(srcdir)/test/unit/check_prefetch $(MODULE_big)$(DLSUFFIX) test/unit/prefetch_probe.o

# The header lists written by the last compile (see PG_CPPFLAGS above).
-include $(OBJS:.o=.d)

# libFuzzer targets over the vector, halfvec and sparsevec parsers
# (src/vectorparse.c, src/halfvecparse.c, src/sparsevecparse.c), built with
# clang (libFuzzer, ASan, UBSan) and PostgreSQL's libpgcommon (the Ryu float
# formatter the output functions use).  `make fuzz-build` only builds them;
# `make fuzz` builds and runs each for FUZZ_SECONDS via test/fuzz/run.
FUZZ_CC ?= clang-14
FUZZ_SECONDS ?= 30
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra -Wno-unused-parameter -Werror
PGCOMMON_LIB = $(or $(wildcard $(pkglibdir)/libpgcommon.a $(libdir)/libpgcommon.a), \
	$(error libpgcommon.a not found in $(pkglibdir) or $(libdir)))

# The sparsevec targets run sparsevecparse.c (a more specific pattern, so
# make prefers it to the one below).
test/fuzz/fuzz_sparsevec_%: test/fuzz/fuzz_sparsevec_%.c test/fuzz/fuzz_common.h \
		test/fuzz/fuzz_sparse_common.h \
		test/fuzz/pg_stubs.c src/sparsevecparse.c src/sparsevecparse.h
	$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(srcdir)/src -I$(includedir_server) -o $@ \
		$< test/fuzz/pg_stubs.c src/sparsevecparse.c $(PGCOMMON_LIB) -lm

# The halfvec parsers round with distance_half.c, which needs distance.c.
FUZZ_SRCS = src/vectorparse.c src/halfvecparse.c src/distance.c src/distance_half.c

test/fuzz/fuzz_%: test/fuzz/fuzz_%.c test/fuzz/fuzz_common.h test/fuzz/pg_stubs.c \
		$(FUZZ_SRCS) src/vectorparse.h src/halfvecparse.h src/distance.h
	$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(srcdir)/src -I$(includedir_server) -o $@ \
		$< test/fuzz/pg_stubs.c $(FUZZ_SRCS) $(PGCOMMON_LIB) -lm

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_TARGETS)

fuzz: fuzz-build
	test/fuzz/run --no-build $(FUZZ_SECONDS)
