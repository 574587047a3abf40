/*
 * hnswbuild.c
 *	  CREATE INDEX: build the graph in memory, then write it out in order;
 *	  serially, or with parallel workers inserting into one shared graph.
 *
 * The graph is built in one contiguous area of at most maintenance_work_mem
 * bytes (hnswmemgraph.c).  Elements refer to each other by their offset in
 * the area (never by pointer), so the area can grow by reallocation, and
 * the processes of a parallel build can each map it anywhere.  When the
 * area is full the graph built so far is written to pages and the
 * remaining rows are inserted the ordinary way (hnswinsert.c) without WAL.
 * Either way, the finished pages are WAL-logged at once at the end
 * (log_newpage_range), so a build writes no per-change WAL.
 *
 * Parallel build: the leader and the workers scan parts of the heap at
 * once and insert into one graph in a DSM chunk of at most
 * maintenance_work_mem; hnswmemgraph.c explains the locking.  Only the
 * leader writes pages: when the graph has been built it writes it out
 * exactly as a serial build does.  If the area fills up, each participant
 * appends the rows it could not add (heap TID and prepared vector) to its
 * own temporary file in a shared file set; the leader writes the graph,
 * then inserts those rows into the pages, as a serial build does once
 * memory is full.  Worker count: plan_create_index_workers(), as for
 * btree.  The dimension count must be known up front (a vector(n) column),
 * since every participant lays out records.
 */
#include "postgres.h"

#include "compat.h"
#include "hnswbuild.h"

#include <fcntl.h>
#include <math.h>

#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xloginsert.h"
#include "catalog/index.h"
#include "commands/progress.h"
#include "miscadmin.h"
#include "optimizer/optimizer.h"
#include "optimizer/plancat.h"
#include "pgstat.h"
#include "storage/shm_toc.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#define PARALLEL_KEY_HNSW_SHARED	UINT64CONST(0xA000000000000001)
#define PARALLEL_KEY_HNSW_AREA		UINT64CONST(0xA000000000000002)

/* Elements the leader inserts before the workers join in */
#define HNSW_PARALLEL_SERIAL_START	2000

PGDLLEXPORT void hnsw_parallel_build_main(dsm_segment *seg, shm_toc *toc);

static void spill_row(HnswBuildState *bs, const void *vec, ItemPointer tid);

/* ---------------------------------------------------------------------
 * Writing the graph out
 * ---------------------------------------------------------------------
 */

/* Assigns each element its page position, in the given order. */
static BlockNumber
mem_assign_tids(HnswMemGraph *g, BlockNumber first, const uint32 *order, int64 n)
{
	BlockNumber blkno = first;
	OffsetNumber off = InvalidOffsetNumber;
	Size		room = 0;
	int64		k;

	for (k = 0; k < n; k++)
	{
		HnswMemElement *e = mem_element(g, mem_link_offset(order[k]));
		Size		need = HnswElementSpace(e->level, g->m,
											HnswVectorBytes(g->vectype, mem_vector_count(g, e)));

		if (off == InvalidOffsetNumber || need > room)
		{
			if (off != InvalidOffsetNumber)
				blkno++;
			off = FirstOffsetNumber;
			room = HNSW_PAGE_ROOM;
		}
		else
			off++;
		ItemPointerSet(&e->tid, blkno, off);
		room -= need;
	}
	return off == InvalidOffsetNumber ? first : blkno + 1;
}

/* Writes a page image as the next block of the index. */
static void
write_page(Relation index, Page image, BlockNumber expect)
{
	Buffer		buf = hnsw_new_buffer(index);

	if (BufferGetBlockNumber(buf) != expect)
		elog(ERROR, "hnsw build: expected to write block %u, got %u",
			 expect, BufferGetBlockNumber(buf));
	memcpy(BufferGetPage(buf), image, BLCKSZ);
	MarkBufferDirty(buf);
	UnlockReleaseBuffer(buf);
}

