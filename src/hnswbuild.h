/*
 * hnswbuild.h
 *	  The build's private declarations (hnswbuild.c): what one process of a
 *	  build holds, and what the processes of a parallel build share.
 *
 * Include postgres.h before this header.
 */
#ifndef VECINDEX_HNSWBUILD_H
#define VECINDEX_HNSWBUILD_H

#include "hnsw_memgraph.h"
#include "hnswinsert.h"

#include "access/parallel.h"
#include "storage/buffile.h"
#include "storage/sharedfileset.h"

/* State shared by all participants, in the DSM segment. */
typedef struct HnswParallelShared
{
	Oid			heaprelid;
	Oid			indexrelid;
	bool		isconcurrent;	/* CREATE INDEX CONCURRENTLY */
	int			tranche;		/* LWLock tranche of the element locks */
	Size		area_size;		/* bytes of the graph area */
	HnswMemShared mem;			/* the graph's allocator and entry point */
	SharedFileSet fileset;		/* rows that did not fit, one file each */

	slock_t		mutex;			/* protects the counters below */
	double		reltuples;		/* heap rows seen, all participants */
	double		indtuples;		/* vectors indexed, all participants */
	int			nparticipants;	/* processes that finished scanning */

	/* the parallel heap scan's state follows, MAXALIGNed */
} HnswParallelShared;

#define ParallelTableScanFromShared(shared) \
	((ParallelTableScanDesc) ((char *) (shared) + MAXALIGN(sizeof(HnswParallelShared))))

/* The leader's handle on the parallel build. */
typedef struct HnswParallelState
{
	ParallelContext *pcxt;
	Snapshot	snapshot;
} HnswParallelState;

/* One process's build: the leader's, a worker's, or a serial one */
typedef struct HnswBuildState
{
	HnswIndexInfo info;
	Relation	heap;
	HnswMemGraph graph;
	HnswMemShared local_shared; /* graph.shared of a serial build */
	HnswSearch *search;
	bool		on_disk;		/* graph outgrew memory: inserting into pages */
	HnswInsertState ins;
	BufFile    *spill;			/* parallel build, or defer_spill: rows that
								 * did not fit */
	bool		defer_spill;	/* serial: set rows that do not fit aside
								 * until the table scan ends (compat.h:
								 * VEC_SCAN_MAY_PIN_ALL_LOCAL_BUFFERS) */
	double		indtuples;		/* vectors indexed */
	double		reltuples;		/* rows seen */
	MemoryContext tmpctx;
	HnswParallelShared *pshared;	/* parallel build: shared state */
	HnswParallelState *pstate;	/* parallel build, leader only */
} HnswBuildState;

#endif							/* VECINDEX_HNSWBUILD_H */
