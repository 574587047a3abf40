/*
 * hnswutils.c
 *	  Pages, the metapage, element tuples and reads of the page graph.
 */
#include "postgres.h"

#include "compat.h"
#include "hnsw_pagegraph.h"

#include <math.h>

#include "access/genam.h"
#include "common/pg_prng.h"
#include "distance.h"
#include "miscadmin.h"
#include "utils/rel.h"

/* ---------------------------------------------------------------------
 * Distances
 * ---------------------------------------------------------------------
 */

static float
dist_l2(const void *a, const void *b, int n)
{
	return vec_kernels->l2_squared(a, b, n);
}

static float
dist_neg_ip(const void *a, const void *b, int n)
{
	return -vec_kernels->inner_product(a, b, n);
}

static float
dist_l1(const void *a, const void *b, int n)
{
	return vec_kernels->l1(a, b, n);
}

static float
dist_l2_half(const void *a, const void *b, int n)
{
	return vec_half_kernels->l2_squared(a, b, n);
}

static float
dist_neg_ip_half(const void *a, const void *b, int n)
{
	return -vec_half_kernels->inner_product(a, b, n);
}

static float
dist_l1_half(const void *a, const void *b, int n)
{
	return vec_half_kernels->l1(a, b, n);
}

/*
 * The distance function of a kind, over float vectors or (half) over the
 * half-precision copies a build keeps (distance.h).
 */
HnswDistanceFn
hnsw_distance_fn(HnswDistanceKind kind, bool half)
{
	switch (kind)
	{
		case HNSW_DIST_L2:
			return half ? dist_l2_half : dist_l2;
		case HNSW_DIST_IP:
		case HNSW_DIST_COSINE:
			/* cosine vectors are stored unit length: order by -dot */
			return half ? dist_neg_ip_half : dist_neg_ip;
		case HNSW_DIST_L1:
			return half ? dist_l1_half : dist_l1;
	}
	elog(ERROR, "unknown hnsw distance kind %d", (int) kind);
	return NULL;				/* keep compiler quiet */
}

/* The distance kind of an index, from its opclass's support function. */
HnswDistanceKind
hnsw_index_kind(Relation index)
{
	FmgrInfo   *proc = index_getprocinfo(index, 1, HNSW_DISTANCE_PROC);
	int32		kind = DatumGetInt32(FunctionCall1(proc, (Datum) 0));

	if (kind < HNSW_DIST_L2 || kind > HNSW_DIST_L1)
		elog(ERROR, "hnsw support function returned unknown distance kind %d", kind);
	return (HnswDistanceKind) kind;
}

/*
 * Fills info from the metapage (inserts and scans), and *metap with the
 * metapage itself when not NULL.
 */
void
hnsw_index_info(Relation index, HnswIndexInfo *info, HnswMetaPageData *metap)
{
	HnswMetaPageData meta;

	hnsw_read_meta(index, &meta);
	if (metap)
		*metap = meta;
	info->index = index;
	info->kind = (HnswDistanceKind) meta.kind;
	info->distance = hnsw_distance_fn(info->kind, false);
	info->m = meta.m;
	info->ef_construction = meta.ef_construction;
	info->dim = meta.dimensions;
	info->ml = 1.0 / log((double) info->m);
}

/* ---------------------------------------------------------------------
 * Levels and sizes
 * ---------------------------------------------------------------------
 */

/* Highest level whose element tuple still fits a page; -1 if none does. */
int
hnsw_max_level_for(const HnswIndexInfo *info, int dim)
{
	int			level;

	for (level = HNSW_MAX_LEVEL; level >= 0; level--)
		if (HnswElementTupleSize(level, info->m, dim) <= HNSW_MAX_TUPLE_SIZE)
			return level;
	return -1;
}

/*
 * Draws a level from the paper's exponential distribution, floor(-ln(U)*mL).
 * Capped where the tuple would outgrow a page: such an element then lives on
 * fewer layers, which costs a little search speed, never correctness.
 */