/* Forms the page tuple of a memory element. */
static HnswElementTuple
mem_form_tuple(HnswMemGraph *g, HnswMemElement *e, Size *size)
{
	HnswElementTuple tup;
	Size		vecbytes = HnswVectorBytes(g->vectype, mem_vector_count(g, e));
	int			l;
	int			i;

	*size = HnswElementTupleSize(e->level, g->m, vecbytes);
	tup = palloc0(*size);
	tup->type = HNSW_ELEMENT_TUPLE;
	tup->level = e->level;
	tup->dim = mem_vector_count(g, e);
	for (i = 0; i < HNSW_HEAPTIDS; i++)
	{
		if (i < e->ntids)
			tup->heaptids[i] = e->heaptids[i];
		else
			ItemPointerSetInvalid(&tup->heaptids[i]);
	}
	for (l = 0; l <= e->level; l++)
	{
		int			n = mem_layer(g, e, l)->count;
		ItemPointerData *links = HnswTupleLinks(tup, g->m, l);

		HnswTupleCounts(tup)[l] = n;
		for (i = 0; i < n; i++)
			links[i] = mem_element(g, mem_link_offset(mem_links(g, e, l)[i]))->tid;
	}
	memcpy(HnswTupleVector(tup, g->m), mem_vector(g, e), vecbytes);
	return tup;
}

/* Writes the metapage image as block 0, or rewrites it. */
static void
write_meta(HnswBuildState *bs, bool rewrite)
{
	Relation	index = bs->info.index;
	PGAlignedBlock image;
	HnswMetaPage meta;

	hnsw_init_metapage(image.data, &bs->info);
	meta = HnswPageGetMeta(image.data);
	if (bs->graph.shared->entry >= 0)
	{
		HnswMemElement *e = mem_element(&bs->graph, bs->graph.shared->entry);

		meta->entry_blkno = ItemPointerGetBlockNumber(&e->tid);
		meta->entry_offno = ItemPointerGetOffsetNumber(&e->tid);
		meta->entry_level = e->level;
	}
	if (rewrite)
	{
		Buffer		buf = ReadBuffer(index, HNSW_METAPAGE_BLKNO);

		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		memcpy(BufferGetPage(buf), image.data, BLCKSZ);
		MarkBufferDirty(buf);
		UnlockReleaseBuffer(buf);
	}
	else
		write_page(index, image.data, HNSW_METAPAGE_BLKNO);
}

/*
 * Records an element's layer-0 list, with its distances and pruners, for
 * the inserts into pages that follow (see hnswpinned.c).  A list the
 * reachability pass changed (hnsw_mem_link_orphans puts a link where there
 * is room, with no pruner) is no longer in the heuristic's order, which
 * hnsw_list_add relies on: it is recorded as unknown, and pruned in full
 * the first time it overflows.
 */
static void
mem_record_list(HnswMemGraph *g, HnswMemElement *e, HnswPinnedPages *lists)
{
	HnswMemLayer *hd = mem_layer(g, e, 0);
	uint32	   *links = mem_links(g, e, 0);
	float	   *dists = mem_dists(g, e, 0);
	uint8	   *pruners = mem_pruners(g, e, 0);
	HnswList	list;
	int			i;

	for (i = 0; i < hd->count; i++)
		if ((i >= hd->nkept && pruners[i] >= hd->nkept) ||
			(i > 0 && i != hd->nkept && dists[i] < dists[i - 1]))
			break;
	if (i < hd->count)
	{
		hnsw_pinned_list_set(lists, hnsw_link_key(&e->tid), NULL);
		return;
	}
	list.count = hd->count;
	list.nkept = hd->nkept;
	for (i = 0; i < hd->count; i++)
	{
		list.keys[i] = hnsw_link_key(&mem_element(g, mem_link_offset(links[i]))->tid);
		list.dists[i] = dists[i];
		list.pruners[i] = pruners[i];
	}
	hnsw_pinned_list_set(lists, hnsw_link_key(&e->tid), &list);
}

