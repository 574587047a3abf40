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
#include "hnsw.h"

#include <math.h>

#include "access/tableam.h"
#include "access/xloginsert.h"
#include "catalog/index.h"
#include "commands/progress.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/memutils.h"
#include "utils/rel.h"

/* ---------------------------------------------------------------------
 * The in-memory graph
 *
 * An element record, 8-byte aligned:
 *	 HnswMemElement header
 *	 per layer l = 0..level: int32 count; uint32 links[cap]; float dists[cap]
 *	 float vec[dim]
 * links[] hold element offsets divided by 8, dists[] the distance to each
 * linked element (kept so pruning a full list needs no recomputation).
 * ---------------------------------------------------------------------
 */
typedef struct HnswMemElement
{
	uint32		size;			/* bytes of this record */
	uint8		level;
	uint8		ntids;
	uint16		unused;
	ItemPointerData tid;		/* position assigned at write-out */
	ItemPointerData heaptids[HNSW_HEAPTIDS];
} HnswMemElement;

#define MEM_HEADER_SIZE		MAXALIGN(sizeof(HnswMemElement))

typedef struct HnswMemGraph
{
	char	   *base;			/* the area */
	Size		allocated;		/* bytes allocated to it */
	Size		limit;			/* maintenance_work_mem */
	Size		used;			/* bytes in use (records are appended) */
	int64		nelements;
	int64		entry;			/* offset of the entry point, -1 if none */
	int			entry_level;
	int			m;
	int			dim;
	HnswDistanceFn distance;
	MemoryContext ctx;			/* where the area is allocated */
} HnswMemGraph;

typedef struct HnswBuildState
{
	HnswIndexInfo info;
	Relation	heap;
	HnswMemGraph graph;
	HnswSearch *search;
	bool		on_disk;		/* graph outgrew memory: inserting into pages */
	HnswInsertState ins;
	double		indtuples;		/* vectors indexed */
	double		reltuples;		/* rows seen */
	MemoryContext tmpctx;
} HnswBuildState;

static inline HnswMemElement *
mem_element(HnswMemGraph *g, uint64 off)
{
	return (HnswMemElement *) (g->base + off);
}

static inline Size
mem_layer_offset(int m, int layer)
{
	if (layer == 0)
		return MEM_HEADER_SIZE;
	return MEM_HEADER_SIZE + (sizeof(int32) + 16 * m) +
		(layer - 1) * (sizeof(int32) + 8 * m);
}

static inline int32 *
mem_count(HnswMemGraph *g, HnswMemElement *e, int layer)
{
	return (int32 *) ((char *) e + mem_layer_offset(g->m, layer));
}

static inline uint32 *
mem_links(HnswMemGraph *g, HnswMemElement *e, int layer)
{
	return (uint32 *) (mem_count(g, e, layer) + 1);
}

static inline float *
mem_dists(HnswMemGraph *g, HnswMemElement *e, int layer)
{
	return (float *) (mem_links(g, e, layer) + HnswLayerCapacity(g->m, layer));
}

static inline float *
mem_vector(HnswMemGraph *g, HnswMemElement *e)
{
	return (float *) ((char *) e + mem_layer_offset(g->m, e->level + 1));
}

static Size
mem_record_size(HnswMemGraph *g, int level)
{
	return MAXALIGN(mem_layer_offset(g->m, level + 1) + sizeof(float) * g->dim);
}

/* Appends a zeroed record; returns its offset, or -1 when memory is full. */
static int64
mem_alloc(HnswMemGraph *g, int level)
{
	Size		size = mem_record_size(g, level);
	int64		off;

	if (g->used + size > g->limit)
		return -1;
	if (g->used + size > g->allocated)
	{
		Size		newsize = Min(Max(g->allocated * 2, g->used + size), g->limit);

		g->base = g->base ? repalloc_huge(g->base, newsize) :
			MemoryContextAllocHuge(g->ctx, newsize);
		g->allocated = newsize;
	}
	off = g->used;
	memset(g->base + off, 0, size);
	mem_element(g, off)->size = size;
	mem_element(g, off)->level = level;
	g->used += size;
	g->nelements++;
	return off;
}

static int
mem_ops_links(void *ctx, uint64 key, int layer, uint64 *out)
{
	HnswMemGraph *g = ctx;
	HnswMemElement *e = mem_element(g, key);
	uint32	   *links;
	int			n;
	int			i;

	if (e->level < layer)
		return 0;
	n = *mem_count(g, e, layer);
	links = mem_links(g, e, layer);
	for (i = 0; i < n; i++)
		out[i] = (uint64) links[i] << 3;
	return n;
}

static bool
mem_ops_visit(void *ctx, uint64 key, const float *query, HnswNode *node)
{
	HnswMemGraph *g = ctx;
	HnswMemElement *e = mem_element(g, key);

	node->dist = g->distance(query, mem_vector(g, e), g->dim);
	node->level = e->level;
	node->ntids = 0;
	node->deleted = false;
	return true;
}

