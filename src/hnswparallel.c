/*
 * hnswparallel.c
 *	  Parallel CREATE INDEX: the leader and the workers scan parts of the
 *	  heap at once and insert into one graph in shared memory.
 *
 * The graph area is a DSM chunk of at most maintenance_work_mem; elements
 * refer to each other by offset, so every process can map it anywhere.
 * hnswmemgraph.c explains the locking.  Only the leader writes pages: when
 * the graph has been built it writes it out exactly as a serial build does.
 *
 * If the area fills up, each participant appends the rows it could not add
 * (heap TID and prepared vector) to its own temporary file in a shared file
 * set; the leader writes the graph, then inserts those rows into the pages,
 * as a serial build does once memory is full.
 *
 * Worker count: plan_create_index_workers(), i.e.
 * max_parallel_maintenance_workers, the table's size and its
 * parallel_workers option, as for btree.  The dimension count must be known
 * up front (a vector(n) column), since every participant lays out records.
 */
#include "postgres.h"

#include "hnswbuild.h"

#include <fcntl.h>

#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "optimizer/paths.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "miscadmin.h"
#include "optimizer/optimizer.h"
#include "optimizer/plancat.h"
#include "storage/shm_toc.h"
#include "utils/snapmgr.h"

#define PARALLEL_KEY_HNSW_SHARED	UINT64CONST(0xA000000000000001)
#define PARALLEL_KEY_HNSW_AREA		UINT64CONST(0xA000000000000002)

/* Elements the leader inserts before the workers join in */
#define HNSW_PARALLEL_SERIAL_START	2000

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

PGDLLEXPORT void hnsw_parallel_build_main(dsm_segment *seg, shm_toc *toc);

/* A participant's spill file name: leader 0, worker n is n + 1. */
static void
spill_name(char *name, int participant)
{
	snprintf(name, MAXPGPATH, "hnsw-spill-%d", participant);
}

/*
 * How many workers to ask for.  The planner sizes a table by its main fork
 * only, but vectors of more than about 500 dimensions live in the TOAST
 * table, leaving a main fork too small to earn a worker however big the
 * build.  So for a plain column index, where the planner's other reasons
 * for refusing (temporary table, parallel-unsafe expressions) do not apply,
 * the TOAST table counts too, with the planner's rule: one worker from
 * min_parallel_table_scan_size, one more each time the size triples.  An
 * explicit parallel_workers setting of the table is always obeyed.
 */
static int
plan_workers(Relation heap, Relation index)
{
	int			nworkers = plan_create_index_workers(RelationGetRelid(heap),
													 RelationGetRelid(index));
	double		pages;
	double		threshold;

	if (nworkers > 0 || max_parallel_maintenance_workers == 0 ||
		RelationGetParallelWorkers(heap, -1) != -1 ||
		heap->rd_rel->relpersistence == RELPERSISTENCE_TEMP ||
		RelationGetIndexExpressions(index) != NIL ||
		RelationGetIndexPredicate(index) != NIL ||
		!OidIsValid(heap->rd_rel->reltoastrelid))
		return nworkers;

	{
		Relation	toast = table_open(heap->rd_rel->reltoastrelid, AccessShareLock);

		pages = (double) RelationGetNumberOfBlocks(heap) +
			(double) RelationGetNumberOfBlocks(toast);
		table_close(toast, AccessShareLock);
	}
	threshold = Max(min_parallel_table_scan_size, 1);
	if (pages < threshold)
		return 0;
	nworkers = 1;
	while (pages >= threshold * 3 && nworkers < max_parallel_maintenance_workers)
	{
		nworkers++;
		threshold *= 3;
	}
	/* as the planner: at least 32MB of maintenance_work_mem per process */
	while (nworkers > 0 && maintenance_work_mem / (nworkers + 1) < 32768L)
		nworkers--;
	return nworkers;
}

/* Points a build state's graph at the shared area. */
static void
attach_graph(HnswBuildState *bs, HnswParallelShared *shared, char *area)
{
	bs->pshared = shared;
	bs->graph.base = area;
	bs->graph.allocated = bs->graph.limit = shared->area_size;
	bs->graph.shared = &shared->mem;
	bs->graph.hdim = shared->mem.hdim;
	bs->graph.parallel = true;
	hnsw_mem_lwlock_tranche = shared->tranche;
	LWLockRegisterTranche(shared->tranche, "hnsw_build");
}

/*
 * Sets up and launches a parallel build, if the planner grants workers.
 * Returns false (nothing done) for a serial build.
 */
