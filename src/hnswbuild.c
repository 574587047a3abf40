/*
 * hnswbuild.c
 *	  CREATE INDEX: build the graph in memory, then write it out in order.
 *
 * The graph is built in one contiguous area of at most maintenance_work_mem
 * bytes.  Elements refer to each other by their offset in the area (never by
 * pointer), so the area can grow by reallocation.  When the area is full the
 * graph built so far is written to pages and the remaining rows are inserted
 * the ordinary way (hnswinsert.c) without WAL.  Either way, the finished
 * pages are WAL-logged at once at the end (log_newpage_range), so a build
 * writes no per-change WAL.
 */
#include "postgres.h"

#include "compat.h"
#include "hnswbuild.h"

#include <math.h>

#include "access/parallel.h"
#include "access/tableam.h"
#include "access/xloginsert.h"
#include "catalog/index.h"
#include "commands/progress.h"
#include "miscadmin.h"
#include "optimizer/plancat.h"
#include "pgstat.h"
#include "utils/memutils.h"
#include "utils/rel.h"

/* ---------------------------------------------------------------------
 * Writing the graph out
 * ---------------------------------------------------------------------
 */

/* Free space left on a page being filled, as PageAddItem counts it */
#define PAGE_ROOM_EMPTY \
	(BLCKSZ - SizeOfPageHeaderData - MAXALIGN(sizeof(HnswPageOpaqueData)))

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
		HnswMemElement *e = mem_element(g, (uint64) order[k] << 3);
		Size		need = MAXALIGN(HnswElementTupleSize(e->level, g->m, g->dim)) +
			sizeof(ItemIdData);

		if (off == InvalidOffsetNumber || need > room)
		{
			if (off != InvalidOffsetNumber)
				blkno++;
			off = FirstOffsetNumber;
			room = PAGE_ROOM_EMPTY;
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
	int			l;
	int			i;

	*size = HnswElementTupleSize(e->level, g->m, g->dim);
	tup = palloc0(*size);
	tup->type = HNSW_ELEMENT_TUPLE;
	tup->level = e->level;
	tup->dim = g->dim;
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
			links[i] = mem_element(g, (uint64) mem_links(g, e, l)[i] << 3)->tid;
	}
	memcpy(HnswTupleVector(tup, g->m), mem_vector(g, e), sizeof(float) * g->dim);
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
		list.keys[i] = hnsw_link_key(&mem_element(g, (uint64) links[i] << 3)->tid);
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
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, 3);

	for (k = 0; k < n; k++)
	{
		HnswMemElement *e = mem_element(g, (uint64) order[k] << 3);
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
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, 4);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE,
								 (int64) bs->indtuples);
}

/*
 * Indexes one heap row: into the memory graph while it fits; after that,
 * a serial build inserts into the pages and a parallel participant sets the
 * row aside for the leader (only one process may write pages).
 */