static const HnswGraphOps mem_ops = {
	.links = mem_ops_links,
	.visit = mem_ops_visit,
};

/* Sets element e's links on a layer, from the chosen candidates. */
static void
mem_set_links(HnswMemGraph *g, HnswMemElement *e, int layer,
			  const HnswNode *nodes, const int *sel, int n)
{
	int			i;

	*mem_count(g, e, layer) = n;
	for (i = 0; i < n; i++)
	{
		mem_links(g, e, layer)[i] = (uint32) (nodes[sel[i]].key >> 3);
		mem_dists(g, e, layer)[i] = nodes[sel[i]].dist;
	}
}

/*
 * Gives element `noff` a link to `newoff` at distance d, pruning a full list
 * with the heuristic (cached distances spare recomputing base distances).
 */
static void
mem_add_backlink(HnswMemGraph *g, uint64 noff, int layer, uint64 newoff, float d)
{
	HnswMemElement *n = mem_element(g, noff);
	int32	   *count = mem_count(g, n, layer);
	int			cap = HnswLayerCapacity(g->m, layer);
	HnswNode	cand[2 * HNSW_MAX_M + 1];
	const float *vecs[2 * HNSW_MAX_M + 1];
	float		dists[2 * HNSW_MAX_M + 1];
	int			sel[2 * HNSW_MAX_M + 1];
	HnswSelect	hs;
	int			i;

	if (*count < cap)
	{
		mem_links(g, n, layer)[*count] = (uint32) (newoff >> 3);
		mem_dists(g, n, layer)[*count] = d;
		(*count)++;
		return;
	}

	for (i = 0; i < cap; i++)
	{
		cand[i].key = (uint64) mem_links(g, n, layer)[i] << 3;
		cand[i].dist = mem_dists(g, n, layer)[i];
	}
	cand[cap].key = newoff;
	cand[cap].dist = d;
	hnsw_sort_nodes(cand, cap + 1);
	for (i = 0; i <= cap; i++)
	{
		vecs[i] = mem_vector(g, mem_element(g, cand[i].key));
		dists[i] = cand[i].dist;
	}
	hs.distance = g->distance;
	hs.dim = g->dim;
	hs.ncand = cap + 1;
	hs.vecs = vecs;
	hs.dists = dists;
	hs.cap = cap;
	hs.selected = sel;
	mem_set_links(g, n, layer, cand, sel, hnsw_select_neighbors(&hs));
}

/* Adds heaptid to an identical element with a free slot, if any. */
static bool
mem_add_duplicate(HnswMemGraph *g, const HnswNode *nodes, int n,
				  const float *vec, ItemPointer heaptid)
{
	int			i;

	for (i = 0; i < n && nodes[i].dist == nodes[0].dist; i++)
	{
		HnswMemElement *e = mem_element(g, nodes[i].key);

		if (e->ntids < HNSW_HEAPTIDS &&
			memcmp(mem_vector(g, e), vec, sizeof(float) * g->dim) == 0)
		{
			e->heaptids[e->ntids++] = *heaptid;
			return true;
		}
	}
	return false;
}

/*
 * Inserts a vector into the memory graph.  Returns false, changing nothing,
 * when the area is full.
 */
static bool
mem_insert(HnswBuildState *bs, const float *vec, ItemPointer heaptid)
{
	HnswMemGraph *g = &bs->graph;
	HnswSearch *s = bs->search;
	HnswNode   *layers[HNSW_MAX_LEVEL + 1];
	int			nlayer[HNSW_MAX_LEVEL + 1];
	int			level = hnsw_random_level(&bs->info);
	int			top = Min(level, g->entry_level);
	int64		off;
	HnswMemElement *e;
	int			l;

	if (g->entry >= 0)
	{
		hnsw_search_begin(s, vec);
		hnsw_search_seed(s, g->entry);
		for (l = g->entry_level; l > top; l--)
			hnsw_search_layer(s, 1, l);
		for (l = top; l >= 0; l--)
		{
			hnsw_search_layer(s, bs->info.ef_construction, l);
			nlayer[l] = hnsw_search_sorted(s, &layers[l]);
		}
		if (mem_add_duplicate(g, layers[0], nlayer[0], vec, heaptid))
			return true;
	}

	off = mem_alloc(g, level);
	if (off < 0)
		return false;
	e = mem_element(g, off);
	e->heaptids[0] = *heaptid;
	e->ntids = 1;
	memcpy(mem_vector(g, e), vec, sizeof(float) * g->dim);

	for (l = top; l >= 0 && g->entry >= 0; l--)
	{
		const float *vecs[HNSW_MAX_EF_CONSTRUCTION];
		float		dists[HNSW_MAX_EF_CONSTRUCTION];
		int			sel[HNSW_MAX_EF_CONSTRUCTION];
		HnswSelect	hs;
		int			i;
		int			n;

		for (i = 0; i < nlayer[l]; i++)
		{
			vecs[i] = mem_vector(g, mem_element(g, layers[l][i].key));
			dists[i] = layers[l][i].dist;
		}
		hs.distance = g->distance;
		hs.dim = g->dim;
		hs.ncand = nlayer[l];
		hs.vecs = vecs;
		hs.dists = dists;
		hs.cap = HnswLayerCapacity(g->m, l);
		hs.selected = sel;
		n = hnsw_select_neighbors(&hs);
		mem_set_links(g, e, l, layers[l], sel, n);
		for (i = 0; i < n; i++)
			mem_add_backlink(g, layers[l][sel[i]].key, l, off, layers[l][sel[i]].dist);
	}

	if (level > g->entry_level)
	{
		g->entry = off;
		g->entry_level = level;
	}
	return true;
}

