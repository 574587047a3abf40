/*
 * hnsw_prefetch.h
 *	  Cache-line prefetch hints, for any graph backend: they know nothing of
 *	  pages or graphs.
 *
 * Include postgres.h before this header.
 */
#ifndef VECINDEX_HNSW_PREFETCH_H
#define VECINDEX_HNSW_PREFETCH_H

/*
 * A hint to fetch the cache line at addr; never faults, even if invalid.
 *
 * The empty volatile asm is what keeps the hint: gcc treats
 * __builtin_prefetch as free of side effects, so a function that only reads
 * memory and prefetches (disk_prefetch_tuple, hnsw_prefetch_element_head
 * when not inlined early) is found pure by its interprocedural analysis and
 * every call to it, returning nothing, is deleted -- gcc 12 -O2 left
 * hnswutils.o (the scan's page and vector prefetches) without a single
 * prefetch instruction.  An asm statement is a side effect
 * (test/unit/check_prefetch keeps watch).
 */
#if defined(__GNUC__) || defined(__clang__)
#define hnsw_prefetch(addr) \
	do { \
		const void *pf_addr_ = (addr); \
		__builtin_prefetch(pf_addr_); \
		__asm__ __volatile__("" : : "r"(pf_addr_)); \
	} while (0)
#else
#define hnsw_prefetch(addr) ((void) 0)
#endif

/*
 * The line size prefetches step by.  Not PG_CACHE_LINE_SIZE: that is 128,
 * an upper bound for padding, and stepping by it asks for only every other
 * 64-byte line of x86 and most ARM cores -- measured, a scan then waits
 * for the other half (Fashion-MNIST ef_search 20: 0.49 ms a query against
 * 0.42 ms at 64; 100,000 x 128: 0.50 against 0.40 ms).
 */
#define HNSW_PREFETCH_STRIDE 64

/* Asks for every cache line of p[0..len-1] (len > 0) */
static inline void
hnsw_prefetch_range(const char *p, Size len)
{
	for (Size done = 0; done < len; done += HNSW_PREFETCH_STRIDE)
		hnsw_prefetch(p + done);
	hnsw_prefetch(p + len - 1);
}

#endif							/* VECINDEX_HNSW_PREFETCH_H */