int
hnsw_random_level(const HnswIndexInfo *info)
{
	double		u = pg_prng_double(&pg_global_prng_state);	/* [0, 1) */
	double		l = floor(-log(1.0 - u) * info->ml);
	int			cap = hnsw_max_level_for(info, info->dim);

	return (int) Min(l, (double) cap);
}

void
hnsw_check_dim(const HnswIndexInfo *info, int dim)
{
	if (hnsw_max_level_for(info, dim) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("vector with %d dimensions is too wide for an hnsw index with m = %d",
						dim, info->m),
				 errdetail("An index element would take %zu bytes; a page holds at most %zu.",
						   HnswElementTupleSize(0, info->m, dim),
						   (size_t) HNSW_MAX_TUPLE_SIZE)));
}

/*
 * Turns an indexed value into the floats the graph stores: checks the
 * dimension count against the index and, for cosine, scales to unit length.
 * Returns NULL for a value the index does not hold (a zero vector under
 * cosine, whose distance to anything is undefined).  *dim gets the length.
 */
float *
hnsw_prepare_vector(const HnswIndexInfo *info, Datum value, int *dim)
{
	Vector	   *v = DatumGetVector(value);
	float	   *out;
	int			i;

	if (info->dim != 0 && v->dim != info->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", info->dim, v->dim)));

	out = palloc(sizeof(float) * v->dim);
	memcpy(out, v->x, sizeof(float) * v->dim);
	*dim = v->dim;

	if (info->kind == HNSW_DIST_COSINE)
	{
		double		norm = VectorNorm(v);

		if (norm == 0.0)
			return NULL;
		for (i = 0; i < v->dim; i++)
			out[i] = (float) (out[i] / norm);
	}
	if ((Pointer) v != DatumGetPointer(value))
		pfree(v);
	return out;
}

/* ---------------------------------------------------------------------
 * Pages
 * ---------------------------------------------------------------------
 */

void
hnsw_init_page(Page page, uint16 flags)
{
	HnswPageOpaque opaque;

	PageInit(page, BLCKSZ, sizeof(HnswPageOpaqueData));
	opaque = HnswPageGetOpaque(page);
	opaque->flags = flags;
	opaque->page_id = HNSW_PAGE_ID;
}

/* A new, exclusively locked page at the end of the index */
Buffer
hnsw_new_buffer(Relation index)
{
	return vec_extend_locked(index);
}

void
hnsw_init_metapage(Page page, const HnswIndexInfo *info)
{
	HnswMetaPage meta;

	hnsw_init_page(page, HNSW_PAGE_META);
	meta = HnswPageGetMeta(page);
	memset(meta, 0, sizeof(HnswMetaPageData));
	meta->magic = HNSW_MAGIC;
	meta->version = HNSW_FORMAT_VERSION;
	meta->dimensions = info->dim;
	meta->m = info->m;
	meta->ef_construction = info->ef_construction;
	meta->kind = info->kind;
	meta->entry_blkno = InvalidBlockNumber;
	meta->entry_offno = InvalidOffsetNumber;
	meta->entry_level = -1;
	((PageHeader) page)->pd_lower =
		((char *) meta + sizeof(HnswMetaPageData)) - (char *) page;
}

/* Errors out unless `page` looks like one of ours. */
void
hnsw_check_page(Relation index, Page page, BlockNumber blkno)
{
	if (PageIsNew(page) ||
		PageGetSpecialSize(page) != MAXALIGN(sizeof(HnswPageOpaqueData)) ||
		HnswPageGetOpaque(page)->page_id != HNSW_PAGE_ID)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" contains an unexpected page at block %u",
						RelationGetRelationName(index), blkno)));
}

