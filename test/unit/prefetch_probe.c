/*
 * prefetch_probe.c
 *	  The shape that made gcc delete prefetches, compiled as the extension
 *	  is (test/unit/check_prefetch counts what survives).
 *
 * only_prefetch reads nothing and writes nothing: with __builtin_prefetch
 * alone gcc's IPA pure/const pass finds it const, and a call to a const
 * function whose result is unused is deleted -- with it both prefetches.
 * hnsw_prefetch's volatile asm must keep them at any optimisation level
 * and with any compiler that builds the extension.
 */
#include "postgres.h"

#include "hnsw_prefetch.h"

extern void prefetch_probe(const char *p);

static pg_noinline void
only_prefetch(const char *p)
{
	hnsw_prefetch(p);
	hnsw_prefetch(p + 4096);
}

void
prefetch_probe(const char *p)
{
	only_prefetch(p);
}
