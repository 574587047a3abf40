/*
 * hnswvacuum.h
 *	  What VACUUM's passes share: the vector cache of the repair pass
 *	  (hnswvacuum.c) and the orphan-linking pass (hnswreach.c).
 *
 * Include postgres.h before this header.
 */
#ifndef VECINDEX_HNSWVACUUM_H
#define VECINDEX_HNSWVACUUM_H

#include "hnsw_pagegraph.h"

/*
 * A cache of element vectors, direct-mapped by key, for a pass that reads
 * the same vectors over and over (VACUUM's repair).  A vector changes only
 * when an insert reuses a deleted element's slot; a stale copy could only make a worse link, never a wrong answer.
 * Slots looked up since the last hnsw_vcache_begin() are not overwritten,
 * so the pointers returned since then stay valid together.
 */
typedef struct HnswVectorCache
{
	uint64	   *keys;			/* 0 = empty (block 0 is the metapage) */
	uint32	   *stamps;			/* epoch of the last lookup of each slot */
	char	   *vecs;
	uint32		nslots;
	uint32		epoch;
	int64		hits;
	int64		misses;
} HnswVectorCache;

extern void hnsw_vcache_init(HnswVectorCache *vc, const HnswIndexInfo *info,
							 Size budget, Size maxslots);
extern void hnsw_vcache_free(HnswVectorCache *vc);
extern const void *hnsw_vcache_get(HnswVectorCache *vc, const HnswIndexInfo *info,
									uint64 key, BufferAccessStrategy strategy);

static inline void
hnsw_vcache_begin(HnswVectorCache *vc)
{
	vc->epoch++;
}

/* hnswreach.c */
extern double hnsw_link_orphans(IndexVacuumInfo *vinfo);

#endif							/* VECINDEX_HNSWVACUUM_H */