/*
 * Writes every element of the memory graph to pages, in layout order; with
 * `lists`, records their layer-0 lists there too.
 */
static void
mem_write(HnswBuildState *bs, HnswPinnedPages *lists)
{
	HnswMemGraph *g = &bs->graph;
	Relation	index = bs->info.index;
	PGAlignedBlock image;
	BlockNumber cur = InvalidBlockNumber;
	uint32	   *order;
	int64		n;
	int64		k;
	int64		done = 0;
	int64		linked;
	BlockNumber nblocks;

	/*
	 * Not inside elog's argument list: elog evaluates its arguments only
	 * when the message is logged, so below DEBUG1 the linking never ran.
	 */
	linked = hnsw_mem_link_orphans(g);
	elog(DEBUG1, "hnsw build: linked " INT64_FORMAT " elements a search could not reach",
		 linked);
	order = hnsw_mem_layout_order(g, &n);
	nblocks = mem_assign_tids(g, HNSW_METAPAGE_BLKNO + 1, order, n);
	if (lists)
		hnsw_pinned_reserve(lists, nblocks);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, HNSW_PHASE_WRITE_PAGES);

	for (k = 0; k < n; k++)
	{
		HnswMemElement *e = mem_element(g, mem_link_offset(order[k]));
		HnswElementTuple tup;
		Size		size;
		OffsetNumber off;

		CHECK_FOR_INTERRUPTS();
		if (ItemPointerGetBlockNumber(&e->tid) != cur)
		{
			if (cur != InvalidBlockNumber)
				write_page(index, image.data, cur);
			cur = ItemPointerGetBlockNumber(&e->tid);
			hnsw_init_page(image.data, HNSW_PAGE_ELEMENT);
		}
		tup = mem_form_tuple(g, e, &size);
		off = PageAddItem(image.data, (Item) tup, size, InvalidOffsetNumber,
						  false, false);
		if (off != ItemPointerGetOffsetNumber(&e->tid))
			elog(ERROR, "hnsw build: element landed at offset %u, expected %u",
				 off, ItemPointerGetOffsetNumber(&e->tid));
		pfree(tup);
		if (lists)
			mem_record_list(g, e, lists);
		if (++done % 1000 == 0)
			pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, done);
	}
	if (cur != InvalidBlockNumber)
		write_page(index, image.data, cur);
	pfree(order);
	write_meta(bs, true);
}

/*
 * The memory graph is full: write it out and go on inserting into pages.
 */
static void
switch_to_disk(HnswBuildState *bs)
{
	ereport(NOTICE,
			(errmsg("hnsw graph no longer fits into maintenance_work_mem after %.0f tuples",
					(double) bs->graph.shared->nelements),
			 errdetail("The remaining rows are inserted into the index pages, which is slower per row."),
			 errhint("Increase maintenance_work_mem to speed up builds.")));
	hnsw_insert_init(&bs->ins, &bs->info, true);
	mem_write(bs, bs->ins.graph.pinned);
	if (!bs->graph.parallel)
		pfree(bs->graph.base);
	bs->graph.base = NULL;
	bs->on_disk = true;
	/* the rest goes through the insert path: its own phase, counting on */
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE,
								 HNSW_PHASE_INSERT_PAGES);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE,
								 (int64) bs->indtuples);
}

/* ---------------------------------------------------------------------
 * Serial build, and what a parallel participant does per row
 * ---------------------------------------------------------------------
 */

/*
 * Reads the index options and opclass into the build state and sets up a
 * private memory graph (the parallel build then replaces the area and the
 * shared state with its shared memory).
 */