void
hnsw_read_meta(Relation index, HnswMetaPageData *out)
{
	Buffer		buf = hnsw_read_buffer(index, HNSW_METAPAGE_BLKNO);
	Page		page;
	HnswMetaPage meta;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	hnsw_check_page(index, page, HNSW_METAPAGE_BLKNO);
	meta = HnswPageGetMeta(page);
	if (!(HnswPageGetOpaque(page)->flags & HNSW_PAGE_META) ||
		meta->magic != HNSW_MAGIC)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" is not an hnsw index: bad metapage magic",
						RelationGetRelationName(index))));
	if (meta->version != HNSW_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" has hnsw format version %u, expected %u",
						RelationGetRelationName(index), meta->version,
						HNSW_FORMAT_VERSION),
				 errhint("REINDEX the index.")));

	/*
	 * Everything below sizes arrays and walks tuples by these values: a
	 * damaged metapage must be an error, not an overrun.
	 */
	if (meta->m < HNSW_MIN_M || meta->m > HNSW_MAX_M ||
		meta->ef_construction < HNSW_MIN_EF_CONSTRUCTION ||
		meta->ef_construction > HNSW_MAX_EF_CONSTRUCTION ||
		meta->kind < HNSW_DIST_L2 || meta->kind > HNSW_DIST_L1 ||
		meta->dimensions > VECTOR_MAX_DIM ||
		meta->entry_level < -1 || meta->entry_level > HNSW_MAX_LEVEL)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" has an invalid metapage (m %u, ef_construction %u, kind %u, dimensions %u, entry level %d)",
						RelationGetRelationName(index), meta->m,
						meta->ef_construction, meta->kind, meta->dimensions,
						meta->entry_level),
				 errhint("REINDEX the index.")));
	*out = *meta;
	UnlockReleaseBuffer(buf);
}

static HnswElementTuple page_element(Relation index, Page page, BlockNumber blkno,
									 OffsetNumber off);

/* The page must be one of our element pages to hold element (blkno, off) */
static void
check_element_page(Relation index, Page page, BlockNumber blkno, OffsetNumber off)
{
	hnsw_check_page(index, page, blkno);
	if (!(HnswPageGetOpaque(page)->flags & HNSW_PAGE_ELEMENT))
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" has no valid element at (%u,%u)",
						RelationGetRelationName(index), blkno, off)));
}

/*
 * Returns the element tuple at (blkno, off) of a locked page, checking that
 * it is a well-formed element; a bad one is reported as corruption.
 */
HnswElementTuple
hnsw_get_element(Relation index, Page page, BlockNumber blkno, OffsetNumber off)
{
	check_element_page(index, page, blkno, off);
	return page_element(index, page, blkno, off);
}

/*
 * Returns the element tuple at (blkno, off) of an element page checked
 * already (hnsw_get_element checks the page too), checking the tuple.
 */
static HnswElementTuple
page_element(Relation index, Page page, BlockNumber blkno, OffsetNumber off)
{
	ItemId		iid;
	HnswElementTuple tup;

	if (off < FirstOffsetNumber || off > PageGetMaxOffsetNumber(page))
		goto bad;
	iid = PageGetItemId(page, off);
	if (!ItemIdIsNormal(iid) || ItemIdGetLength(iid) < HNSW_ELEMENT_HEADER_SIZE)
		goto bad;
	/* a wild item pointer must not send the caller outside the page */
	if (ItemIdGetOffset(iid) < SizeOfPageHeaderData ||
		ItemIdGetOffset(iid) + ItemIdGetLength(iid) > ((PageHeader) page)->pd_special)
		goto bad;
	tup = (HnswElementTuple) PageGetItem(page, iid);
	if (tup->type != HNSW_ELEMENT_TUPLE || tup->level > HNSW_MAX_LEVEL)
		goto bad;
	return tup;

bad:
	ereport(ERROR,
			(errcode(ERRCODE_INDEX_CORRUPTED),
			 errmsg("index \"%s\" has no valid element at (%u,%u)",
					RelationGetRelationName(index), blkno, off)));
	return NULL;				/* keep compiler quiet */
}