/* ---------------------------------------------------------------------
 * Writing the graph out
 * ---------------------------------------------------------------------
 */

/* Free space left on a page being filled, as PageAddItem counts it */
#define PAGE_ROOM_EMPTY \
	(BLCKSZ - SizeOfPageHeaderData - MAXALIGN(sizeof(HnswPageOpaqueData)))

/* Assigns each element its page position, in record order. */
static BlockNumber
mem_assign_tids(HnswMemGraph *g, BlockNumber first)
{
	BlockNumber blkno = first;
	OffsetNumber off = InvalidOffsetNumber;
	Size		room = 0;
	Size		pos;

	for (pos = 0; pos < g->used; pos += mem_element(g, pos)->size)
	{
		HnswMemElement *e = mem_element(g, pos);
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
		int			n = *mem_count(g, e, l);
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
	if (bs->graph.entry >= 0)
	{
		HnswMemElement *e = mem_element(&bs->graph, bs->graph.entry);

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

/* Writes every element of the memory graph to pages, in record order. */
static void
mem_write(HnswBuildState *bs)
{
	HnswMemGraph *g = &bs->graph;
	Relation	index = bs->info.index;
	PGAlignedBlock image;
	BlockNumber cur = InvalidBlockNumber;
	Size		pos;
	int64		done = 0;

	(void) mem_assign_tids(g, HNSW_METAPAGE_BLKNO + 1);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, 3);

	for (pos = 0; pos < g->used; pos += mem_element(g, pos)->size)
	{
		HnswMemElement *e = mem_element(g, pos);
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
		if (++done % 1000 == 0)
			pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, done);
	}
	if (cur != InvalidBlockNumber)
		write_page(index, image.data, cur);
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
					bs->indtuples),
			 errdetail("Building will take significantly more time."),
			 errhint("Increase maintenance_work_mem to speed up builds.")));
	mem_write(bs);
	pfree(bs->graph.base);
	bs->graph.base = NULL;
	bs->on_disk = true;
	hnsw_insert_init(&bs->ins, &bs->info, true);
}

static void
build_callback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
			   bool tupleIsAlive, void *state)
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
			hnsw_check_dim(&bs->info, dim);
			bs->info.dim = bs->graph.dim = dim;
		}
		if (!bs->on_disk && !mem_insert(bs, vec, tid))
		{
			MemoryContextSwitchTo(oldctx);
			switch_to_disk(bs);
			MemoryContextSwitchTo(bs->tmpctx);
		}
		if (bs->on_disk)
			hnsw_insert_vector(&bs->ins, vec, dim, tid);
		bs->indtuples++;
		if ((int64) bs->indtuples % 1000 == 0)
			pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE,
										 (int64) bs->indtuples);
	}
	MemoryContextSwitchTo(oldctx);
	MemoryContextReset(bs->tmpctx);
}

/* Reads the index options and opclass into the build state. */
static void
build_init(HnswBuildState *bs, Relation heap, Relation index)
{
	HnswOptions *opts = (HnswOptions *) index->rd_options;
	int32		typmod = TupleDescAttr(RelationGetDescr(index), 0)->atttypmod;

	memset(bs, 0, sizeof(HnswBuildState));
	bs->heap = heap;
	bs->info.index = index;
	bs->info.kind = hnsw_index_kind(index);
	bs->info.distance = hnsw_distance_fn(bs->info.kind);
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

	bs->graph.limit = (Size) maintenance_work_mem * 1024;
	bs->graph.entry = -1;
	bs->graph.entry_level = -1;
	bs->graph.m = bs->info.m;
	bs->graph.dim = bs->info.dim;
	bs->graph.distance = bs->info.distance;
	bs->graph.ctx = CurrentMemoryContext;
	bs->search = hnsw_search_create(&mem_ops, &bs->graph, bs->info.m);
	bs->tmpctx = AllocSetContextCreate(CurrentMemoryContext, "hnsw build tuple",
									   ALLOCSET_DEFAULT_SIZES);
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

	build_init(&bs, heap, index);
	write_meta(&bs, false);

	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, 2);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_TOTAL,
								 (int64) Max(heap->rd_rel->reltuples, 0));
	bs.reltuples = table_index_build_scan(heap, index, indexInfo, true, true,
										  build_callback, &bs, NULL);

	if (bs.on_disk)
		hnsw_insert_end(&bs.ins);
	else
		mem_write(&bs);

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
