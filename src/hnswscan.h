/*
 * hnswscan.h
 *	  The scan phase's counters: what an index scan did, for
 *	  hnsw_last_scan(), the hnsw_stat_indexes view and slow-scan logging
 *	  (hnswscanstats.c).
 */
#ifndef VECINDEX_HNSWSCAN_H
#define VECINDEX_HNSWSCAN_H

#include "access/relscan.h"

/*
 * What one scan descriptor did, summed over its rescans.  Pages are
 * counted by the backend's buffer usage around the searches, which read
 * nothing but index pages (the heap is read between amgettuple calls).
 */
typedef struct HnswScanCounters
{
	int64		searches;		/* searches from the entry point (one per
								 * scan or rescan that was read) */
	int64		batches;		/* layer-0 searches of ef_search elements,
								 * the first of each search included */
	int64		visited;		/* elements whose links were read */
	int64		distances;		/* distances computed */
	int64		pages_hit;		/* index pages found in the buffer pool */
	int64		pages_read;		/* index pages read into it */
	int64		tuples;			/* heap TIDs returned to the executor */
	double		search_ms;		/* time spent searching */
} HnswScanCounters;

/* The counters of an hnsw scan; NULL if scan is not one */
extern const HnswScanCounters *hnsw_scan_counters(IndexScanDesc scan);

/* Module start-up (hnswscanstats.c) */
extern void hnsw_scanstats_init(void);

#endif							/* VECINDEX_HNSWSCAN_H */