Buffer
hnsw_read_linked_page(Relation index, BlockNumber blkno, BufferAccessStrategy strategy)
{
	if (blkno == InvalidBlockNumber || blkno == HNSW_METAPAGE_BLKNO)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" refers to an element in block %u",
						RelationGetRelationName(index), blkno)));
	return ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL, strategy);
}

/* A palloc'd copy of element `key`, read under a share lock. */
HnswElementTuple
hnsw_copy_element(const HnswIndexInfo *info, uint64 key,
				  BufferAccessStrategy strategy)
{
	BlockNumber blkno = hnsw_key_block(key);
	Buffer		buf = hnsw_read_linked_page(info->index, blkno, strategy);
	Page		page;
	HnswElementTuple tup;
	HnswElementTuple copy;
	Size		size;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	tup = hnsw_get_linked_element(info, page, blkno, hnsw_key_offset(key));
	size = ItemIdGetLength(PageGetItemId(page, hnsw_key_offset(key)));
	copy = palloc(size);
	memcpy(copy, tup, size);
	UnlockReleaseBuffer(buf);
	return copy;
}

/*
 * Whether a page read by a pass over the whole index holds elements: false
 * for the metapage and for an all-zero page (extended, never initialised:
 * a crash); an error for a page that is not ours.
 */
bool
hnsw_is_element_page(Relation index, Page page, BlockNumber blkno)
{
	if (PageIsNew(page))
		return false;
	hnsw_check_page(index, page, blkno);
	return (HnswPageGetOpaque(page)->flags & HNSW_PAGE_ELEMENT) != 0;
}

/* Copies the vector of element `key`, read under a share lock, into dst. */
void
hnsw_read_vector(const HnswIndexInfo *info, uint64 key,
				 BufferAccessStrategy strategy, float *dst)
{
	BlockNumber blkno = hnsw_key_block(key);
	Buffer		buf = hnsw_read_linked_page(info->index, blkno, strategy);
	HnswElementTuple tup;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	tup = hnsw_get_linked_element(info, BufferGetPage(buf), blkno,
								  hnsw_key_offset(key));
	memcpy(dst, HnswTupleVector(tup, info->m), sizeof(float) * info->dim);
	UnlockReleaseBuffer(buf);
}

HnswElementTuple
hnsw_get_linked_element(const HnswIndexInfo *info, Page page, BlockNumber blkno,
						OffsetNumber off)
{
	check_element_page(info->index, page, blkno, off);
	return hnsw_page_linked_element(info, page, blkno, off);
}

/* hnsw_get_linked_element on an element page checked already */
HnswElementTuple
hnsw_page_linked_element(const HnswIndexInfo *info, Page page, BlockNumber blkno,
						 OffsetNumber off)
{
	HnswElementTuple tup = page_element(info->index, page, blkno, off);
	Size		len = ItemIdGetLength(PageGetItemId(page, off));

	if (tup->dim != info->dim ||
		len < HnswElementTupleSize(tup->level, info->m, info->dim))
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" element (%u,%u) has %d dimensions and %zu bytes, expected %d dimensions",
						RelationGetRelationName(info->index), blkno, off,
						tup->dim, len, info->dim)));
	return tup;
}

/* ---------------------------------------------------------------------
 * Page edits
 * ---------------------------------------------------------------------
 */

void
hnsw_edit_begin(HnswPageEdit *edit, Relation index, bool building)
{
	edit->index = index;
	edit->nbufs = 0;
	edit->xlog = building ? NULL : GenericXLogStart(index);
}

/*
 * Returns the page of an exclusively locked buffer to modify.  `fresh`: the
 * page is being initialised, so log it whole.
 */