static void
build_init(HnswBuildState *bs, Relation heap, Relation index)
{
	int32		typmod = TupleDescAttr(RelationGetDescr(index), 0)->atttypmod;

	memset(bs, 0, sizeof(HnswBuildState));
	bs->heap = heap;
	bs->info.index = index;
	hnsw_index_opclass(index, &bs->info.kind, &bs->info.vectype);
	bs->info.distance = hnsw_distance_fn(bs->info.vectype, bs->info.kind, false);
	hnsw_index_options(index, &bs->info.m, &bs->info.ef_construction);
	bs->info.ml = 1.0 / log((double) bs->info.m);
	hnsw_info_set_dim(&bs->info, typmod > 0 ? typmod : 0);
	if (bs->info.dim > 0)
		hnsw_check_dim(&bs->info, bs->info.dim);
	if (bs->info.ef_construction < 2 * bs->info.m)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ef_construction must be greater than or equal to 2 * m")));

	hnsw_mem_shared_init(&bs->local_shared, 0);
	hnsw_mem_init(&bs->graph, &bs->local_shared, bs->info.m,
				  bs->info.ef_construction, bs->info.distance,
				  hnsw_distance_fn(bs->info.vectype, bs->info.kind, true),
				  (Size) maintenance_work_mem * 1024);
	hnsw_mem_set_layout(&bs->graph, bs->info.vectype, bs->info.dim, 0, 0);
	bs->search = hnsw_search_create(&hnsw_mem_ops, &bs->graph, bs->info.m);
	bs->tmpctx = AllocSetContextCreate(CurrentMemoryContext, "hnsw build tuple",
									   ALLOCSET_DEFAULT_SIZES);
}

/* The rows the heap's estimate says the graph will hold (at least 1,000) */
static double
area_rows(HnswBuildState *bs)
{
	BlockNumber pages;
	double		tuples;
	double		allvisfrac;

	estimate_rel_size(bs->heap, NULL, &pages, &tuples, &allvisfrac);
	return Max(tuples, 1000.0);
}

/*
 * The graph area: what that many rows should need with the records' current
 * layout (with room for upper layers and a misestimate); never more than
 * maintenance_work_mem.  A parallel build allocates it once; a serial one
 * starts with it and grows if it was low.
 */
static double
area_want(HnswBuildState *bs, double rows)
{
	/* (for sparse vectors, as if each were as large as an element allows) */
	return rows * mem_record_size(&bs->graph, 1, bs->info.vecbytes) * 1.2 +
		1024 * 1024;
}

static Size
area_size(HnswBuildState *bs)
{
	return (Size) Min(area_want(bs, area_rows(bs)),
					  (double) maintenance_work_mem * 1024);
}

/*
 * Which copies of the vectors the memory graph's records carry
 * (hnsw_memgraph.h), once the dimensions are known and before the first
 * insert: half-precision ones only where the CPU converts in hardware, and
 * on top of those 8-bit ones under L2 (a parallel build drops these:
 * parallel_begin).  Each only if the graph should still fit in
 * maintenance_work_mem with it, as going on in the pages costs far more
 * than the copies save.
 */
static void
choose_copies(HnswBuildState *bs)
{
	HnswMemGraph *g = &bs->graph;
	int			dim = bs->info.dim;
	double		mem = (double) maintenance_work_mem * 1024;
	double		rows = 0;
	int			hdim = 0;
	int			sqdim = 0;

	/* each copy is tried in the layout, which area_want measures */
	/* copies are of float vectors */
	if (hnsw_build_half_precision && vec_half_kernels->native && dim > 0 &&
		bs->info.vectype == HNSW_VEC_FLOAT)
	{
		rows = area_rows(bs);
		hdim = vec_half_padded(dim);
		hnsw_mem_set_layout(g, bs->info.vectype, dim, hdim, 0);
		if (area_want(bs, rows) > mem)
			hdim = 0;
	}
	if (hdim > 0 && hnsw_build_sq8 && bs->info.kind == HNSW_DIST_L2)
	{
		sqdim = vec_sq8_padded(dim);
		hnsw_mem_set_layout(g, bs->info.vectype, dim, hdim, sqdim);
		if (area_want(bs, rows) > mem)
			sqdim = 0;
	}
	hnsw_mem_set_layout(g, bs->info.vectype, dim, hdim, sqdim);
	/* without the dimensions, the first row decides (build_callback) */
	if (dim > 0)
		elog(DEBUG1, "hnsw build: %s half-precision copies, %s 8-bit copies",
			 hdim > 0 ? "with" : "without", sqdim > 0 ? "with" : "without");
}