bool
hnsw_parallel_begin(HnswBuildState *bs, IndexInfo *indexInfo)
{
	Relation	heap = bs->heap;
	Relation	index = bs->info.index;
	HnswParallelState *ps;
	HnswParallelShared *shared;
	ParallelContext *pcxt;
	Snapshot	snapshot;
	Size		scansize;
	Size		size;
	int			nworkers;

	if (bs->info.dim == 0 || !IsNormalProcessingMode() || IsInParallelMode())
		return false;
	nworkers = plan_workers(heap, index);
	if (nworkers <= 0)
		return false;

	/*
	 * The 8-bit copies are calibrated by the one process inserting the first
	 * rows and never shared: a parallel build goes without them.
	 */
	if (bs->graph.sqdim > 0)
		elog(DEBUG1, "hnsw build: parallel: without 8-bit copies");
	bs->graph.sqdim = 0;
	bs->graph.sq8_state = HNSW_SQ8_OFF;
	size = hnsw_build_area_size(bs);
	EnterParallelMode();
	pcxt = CreateParallelContext("vecindex", "hnsw_parallel_build_main", nworkers);

	snapshot = indexInfo->ii_Concurrent ?
		RegisterSnapshot(GetTransactionSnapshot()) : SnapshotAny;
	scansize = table_parallelscan_estimate(heap, snapshot);
	shm_toc_estimate_chunk(&pcxt->estimator,
						   add_size(MAXALIGN(sizeof(HnswParallelShared)), scansize));
	shm_toc_estimate_chunk(&pcxt->estimator, size);
	shm_toc_estimate_keys(&pcxt->estimator, 2);
	InitializeParallelDSM(pcxt);
	if (pcxt->seg == NULL)
	{
		/* no DSM to be had: build serially, with the 8-bit copies again */
		hnsw_build_choose_copies(bs);
		if (IsMVCCSnapshot(snapshot))
			UnregisterSnapshot(snapshot);
		DestroyParallelContext(pcxt);
		ExitParallelMode();
		return false;
	}

	shared = shm_toc_allocate(pcxt->toc,
							  add_size(MAXALIGN(sizeof(HnswParallelShared)), scansize));
	memset(shared, 0, sizeof(HnswParallelShared));
	shared->heaprelid = RelationGetRelid(heap);
	shared->indexrelid = RelationGetRelid(index);
	shared->isconcurrent = indexInfo->ii_Concurrent;
	shared->tranche = LWLockNewTrancheId();
	shared->area_size = size;
	SpinLockInit(&shared->mem.mutex);
	shared->mem.entry = -1;
	shared->mem.entry_level = -1;
	shared->mem.hdim = bs->graph.shared->hdim;
	shared->mem.half = bs->graph.shared->half;
	SpinLockInit(&shared->mutex);
	SharedFileSetInit(&shared->fileset, pcxt->seg);
	table_parallelscan_initialize(heap, ParallelTableScanFromShared(shared), snapshot);
	shm_toc_insert(pcxt->toc, PARALLEL_KEY_HNSW_SHARED, shared);
	shm_toc_insert(pcxt->toc, PARALLEL_KEY_HNSW_AREA, shm_toc_allocate(pcxt->toc, size));

	LaunchParallelWorkers(pcxt);
	ereport(DEBUG1,
			(errmsg_internal("hnsw build: %d of %d parallel workers launched, graph area %zu bytes",
							 pcxt->nworkers_launched, nworkers, size)));

	ps = palloc0(sizeof(HnswParallelState));
	ps->pcxt = pcxt;
	ps->snapshot = snapshot;
	bs->pstate = ps;
	attach_graph(bs, shared, shm_toc_lookup(pcxt->toc, PARALLEL_KEY_HNSW_AREA, false));
	return true;
}

/*
 * One participant's share of the build: scan the blocks the parallel scan
 * hands out and insert their rows.
 */
static void
participate(HnswBuildState *bs, Relation heap, Relation index, bool progress)
{
	HnswParallelShared *shared = bs->pshared;
	IndexInfo  *indexInfo = BuildIndexInfo(index);
	TableScanDesc scan;
	double		reltuples;

	indexInfo->ii_Concurrent = shared->isconcurrent;

	/*
	 * Workers let the leader lay down the first elements alone: elements
	 * inserted at the same moment do not see each other, and at the start,
	 * when every element is the neighbour of every other, that leaves a
	 * thinly linked core (measured: twice the rows not found by their own
	 * vector on clustered data).  Waiting is short, and bounded by the
	 * leader finishing its scan.
	 */
	if (IsParallelWorker())
	{
		for (;;)
		{
			bool		ready;

			SpinLockAcquire(&shared->mutex);
			ready = shared->nparticipants > 0;
			SpinLockRelease(&shared->mutex);
			SpinLockAcquire(&shared->mem.mutex);
			ready |= shared->mem.nelements >= HNSW_PARALLEL_SERIAL_START;
			SpinLockRelease(&shared->mem.mutex);
			if (ready)
				break;
			CHECK_FOR_INTERRUPTS();
			pg_usleep(1000L);
		}
	}
	scan = table_beginscan_parallel(heap, ParallelTableScanFromShared(shared));
	reltuples = table_index_build_scan(heap, index, indexInfo, true, progress,
									   hnsw_build_callback, bs, scan);
	if (bs->spill)
	{
		/* read-only from now on, and readable by the leader */
		BufFileExportFileSet(bs->spill);
		BufFileClose(bs->spill);
		bs->spill = NULL;
	}

	SpinLockAcquire(&shared->mutex);
	shared->reltuples += reltuples;
	shared->indtuples += bs->indtuples;
	shared->nparticipants++;
	SpinLockRelease(&shared->mutex);
}