Page
hnsw_edit_page(HnswPageEdit *edit, Buffer buf, bool fresh)
{
	if (edit->xlog)
		return GenericXLogRegisterBuffer(edit->xlog, buf,
										 fresh ? GENERIC_XLOG_FULL_IMAGE : 0);
	Assert(edit->nbufs < MAX_GENERIC_XLOG_PAGES);
	edit->bufs[edit->nbufs++] = buf;
	return BufferGetPage(buf);
}

void
hnsw_edit_finish(HnswPageEdit *edit)
{
	int			i;

	if (edit->xlog)
		GenericXLogFinish(edit->xlog);
	for (i = 0; i < edit->nbufs; i++)
		MarkBufferDirty(edit->bufs[i]);
	edit->xlog = NULL;
	edit->nbufs = 0;
}

/* ---------------------------------------------------------------------
 * The page graph, read through the buffer manager
 *
 * Each read pins the element's page, takes a share lock only while it
 * copies what it needs, and keeps the pin for the next read if that falls
 * on the same page (neighbours are often written side by side).
 * ---------------------------------------------------------------------
 */

void
hnsw_disk_graph_init(HnswDiskGraph *g, HnswIndexInfo *info, bool want_tids)
{
	g->info = info;
	g->buf = InvalidBuffer;
	g->locked = false;
	g->pinned = NULL;
	g->want_tids = want_tids;
	g->pf_keys = NULL;
	g->pf_n = g->pf_pos = g->pf_next = 0;
}

/*
 * Pins the page of announced element i and prefetches its line pointer.
 * A block that cannot hold an element is left to the visit to report.
 */
static void
disk_pin_ahead(HnswDiskGraph *g, int i)
{
	BlockNumber blkno = hnsw_key_block(g->pf_keys[i]);
	OffsetNumber off = hnsw_key_offset(g->pf_keys[i]);
	Buffer		buf = InvalidBuffer;

	if (blkno != InvalidBlockNumber && blkno != HNSW_METAPAGE_BLKNO)
	{
		Buffer		prev = i > g->pf_pos ? g->pf_bufs[(i - 1) % HNSW_PREFETCH_DEPTH] : InvalidBuffer;

		/*
		 * A page pinned already (the previous announced element's, or the
		 * one last visited) takes one more pin without a buffer-mapping
		 * lookup: announced elements come in block order, and the build
		 * lays neighbours out together.
		 */
		if (BufferIsValid(prev) && BufferGetBlockNumber(prev) == blkno)
		{
			IncrBufferRefCount(prev);
			buf = prev;
		}
		else if (BufferIsValid(g->buf) && BufferGetBlockNumber(g->buf) == blkno)
		{
			IncrBufferRefCount(g->buf);
			buf = g->buf;
		}
		else
			buf = hnsw_read_buffer(g->info->index, blkno);
		/* asked for at the announcement too when the map knew the buffer */
		hnsw_prefetch_element_head((const char *) BufferGetPage(buf), off);
	}
	g->pf_bufs[i % HNSW_PREFETCH_DEPTH] = buf;
}

/*
 * Prefetches the tuple of announced element i (header, links, vector),
 * whose page is pinned and whose line pointer was prefetched a few visits
 * ago.  Reading the line pointer without the content lock is fine for a
 * hint: items never move, and a garbage address or length is never
 * dereferenced, only prefetched (within the page, as checked).
 */
static void
disk_prefetch_tuple(HnswDiskGraph *g, int i)
{
	Buffer		buf = g->pf_bufs[i % HNSW_PREFETCH_DEPTH];
	OffsetNumber off = hnsw_key_offset(g->pf_keys[i]);
	Page		page;
	ItemId		iid;
	const char *p;
	Size		len;

	if (!BufferIsValid(buf) || off < FirstOffsetNumber || off > MaxOffsetNumber)
		return;
	page = BufferGetPage(buf);
	iid = PageGetItemId(page, off);
	if (ItemIdGetOffset(iid) + ItemIdGetLength(iid) > BLCKSZ)
		return;
	p = (const char *) page + ItemIdGetOffset(iid);
	len = ItemIdGetLength(iid);
	/* all of it, in the order the visit reads it (header, then vector) */
	if (len > 0)
		hnsw_prefetch_range(p, len);
}

