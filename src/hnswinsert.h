/*
 * hnswinsert.h
 *	  Inserting one vector into the page graph: aminsert, and the build once
 *	  its graph no longer fits in memory (hnswinsert.c).
 *
 * Include postgres.h before this header.
 */
#ifndef VECINDEX_HNSWINSERT_H
#define VECINDEX_HNSWINSERT_H

#include "hnsw_pagegraph.h"

/*
 * Tries of an optimistic link-list update (read, compute without a lock,
 * write if unchanged) before giving up on that one link.
 */
#define HNSW_LINK_RETRIES			8

typedef struct HnswInsertState
{
	HnswIndexInfo *info;
	bool		building;		/* inside CREATE INDEX: skip WAL */
	HnswSearch *search;
	HnswPinnedGraph graph;		/* graph.pinned: the build's pinned pages
								 * (palloc'd here), NULL after the build */
	MemoryContext tmpctx;		/* reset after each insert */
} HnswInsertState;

extern void hnsw_insert_init(HnswInsertState *st, HnswIndexInfo *info, bool building);
extern void hnsw_insert_vector(HnswInsertState *st, const void *vec, int dim,
							   ItemPointer heaptid);
extern void hnsw_insert_end(HnswInsertState *st);

/*
 * Gives element nkey a link to element newkey (whose vector is newvec, at
 * distance newdist) on a layer, pruning nkey's list if it is full; also
 * VACUUM's way to give a repaired element in-links.
 */
extern void hnsw_add_backlink(HnswInsertState *st, uint64 nkey, int layer,
							  uint64 newkey, const void *newvec, float newdist);

#endif							/* VECINDEX_HNSWINSERT_H */