/* The leader's share. */
void
hnsw_parallel_scan(HnswBuildState *bs)
{
	participate(bs, bs->heap, bs->info.index, true);
}

/* Waits for the workers and takes over the totals. */
void
hnsw_parallel_end(HnswBuildState *bs)
{
	HnswParallelShared *shared = bs->pshared;

	WaitForParallelWorkersToFinish(bs->pstate->pcxt);
	bs->reltuples = shared->reltuples;
	bs->indtuples = shared->indtuples;
}

/* Sets aside a row that did not fit into the graph, for the leader. */
void
hnsw_spill_row(HnswBuildState *bs, const float *vec, ItemPointer tid)
{
	if (bs->spill == NULL)
	{
		char		name[MAXPGPATH];
		MemoryContext old = MemoryContextSwitchTo(bs->graph.ctx);

		spill_name(name, IsParallelWorker() ? ParallelWorkerNumber + 1 : 0);
		bs->spill = BufFileCreateFileSet(&bs->pshared->fileset.fs, name);
		MemoryContextSwitchTo(old);
	}
	BufFileWrite(bs->spill, tid, sizeof(ItemPointerData));
	BufFileWrite(bs->spill, (void *) vec, sizeof(float) * bs->info.dim);
}

/* Inserts the rows every participant set aside into the written index. */
void
hnsw_parallel_replay_spill(HnswBuildState *bs)
{
	int			nfiles = bs->pstate->pcxt->nworkers_launched + 1;
	float	   *vec = palloc(sizeof(float) * bs->info.dim);
	MemoryContext oldctx;
	int			i;

	for (i = 0; i < nfiles; i++)
	{
		char		name[MAXPGPATH];
		BufFile    *file;
		ItemPointerData tid;

		spill_name(name, i);
		file = BufFileOpenFileSet(&bs->pshared->fileset.fs, name, O_RDONLY, true);
		if (file == NULL)
			continue;
		Assert(bs->on_disk);
		while (BufFileRead(file, &tid, sizeof(tid)) == sizeof(tid))
		{
			if (BufFileRead(file, vec, sizeof(float) * bs->info.dim) !=
				sizeof(float) * bs->info.dim)
				elog(ERROR, "hnsw build: truncated spill file \"%s\"", name);
			CHECK_FOR_INTERRUPTS();
			/* what an insert allocates is freed row by row, as in a scan */
			oldctx = MemoryContextSwitchTo(bs->tmpctx);
			hnsw_insert_vector(&bs->ins, vec, bs->info.dim, &tid);
			MemoryContextSwitchTo(oldctx);
			MemoryContextReset(bs->tmpctx);
		}
		BufFileClose(file);
	}
	pfree(vec);
}

/* Ends parallel mode; the graph area goes with the DSM segment. */
void
hnsw_parallel_destroy(HnswBuildState *bs)
{
	HnswParallelState *ps = bs->pstate;

	if (IsMVCCSnapshot(ps->snapshot))
		UnregisterSnapshot(ps->snapshot);
	DestroyParallelContext(ps->pcxt);
	ExitParallelMode();
	bs->graph.base = NULL;
	bs->pstate = NULL;
}

/* Entry point of a parallel build worker. */
void
hnsw_parallel_build_main(dsm_segment *seg, shm_toc *toc)
{
	HnswParallelShared *shared = shm_toc_lookup(toc, PARALLEL_KEY_HNSW_SHARED, false);
	LOCKMODE	heapLockmode;
	LOCKMODE	indexLockmode;
	Relation	heap;
	Relation	index;
	HnswBuildState bs;

	/* the lock modes index.c holds in the leader (nbtsort.c does the same) */
	if (!shared->isconcurrent)
	{
		heapLockmode = ShareLock;
		indexLockmode = AccessExclusiveLock;
	}
	else
	{
		heapLockmode = ShareUpdateExclusiveLock;
		indexLockmode = RowExclusiveLock;
	}
	heap = table_open(shared->heaprelid, heapLockmode);
	index = index_open(shared->indexrelid, indexLockmode);

	hnsw_build_init(&bs, heap, index);
	SharedFileSetAttach(&shared->fileset, seg);
	attach_graph(&bs, shared, shm_toc_lookup(toc, PARALLEL_KEY_HNSW_AREA, false));
	participate(&bs, heap, index, false);

	index_close(index, indexLockmode);
	table_close(heap, heapLockmode);
}