void
hnsw_build_callback(Relation index, ItemPointer tid, Datum *values,
					bool *isnull, bool tupleIsAlive, void *state)
{
	HnswBuildState *bs = state;
	MemoryContext oldctx;
	float	   *vec;
	int			dim;

	bs->reltuples++;
	if (isnull[0])
		return;

	oldctx = MemoryContextSwitchTo(bs->tmpctx);
	vec = hnsw_prepare_vector(&bs->info, values[0], &dim);
	if (vec != NULL)
	{
		if (bs->info.dim == 0)
		{
			/* only a serial build starts without knowing the dimensions */
			hnsw_check_dim(&bs->info, dim);
			bs->info.dim = bs->graph.dim = dim;
			hnsw_build_choose_copies(bs);
		}
		if (!bs->on_disk && !hnsw_mem_insert(bs, vec, tid))
		{
			if (bs->graph.parallel)
				hnsw_spill_row(bs, vec, tid);
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

/*
 * Reads the index options and opclass into the build state and sets up a
 * private memory graph (the parallel build then replaces the area and the
 * shared state with its shared memory).
 */
void
hnsw_build_init(HnswBuildState *bs, Relation heap, Relation index)
{
	HnswOptions *opts = (HnswOptions *) index->rd_options;
	int32		typmod = TupleDescAttr(RelationGetDescr(index), 0)->atttypmod;

	memset(bs, 0, sizeof(HnswBuildState));
	bs->heap = heap;
	bs->info.index = index;
	bs->info.kind = hnsw_index_kind(index);
	bs->info.distance = hnsw_distance_fn(bs->info.kind, false);
	bs->info.m = opts ? opts->m : HNSW_DEFAULT_M;
	bs->info.ef_construction = opts ? opts->ef_construction :
		HNSW_DEFAULT_EF_CONSTRUCTION;
	bs->info.ml = 1.0 / log((double) bs->info.m);
	bs->info.dim = typmod > 0 ? typmod : 0;
	if (bs->info.dim > 0)
		hnsw_check_dim(&bs->info, bs->info.dim);
	if (bs->info.ef_construction < 2 * bs->info.m)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ef_construction must be greater than or equal to 2 * m")));

	SpinLockInit(&bs->local_shared.mutex);
	bs->local_shared.entry = -1;
	bs->local_shared.entry_level = -1;
	bs->graph.shared = &bs->local_shared;
	bs->graph.limit = (Size) maintenance_work_mem * 1024;
	bs->graph.m = bs->info.m;
	bs->graph.dim = bs->info.dim;
	bs->graph.distance = bs->info.distance;
	bs->graph.half_distance = hnsw_distance_fn(bs->info.kind, true);
	bs->graph.ctx = CurrentMemoryContext;
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
	return rows * mem_record_size(&bs->graph, 1) * 1.2 + 1024 * 1024;
}

Size
hnsw_build_area_size(HnswBuildState *bs)
{
	return (Size) Min(area_want(bs, area_rows(bs)),
					  (double) maintenance_work_mem * 1024);
}

/*
 * Which copies of the vectors the memory graph's records carry
 * (hnswbuild.h), once the dimensions are known and before the first
 * insert: half-precision ones only where the CPU converts in hardware, and
 * on top of those 8-bit ones under L2 (a parallel build drops these:
 * hnsw_parallel_begin).  Each only if the graph should still fit in
 * maintenance_work_mem with it, as going on in the pages costs far more
 * than the copies save.
 */
void
hnsw_build_choose_copies(HnswBuildState *bs)
{
	HnswMemGraph *g = &bs->graph;
	double		mem = (double) maintenance_work_mem * 1024;
	double		rows = 0;

	g->hdim = 0;
	g->sqdim = 0;
	if (hnsw_build_half_precision && vec_half_kernels->native && g->dim > 0)
	{
		rows = area_rows(bs);
		g->hdim = vec_half_padded(g->dim);
		if (area_want(bs, rows) > mem)
			g->hdim = 0;
	}
	if (g->hdim > 0 && hnsw_build_sq8 && bs->info.kind == HNSW_DIST_L2)
	{
		g->sqdim = vec_sq8_padded(g->dim);
		if (area_want(bs, rows) > mem)
			g->sqdim = 0;
	}
	g->sq8_state = g->sqdim > 0 ? HNSW_SQ8_CALIBRATING : HNSW_SQ8_OFF;
	g->seen_lo = INFINITY;
	g->seen_hi = -INFINITY;
	g->seen_whole = true;
	g->shared->hdim = g->hdim;
	g->shared->half = g->hdim > 0;
	/* without the dimensions, the first row decides (hnsw_build_callback) */
	if (g->dim > 0)
		elog(DEBUG1, "hnsw build: %s half-precision copies, %s 8-bit copies",
			 g->hdim > 0 ? "with" : "without", g->sqdim > 0 ? "with" : "without");
}

IndexBuildResult *
hnswbuild(Relation heap, Relation index, IndexInfo *indexInfo)
{
	IndexBuildResult *result;
	HnswBuildState bs;
	BlockNumber nblocks;

	if (RelationGetNumberOfBlocks(index) != 0)
		elog(ERROR, "index \"%s\" already contains data",
			 RelationGetRelationName(index));

	hnsw_build_init(&bs, heap, index);
	hnsw_build_choose_copies(&bs);
	write_meta(&bs, false);

	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, 2);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_TOTAL,
								 (int64) Max(heap->rd_rel->reltuples, 0));
	if (hnsw_parallel_begin(&bs, indexInfo))
	{
		/* the leader scans too, then waits for the workers */
		hnsw_parallel_scan(&bs);
		hnsw_parallel_end(&bs);
		if (bs.graph.shared->full)
			switch_to_disk(&bs);
		hnsw_parallel_replay_spill(&bs);
	}
	else
	{
		/* a partial index's rows are fewer than the heap's: grow instead */
		if (indexInfo->ii_Predicate == NIL)
			bs.graph.initial = hnsw_build_area_size(&bs);
		bs.reltuples = table_index_build_scan(heap, index, indexInfo, true, true,
											  hnsw_build_callback, &bs, NULL);
	}

	if (bs.on_disk)
		hnsw_insert_end(&bs.ins);
	else
		mem_write(&bs, NULL);
	if (bs.pstate)
		hnsw_parallel_destroy(&bs);

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
	HnswOptions *opts = (HnswOptions *) index->rd_options;

	memset(&info, 0, sizeof(info));
	info.kind = hnsw_index_kind(index);
	info.m = opts ? opts->m : HNSW_DEFAULT_M;
	info.ef_construction = opts ? opts->ef_construction :
		HNSW_DEFAULT_EF_CONSTRUCTION;
	info.dim = typmod > 0 ? typmod : 0;
	hnsw_init_metapage(image.data, &info);
	vec_write_init_page(index, HNSW_METAPAGE_BLKNO, image.data);
}