/*
 * Indexes one heap row: into the memory graph while it fits; after that,
 * a serial build inserts into the pages and a parallel participant sets the
 * row aside for the leader (only one process may write pages).
 */
static void
build_callback(Relation index, ItemPointer tid, Datum *values,
					bool *isnull, bool tupleIsAlive, void *state)
{
	HnswBuildState *bs = state;
	MemoryContext oldctx;
	void	   *vec;
	int			dim;

	bs->reltuples++;
	if (isnull[0])
		return;

	oldctx = MemoryContextSwitchTo(bs->tmpctx);
	vec = hnsw_prepare_vector(&bs->info, values[0], &dim);
	if (vec != NULL)
	{
		hnsw_check_vector(&bs->info, vec);
		if (bs->info.dim == 0)
		{
			/* only a serial build starts without knowing the dimensions */
			hnsw_check_dim(&bs->info, dim);
			hnsw_info_set_dim(&bs->info, dim);
			choose_copies(bs);
		}

		if (bs->defer_spill && bs->spill != NULL)
			spill_row(bs, vec, tid);	/* the graph is full */
		else if (!bs->on_disk &&
				 !hnsw_mem_insert(&bs->graph, bs->search, vec,
								  hnsw_random_level(&bs->info,
													hnsw_vector_size(&bs->info, vec)),
								  tid))
		{
			if (bs->graph.parallel || bs->defer_spill)
				spill_row(bs, vec, tid);
			else
			{
				MemoryContextSwitchTo(oldctx);
				switch_to_disk(bs);
				MemoryContextSwitchTo(bs->tmpctx);
			}
		}
		if (bs->on_disk)
			hnsw_insert_vector(&bs->ins, vec, dim, tid);
		bs->indtuples++;
		/* a parallel leader reports every participant's elements */
		if ((int64) bs->indtuples % 1000 == 0 && !IsParallelWorker())
			pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE,
										 bs->pstate ? bs->graph.shared->nelements :
										 (int64) bs->indtuples);
	}
	MemoryContextSwitchTo(oldctx);
	MemoryContextReset(bs->tmpctx);
}

/* ---------------------------------------------------------------------
 * Parallel build
 * ---------------------------------------------------------------------
 */

/* A participant's spill file name: leader 0, worker n is n + 1. */
static void
spill_name(char *name, int participant)
{
	snprintf(name, MAXPGPATH, "hnsw-spill-%d", participant);
}

/* Points a build state's graph at the shared area. */
static void
attach_graph(HnswBuildState *bs, HnswParallelShared *shared, char *area)
{
	bs->pshared = shared;
	hnsw_mem_attach(&bs->graph, &shared->mem, area, shared->area_size,
					shared->tranche);
}

/*
 * Sets up and launches a parallel build, if the planner grants workers.
 * Returns false (nothing done) for a serial build.
 */