static void
disk_prefetch(void *ctx, const uint64 *keys, int n)
{
	HnswDiskGraph *g = ctx;

	/* a build's pages are pinned already (hnswpinned.c) */
	if (g->pinned)
	{
		hnsw_pinned_prefetch(g->pinned, g->info, keys, n);
		return;
	}
	Assert(g->pf_pos == g->pf_n);	/* the last batch was all visited */
	g->pf_keys = keys;
	g->pf_n = n;
	g->pf_pos = g->pf_next = 0;
	/* buffer headers and pages of all, then pins of the first few */
	for (int i = 0; i < n; i++)
		hnsw_prefetch_block(g->info->index, hnsw_key_block(keys[i]),
							hnsw_key_offset(keys[i]));
	while (g->pf_next < n && g->pf_next < HNSW_PREFETCH_DEPTH)
		disk_pin_ahead(g, g->pf_next++);
	if (n > 0)
		disk_prefetch_tuple(g, 0);
	if (n > 1)
		disk_prefetch_tuple(g, 1);
}

/*
 * The pinned buffer of key if it is the next announced one (its pin moves
 * to g->buf), keeping HNSW_PREFETCH_DEPTH pages pinned ahead.
 */
static bool
disk_take_prefetched(HnswDiskGraph *g, uint64 key)
{
	Buffer		buf;

	if (g->pf_pos >= g->pf_n || g->pf_keys[g->pf_pos] != key)
		return false;
	buf = g->pf_bufs[g->pf_pos % HNSW_PREFETCH_DEPTH];
	g->pf_pos++;
	if (g->pf_next < g->pf_n)
		disk_pin_ahead(g, g->pf_next++);
	if (g->pf_pos + 1 < g->pf_next)
		disk_prefetch_tuple(g, g->pf_pos + 1);
	if (!BufferIsValid(buf))
		return false;
	if (BufferIsValid(g->buf))
		ReleaseBuffer(g->buf);
	g->buf = buf;
	return true;
}

/*
 * The element `key`, on a page share-locked (g->locked) or, in a build,
 * pinned for good and read without a lock (see hnswpinned.c).
 */
static HnswElementTuple
disk_lock_element(HnswDiskGraph *g, uint64 key)
{
	BlockNumber blkno = hnsw_key_block(key);
	Page		page;
	HnswElementTuple tup;
	Size		len;

	/* ReadBuffer would take InvalidBlockNumber (P_NEW) as "extend" */
	if (blkno == InvalidBlockNumber)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" refers to an element in invalid block %u",
						RelationGetRelationName(g->info->index), blkno)));
	/* a build's pinned page: checked at the first lookup, read unlocked */
	g->locked = false;
	tup = g->pinned ? hnsw_pinned_tuple(g->pinned, g->info, key) : NULL;
	if (tup)
		return tup;

	if (!disk_take_prefetched(g, key) &&
		(!BufferIsValid(g->buf) || BufferGetBlockNumber(g->buf) != blkno))
	{
		if (BufferIsValid(g->buf))
			ReleaseBuffer(g->buf);
		g->buf = hnsw_read_buffer(g->info->index, blkno);
	}
	/* a build's page beyond the pin budget: pinned for this read, unlocked */
	if (g->pinned)
		return hnsw_build_tuple(g->pinned, g->info, key, BufferGetPage(g->buf));
	g->locked = true;
	LockBuffer(g->buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(g->buf);
	tup = hnsw_get_element(g->info->index, page, blkno, hnsw_key_offset(key));

	/*
	 * Links and the vector are found from level, m and dim: a tuple shorter
	 * than those imply would have us read past its end.
	 */
	len = ItemIdGetLength(PageGetItemId(page, hnsw_key_offset(key)));
	if (len < HnswElementTupleSize(tup->level, g->info->m, tup->dim))
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" element (%u,%u) is %zu bytes, too short for level %d and %d dimensions",
						RelationGetRelationName(g->info->index), blkno,
						hnsw_key_offset(key), len, tup->level, tup->dim)));
	return tup;
}

