/*
 * hnswcheck.h
 *	  What hnsw_index_check() (hnswcheck.c) and hnsw_index_stats()
 *	  (hnswstats.c) share: the state of a pass over an index's pages.
 */
#ifndef VECINDEX_HNSWCHECK_H
#define VECINDEX_HNSWCHECK_H

#include "hnsw_pagegraph.h"

/* Added to an element's level in HnswCheck.levels when it is deleted */
#define ELEM_DELETED		0x80

/* A heap TID held by an element, for the heapallindexed lookups */
typedef struct HnswCheckTid
{
	ItemPointerData tid;
	uint32		elem;			/* element number */
} HnswCheckTid;

/* A check (or statistics) pass over one index */
typedef struct HnswCheck
{
	Relation	index;
	Relation	heap;
	BufferAccessStrategy strategy;
	HnswMetaPageData meta;
	HnswVectorType vectype;		/* of the metapage, checked against the opclass */
	BlockNumber nblocks;		/* blocks when the first pass began */
	char	   *page;			/* private copy of the page being checked */
	char	   *other;			/* second copy, of a link's target */
	char	   *metacopy;		/* copy of the metapage */

	/* elements seen by the first pass, numbered in (block, offset) order */
	uint32	   *blkfirst;		/* number of each block's first element */
	uint16	   *blkcount;		/* elements on each block */
	uint64	   *keys;			/* element number -> hnsw_tid_key */
	uint8	   *levels;			/* top layer, | ELEM_DELETED if deleted */
	int64		nelem;
	int64		maxelem;

	/* heapallindexed */
	bool		want_tids;
	HnswCheckTid *tids;
	int64		ntids;
	int64		maxtids;
	bool	   *reached;
	bool		walked;			/* reached[] is filled in */
	int64		nrows;			/* table rows the index should hold */
	int64		nunreachable;

	/* statistics */
	int64		ndeleted;
	int64		nwithtids;		/* elements holding at least one heap TID */
	int64		nlivetids;
	BlockNumber nelempages;
	BlockNumber nnewpages;
	int64		freespace;
	int64		levelhist[HNSW_MAX_LEVEL + 1];
	int64		layerelems[HNSW_MAX_LEVEL + 1];
	int64		degsum[HNSW_MAX_LEVEL + 1];
	int			degmin[HNSW_MAX_LEVEL + 1];
} HnswCheck;

/* Opens and locks the index and its table, as a reader would. */
extern void hnsw_check_open(HnswCheck *st, Oid indexoid);

/* Reads and checks the metapage and prepares the first pass. */
extern void hnsw_check_begin(HnswCheck *st, bool want_tids);

/* The first pass: checks every page and element, numbers the elements. */
extern void hnsw_check_pages(HnswCheck *st);

extern void hnsw_check_close(HnswCheck *st);

#endif							/* VECINDEX_HNSWCHECK_H */