static bool
parallel_begin(HnswBuildState *bs, IndexInfo *indexInfo)
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
	nworkers = plan_create_index_workers(RelationGetRelid(heap),
										 RelationGetRelid(index));
	if (nworkers <= 0)
		return false;

	/*
	 * The 8-bit copies are calibrated by the one process inserting the first
	 * rows and never shared: a parallel build goes without them.
	 */
	if (bs->graph.sqdim > 0)
		elog(DEBUG1, "hnsw build: parallel: without 8-bit copies");
	hnsw_mem_set_layout(&bs->graph, bs->info.vectype, bs->info.dim,
						bs->graph.hdim, 0);
	size = area_size(bs);
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
		choose_copies(bs);
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
	hnsw_mem_shared_init(&shared->mem, bs->graph.hdim);
	SpinLockInit(&shared->mutex);
	SharedFileSetInit(&shared->fileset, pcxt->seg);
	table_parallelscan_initialize(heap, ParallelTableScanFromShared(shared), snapshot);
	shm_toc_insert(pcxt->toc, PARALLEL_KEY_HNSW_SHARED, shared);
	shm_toc_insert(pcxt->toc, PARALLEL_KEY_HNSW_AREA, shm_toc_allocate(pcxt->toc, size));

	LaunchParallelWorkers(pcxt);
	/* pgvector's wording, which users' log monitoring looks for */
	ereport(DEBUG1,
			(errmsg_internal("using %d parallel workers", pcxt->nworkers_launched),
			 errdetail_internal("%d requested, graph area %zu bytes", nworkers, size)));

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
									   build_callback, bs, scan);
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
static void
parallel_scan(HnswBuildState *bs)
{
	participate(bs, bs->heap, bs->info.index, true);
}

/* Waits for the workers and takes over the totals. */
static void
parallel_end(HnswBuildState *bs)
{
	HnswParallelShared *shared = bs->pshared;

	WaitForParallelWorkersToFinish(bs->pstate->pcxt);
	bs->reltuples = shared->reltuples;
	bs->indtuples = shared->indtuples;
}

/*
 * Sets aside a row that did not fit into the graph: for the leader of a
 * parallel build, or in a private temporary file for a serial build that
 * defers them (defer_spill).
 */
static void
spill_row(HnswBuildState *bs, const void *vec, ItemPointer tid)
{
	if (bs->spill == NULL)
	{
		char		name[MAXPGPATH];
		MemoryContext old = MemoryContextSwitchTo(bs->graph.ctx);

		if (bs->pshared == NULL)
			bs->spill = BufFileCreateTemp(false);
		else
		{
			spill_name(name, IsParallelWorker() ? ParallelWorkerNumber + 1 : 0);
			bs->spill = BufFileCreateFileSet(&bs->pshared->fileset.fs, name);
		}
		MemoryContextSwitchTo(old);
	}
	BufFileWrite(bs->spill, tid, sizeof(ItemPointerData));
	BufFileWrite(bs->spill, (void *) vec, hnsw_vector_size(&bs->info, vec));
}

/*
 * Inserts the rows of one spill file, read from its start, into the written
 * index; name is for the messages.
 */
static void
replay_spill_file(HnswBuildState *bs, BufFile *file, const char *name)
{
	void	   *vec = palloc(bs->info.vecbytes);
	MemoryContext oldctx;
	ItemPointerData tid;

	Assert(bs->on_disk);
	while (BufFileRead(file, &tid, sizeof(tid)) == sizeof(tid))
	{
		/* a sparse vector's first field, its count, gives its size */
		Size		head = bs->info.vectype == HNSW_VEC_SPARSE ?
			sizeof(int32) : bs->info.vecbytes;
		Size		rest;

		if (BufFileRead(file, vec, head) != head)
			elog(ERROR, "hnsw build: truncated spill file \"%s\"", name);
		rest = hnsw_vector_size(&bs->info, vec) - head;
		if (rest > bs->info.vecbytes - head ||
			BufFileRead(file, (char *) vec + head, rest) != rest)
			elog(ERROR, "hnsw build: truncated spill file \"%s\"", name);
		CHECK_FOR_INTERRUPTS();
		/* what an insert allocates is freed row by row, as in a scan */
		oldctx = MemoryContextSwitchTo(bs->tmpctx);
		hnsw_insert_vector(&bs->ins, vec, bs->info.dim, &tid);
		MemoryContextSwitchTo(oldctx);
		MemoryContextReset(bs->tmpctx);
	}
	pfree(vec);
}