static inline void
disk_unlock_element(HnswDiskGraph *g)
{
	if (g->locked)
		LockBuffer(g->buf, BUFFER_LOCK_UNLOCK);
	g->locked = false;
}

static int
disk_links(void *ctx, uint64 key, int layer, uint64 *out)
{
	HnswDiskGraph *g = ctx;
	HnswElementTuple tup = disk_lock_element(g, key);
	int			n = 0;

	if (tup->level >= layer)
	{
		ItemPointerData *links = HnswTupleLinks(tup, g->info->m, layer);
		int			count = HnswTupleCounts(tup)[layer];
		int			i;

		if (count > HnswLayerCapacity(g->info->m, layer))
			ereport(ERROR,
					(errcode(ERRCODE_INDEX_CORRUPTED),
					 errmsg("index \"%s\" element (%u,%u) has %d links on layer %d",
							RelationGetRelationName(g->info->index),
							hnsw_key_block(key), hnsw_key_offset(key),
							count, layer)));
		for (i = 0; i < count; i++)
			out[n++] = hnsw_tid_key(ItemPointerGetBlockNumberNoCheck(&links[i]),
									ItemPointerGetOffsetNumberNoCheck(&links[i]));
	}
	disk_unlock_element(g);
	return n;
}

static bool
disk_visit(void *ctx, uint64 key, const float *query, HnswNode *node)
{
	HnswDiskGraph *g = ctx;
	HnswElementTuple tup = disk_lock_element(g, key);

	if (tup->dim != g->info->dim)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" element (%u,%u) has %d dimensions, expected %d",
						RelationGetRelationName(g->info->index),
						hnsw_key_block(key), hnsw_key_offset(key),
						tup->dim, g->info->dim)));

	node->dist = g->info->distance(query, HnswTupleVector(tup, g->info->m),
								   g->info->dim);
	node->level = tup->level;
	node->deleted = tup->deleted;
	node->ntids = 0;
	for (int i = 0; i < HNSW_HEAPTIDS; i++)
	{
		if (!ItemPointerIsValid(&tup->heaptids[i]))
			continue;
		/* inserts only need the count, to find a free slot for a duplicate */
		if (g->want_tids)
			node->heaptids[node->ntids] = tup->heaptids[i];
		node->ntids++;
	}
	disk_unlock_element(g);
	return true;
}

const HnswGraphOps hnsw_disk_ops = {
	.links = disk_links,
	.visit = disk_visit,
	.prefetch = disk_prefetch,
	.visit_in_key_order = true,
};

void
hnsw_disk_graph_release(HnswDiskGraph *g)
{
	/* pins taken ahead for visits that will not happen (an error) */
	while (g->pf_pos < g->pf_next)
	{
		Buffer		buf = g->pf_bufs[g->pf_pos++ % HNSW_PREFETCH_DEPTH];

		if (BufferIsValid(buf))
			ReleaseBuffer(buf);
	}
	g->pf_n = g->pf_pos = g->pf_next = 0;
	if (BufferIsValid(g->buf))
		ReleaseBuffer(g->buf);
	g->buf = InvalidBuffer;
}

/* Drops an edit that changed nothing worth logging. */
void
hnsw_edit_abort(HnswPageEdit *edit)
{
	if (edit->xlog)
		GenericXLogAbort(edit->xlog);
	edit->xlog = NULL;
	edit->nbufs = 0;
}