/* Inserts the rows every participant set aside into the written index. */
static void
parallel_replay_spill(HnswBuildState *bs)
{
	int			nfiles = bs->pstate->pcxt->nworkers_launched + 1;
	int			i;

	for (i = 0; i < nfiles; i++)
	{
		char		name[MAXPGPATH];
		BufFile    *file;

		spill_name(name, i);
		file = BufFileOpenFileSet(&bs->pshared->fileset.fs, name, O_RDONLY, true);
		if (file == NULL)
			continue;
		replay_spill_file(bs, file, name);
		BufFileClose(file);
	}
}

/* Ends parallel mode; the graph area goes with the DSM segment. */
static void
parallel_destroy(HnswBuildState *bs)
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

	build_init(&bs, heap, index);
	SharedFileSetAttach(&shared->fileset, seg);
	attach_graph(&bs, shared, shm_toc_lookup(toc, PARALLEL_KEY_HNSW_AREA, false));
	participate(&bs, heap, index, false);

	index_close(index, indexLockmode);
	table_close(heap, heapLockmode);
}

/* ---------------------------------------------------------------------
 * Access method entry points
 * ---------------------------------------------------------------------
 */

IndexBuildResult *
hnswbuild(Relation heap, Relation index, IndexInfo *indexInfo)
{
	IndexBuildResult *result;
	HnswBuildState bs;
	BlockNumber nblocks;

	if (RelationGetNumberOfBlocks(index) != 0)
		elog(ERROR, "index \"%s\" already contains data",
			 RelationGetRelationName(index));

	build_init(&bs, heap, index);
	choose_copies(&bs);
	write_meta(&bs, false);

	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, HNSW_PHASE_BUILD_GRAPH);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_TOTAL,
								 (int64) Max(heap->rd_rel->reltuples, 0));
	if (parallel_begin(&bs, indexInfo))
	{
		/* the leader scans too, then waits for the workers */
		parallel_scan(&bs);
		parallel_end(&bs);
		if (bs.graph.shared->full)
			switch_to_disk(&bs);
		parallel_replay_spill(&bs);
	}
	else
	{
		/* a partial index's rows are fewer than the heap's: grow instead */
		if (indexInfo->ii_Predicate == NIL)
			bs.graph.initial = area_size(&bs);
		/* the rows that do not fit wait for the scan's local buffers */
		bs.defer_spill = VEC_SCAN_MAY_PIN_ALL_LOCAL_BUFFERS &&
			RelationUsesLocalBuffers(index);
		bs.reltuples = table_index_build_scan(heap, index, indexInfo, true, true,
											  build_callback, &bs, NULL);
		if (bs.spill != NULL)
		{
			switch_to_disk(&bs);
			if (BufFileSeek(bs.spill, 0, 0, SEEK_SET) != 0)
				elog(ERROR, "hnsw build: could not rewind the spill file");
			replay_spill_file(&bs, bs.spill, "serial build");
			BufFileClose(bs.spill);
			bs.spill = NULL;
		}
	}

	if (bs.on_disk)
		hnsw_insert_end(&bs.ins);
	else
		mem_write(&bs, NULL);
	if (bs.pstate)
		parallel_destroy(&bs);

	nblocks = RelationGetNumberOfBlocks(index);
	if (RelationNeedsWAL(index))
		log_newpage_range(index, MAIN_FORKNUM, 0, nblocks, true);

	result = palloc(sizeof(IndexBuildResult));
	result->heap_tuples = bs.reltuples;
	result->index_tuples = bs.indtuples;
	return result;
}

/* The init fork of an unlogged index: an empty metapage. */
void
hnswbuildempty(Relation index)
{
	HnswIndexInfo info;
	PGAlignedBlock image;
	int32		typmod = TupleDescAttr(RelationGetDescr(index), 0)->atttypmod;

	memset(&info, 0, sizeof(info));
	hnsw_index_opclass(index, &info.kind, &info.vectype);
	hnsw_index_options(index, &info.m, &info.ef_construction);
	hnsw_info_set_dim(&info, typmod > 0 ? typmod : 0);
	hnsw_init_metapage(image.data, &info);
	vec_write_init_page(index, HNSW_METAPAGE_BLKNO, image.data);
}
