/*
 * hnswpinned.c
 *	  The pages of an index being built, pinned once and read without locks.
 *
 * A build that outgrows maintenance_work_mem inserts the remaining rows
 * into the pages (hnswinsert.c).  Each insert reads a few thousand elements;
 * through ReadBuffer and a share lock per read, the buffer mapping lookups,
 * pins and lock cycles cost more than the distances themselves.  During a
 * build no other backend writes the index (it is not yet ready for
 * inserts, or REINDEX holds it exclusively; hnsw_index_check may read it
 * during CREATE INDEX CONCURRENTLY, under share locks), so this backend is
 * its only writer: reading a page without the content lock is safe, and a
 * page that stays pinned cannot be evicted, so its address stays valid for
 * the whole build.
 * Writes still take the exclusive lock (MarkBufferDirty wants it, and the
 * checkpointer may be writing the page out under a share lock).
 *
 * At most a quarter of the buffer pool (of the local buffers for a
 * temporary index) is pinned, so that other backends -- and another such
 * build -- keep room; blocks beyond that are pinned per read (ReadBuffer),
 * still read without a lock.  Elements never move on a page during a build
 * (no slot is reused, nothing is compacted), so a pointer into a pinned
 * page stays valid as later elements are added.
 *
 * The other half of an insert's cost was its back-links: pruning a full
 * list re-ran the heuristic over it, with every distance recomputed, where
 * the memory graph keeps each link's distance and which choice pruned each
 * filler, and updates a list with a few distances (hnsw_list_add).  The page
 * format stores neither, so a build keeps them here, for layer-0 lists (the
 * upper layers' are few): one entry per element slot, slot = block *
 * (the most elements a page holds) + offset - 1, filled when the memory
 * graph is written out and when an element is added, updated with every
 * back-link.  The table grows to at most maintenance_work_mem (which the
 * memory graph no longer uses), MAXALIGN(4 + 10m) bytes per slot; while
 * the graph is written out it exists alongside it, sized once for the
 * graph's blocks (hnsw_pinned_reserve).
 * Elements beyond it, and lists changed another way, are pruned as by
 * aminsert (their entry is marked unknown).
 *
 * With those two gone, a visit's cost was its cache misses: the page head
 * (to find the line pointer), then the tuple.  The first read of an element
 * records its tuple's offset (2 bytes per slot, a table that stays in
 * cache), so later reads miss on the tuple only, and the elements a search
 * announces can have their tuples prefetched before they are visited.
 */
#include "postgres.h"

#include "hnsw_pagegraph.h"

#include "storage/bufmgr.h"
#include "utils/memutils.h"
#include "utils/guc.h"
#include "utils/rel.h"

struct HnswPinnedPages
{
	Relation	index;
	Buffer	   *bufs;			/* by block number; InvalidBuffer: not yet */
	BlockNumber cap;			/* blocks below this may be pinned */
	BlockNumber npinned;		/* valid entries of bufs */
	/* tuple offsets of elements on pinned pages checked once, by slot */
	uint16	   *offsets;		/* 0: not looked up yet */
	uint64		noffsets;		/* entries allocated */
	/* layer-0 lists as the heuristic left them, by element slot */
	MemoryContext ctx;			/* where lists is (re)allocated */
	char	   *lists;			/* entries of list_size bytes */
	Size		list_size;
	int			list_cap;		/* links per layer-0 list (2m) */
	uint32		perpage;		/* slots per block */
	uint64		nlists;			/* entries allocated */
	uint64		maxlists;		/* entries the memory budget allows */
};

/* At most this share of the buffer pool is pinned: 1 / PIN_SHARE */
#define PIN_SHARE		4

/*
 * A list entry: count (0xFF: unknown), nkept, then dists[list_cap] and
 * pruners[list_cap].
 */
#define LIST_UNKNOWN	0xFF

typedef struct ListHead
{
	uint8		count;
	uint8		nkept;
} ListHead;

#define LIST_DISTS(e)	((float *) ((char *) (e) + sizeof(float)))

/*
 * Sets up the pins and the list table.  budget: bytes the list table may
 * take (the build's memory graph has been freed by then).
 */
HnswPinnedPages *
hnsw_pinned_create(const HnswIndexInfo *info, Size budget)
{
	HnswPinnedPages *pp = palloc(sizeof(HnswPinnedPages));
	Relation	index = info->index;
	int			pool = RelationUsesLocalBuffers(index) ? num_temp_buffers : NBuffers;

	StaticAssertStmt(2 * HNSW_MAX_M < LIST_UNKNOWN, "list count must fit below LIST_UNKNOWN");
	pp->index = index;
	pp->cap = (BlockNumber) Max(pool / PIN_SHARE, 0);
	pp->bufs = pp->cap > 0 ? palloc0(sizeof(Buffer) * pp->cap) : NULL;
	pp->npinned = 0;
	pp->offsets = NULL;
	pp->noffsets = 0;

	pp->ctx = CurrentMemoryContext;
	pp->list_cap = HnswLayerCapacity(info->m, 0);
	pp->list_size = MAXALIGN(sizeof(float) + pp->list_cap * (sizeof(float) + 1));
	pp->perpage = HnswElementsPerPage(info->m, info->vecbytes);
	pp->lists = NULL;
	pp->nlists = 0;
	pp->maxlists = info->dim > 0 ? budget / pp->list_size : 0;
	return pp;
}

/* Grows the list table to n entries (at most maxlists), new ones unknown. */
static void
lists_grow(HnswPinnedPages *pp, uint64 n)
{
	uint64		i;

	n = Min(n, pp->maxlists);
	if (n <= pp->nlists)
		return;
	if (pp->lists == NULL)
		pp->lists = MemoryContextAllocHuge(pp->ctx, n * pp->list_size);
	else
		pp->lists = repalloc_huge(pp->lists, n * pp->list_size);
	for (i = pp->nlists; i < n; i++)
		((ListHead *) (pp->lists + i * pp->list_size))->count = LIST_UNKNOWN;
	pp->nlists = n;
}

/*
 * Sizes the list table for the first nblocks blocks at once: the memory
 * graph's write-out records its lists while the graph still takes its
 * memory, so the table should not also be doubling then.
 */
void
hnsw_pinned_reserve(HnswPinnedPages *pp, BlockNumber nblocks)
{
	lists_grow(pp, (uint64) nblocks * pp->perpage);
}

/*
 * The slot of element key: block * (the most elements a page holds) +
 * offset - 1; or -1 if its offset is beyond that
 */
static inline int64
element_slot(const HnswPinnedPages *pp, uint64 key)
{
	OffsetNumber off = hnsw_key_offset(key);

	if (off < FirstOffsetNumber || off > pp->perpage)
		return -1;
	return (int64) hnsw_key_block(key) * pp->perpage + off - 1;
}

/* The list entry of element `key`, growing the table if `add`; or NULL. */
static ListHead *
list_entry(HnswPinnedPages *pp, uint64 key, bool add)
{
	int64		slot = element_slot(pp, key);

	if (slot < 0 || slot >= pp->maxlists)
		return NULL;
	if (slot >= pp->nlists)
	{
		if (!add)
			return NULL;
		lists_grow(pp, Max(slot + 1, pp->nlists * 2));
	}
	return (ListHead *) (pp->lists + slot * pp->list_size);
}

/*
 * Loads element `key`'s layer-0 list: its links (as on the page) with the
 * distances and pruners recorded for them.  False if none are recorded for
 * a list of this length.
 */
bool
hnsw_pinned_list_get(HnswPinnedPages *pp, uint64 key,
					 const ItemPointerData *links, int count, HnswList *list)
{
	ListHead   *e = list_entry(pp, key, false);
	int			i;

	if (e == NULL || e->count != count || e->nkept > count)
		return false;
	list->count = count;
	list->nkept = e->nkept;
	for (i = 0; i < count; i++)
	{
		list->keys[i] = hnsw_link_key(&links[i]);
		list->dists[i] = LIST_DISTS(e)[i];
		list->pruners[i] = ((uint8 *) (LIST_DISTS(e) + pp->list_cap))[i];
	}
	return true;
}

/* Records element `key`'s layer-0 list (NULL: forgets it), if there is room. */
void
hnsw_pinned_list_set(HnswPinnedPages *pp, uint64 key, const HnswList *list)
{
	ListHead   *e = list_entry(pp, key, list != NULL);

	if (e == NULL)
		return;
	if (list == NULL || list->count > pp->list_cap)
	{
		e->count = LIST_UNKNOWN;
		return;
	}
	e->count = (uint8) list->count;
	e->nkept = (uint8) list->nkept;
	memcpy(LIST_DISTS(e), list->dists, sizeof(float) * list->count);
	memcpy(LIST_DISTS(e) + pp->list_cap, list->pruners, list->count);
}

/* Drops the pins and frees pp. */
void
hnsw_pinned_release(HnswPinnedPages *pp)
{
	BlockNumber blkno;

	for (blkno = 0; blkno < pp->cap && pp->npinned > 0; blkno++)
		if (BufferIsValid(pp->bufs[blkno]))
		{
			ReleaseBuffer(pp->bufs[blkno]);
			pp->bufs[blkno] = InvalidBuffer;
			pp->npinned--;
		}
	if (pp->bufs)
		pfree(pp->bufs);
	if (pp->lists)
		pfree(pp->lists);
	if (pp->offsets)
		pfree(pp->offsets);
	pfree(pp);
}

/*
 * The pinned buffer of an element page, pinning it on first use; or
 * InvalidBuffer if the block is beyond what may be pinned.  The page is
 * checked once, when it is pinned.
 */
static Buffer
pinned_buffer(HnswPinnedPages *pp, BlockNumber blkno)
{
	Buffer		buf;

	if (blkno >= pp->cap)
		return InvalidBuffer;
	buf = pp->bufs[blkno];
	if (!BufferIsValid(buf))
	{
		buf = hnsw_read_linked_page(pp->index, blkno, NULL);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		hnsw_check_page(pp->index, BufferGetPage(buf), blkno, HNSW_PAGE_ELEMENT);
		LockBuffer(buf, BUFFER_LOCK_UNLOCK);
		pp->bufs[blkno] = buf;
		pp->npinned++;
	}
	return buf;
}

/*
 * The tuple of element `key` on `page`, a copy of its block.  The first
 * lookup checks the element as a read through a link does (the page too,
 * unless page_checked) and remembers where the tuple is: later ones go
 * straight to it, without touching the page header and line pointers --
 * one dependent cache miss less per visit.  Tuples do not move during a
 * build, so the offset holds for any later copy of the block.
 */
static HnswElementTuple
tuple_on_page(HnswPinnedPages *pp, const HnswIndexInfo *info, uint64 key,
			  Page page, bool page_checked)
{
	BlockNumber blkno = hnsw_key_block(key);
	int64		slot = element_slot(pp, key);
	HnswElementTuple tup;

	if (slot >= 0 && slot < pp->noffsets && pp->offsets[slot] != 0)
		return (HnswElementTuple) (page + pp->offsets[slot]);
	tup = page_checked ?
		hnsw_page_linked_element(info, page, blkno, hnsw_key_offset(key)) :
		hnsw_get_linked_element(info, page, blkno, hnsw_key_offset(key));
	if (slot >= 0)
	{
		if (slot >= pp->noffsets)
		{
			uint64		n = Max(slot + 1, pp->noffsets * 2);

			if (pp->offsets == NULL)
				pp->offsets = MemoryContextAllocHuge(pp->ctx, n * sizeof(uint16));
			else
				pp->offsets = repalloc_huge(pp->offsets, n * sizeof(uint16));
			memset(pp->offsets + pp->noffsets, 0,
				   (n - pp->noffsets) * sizeof(uint16));
			pp->noffsets = n;
		}
		pp->offsets[slot] = (uint16) ((char *) tup - (char *) page);
	}
	return tup;
}

/*
 * Element `key` on its pinned page, or NULL if its block is beyond what
 * may be pinned.
 */
static HnswElementTuple
hnsw_pinned_tuple(HnswPinnedPages *pp, const HnswIndexInfo *info, uint64 key)
{
	BlockNumber blkno = hnsw_key_block(key);

	if (blkno >= pp->cap)
		return NULL;
	return tuple_on_page(pp, info, key, BufferGetPage(pinned_buffer(pp, blkno)),
						 true);
}

/* ---------------------------------------------------------------------
 * The pinned pages as a graph (hnsw_pinned_ops), read by a build's inserts
 * ---------------------------------------------------------------------
 */

/*
 * Element `key`: on its pinned page, or on a page beyond the pin budget
 * pinned for this read (and kept for the next on the same page) but not
 * locked: in a build, reads need no lock (see the top of this file).
 */
static HnswElementTuple
pinned_element(HnswPinnedGraph *g, uint64 key)
{
	HnswDiskGraph *d = &g->disk;
	BlockNumber blkno = hnsw_key_block(key);
	HnswElementTuple tup;

	/* a pinned page's block was checked when it was pinned */
	tup = hnsw_pinned_tuple(g->pinned, d->info, key);
	if (tup)
		return tup;
	/* beyond the pin budget, as InvalidBlockNumber is ("extend") */
	hnsw_check_link_block(d->info->index, blkno);
	if (!BufferIsValid(d->buf) || BufferGetBlockNumber(d->buf) != blkno)
	{
		if (BufferIsValid(d->buf))
			ReleaseBuffer(d->buf);
		d->buf = hnsw_read_buffer(d->info->index, blkno);
	}
	return tuple_on_page(g->pinned, d->info, key, BufferGetPage(d->buf), false);
}

static int
pinned_links(void *ctx, uint64 key, int layer, uint64 *out)
{
	HnswPinnedGraph *g = ctx;

	return hnsw_tuple_link_keys(pinned_element(g, key), g->disk.info->m,
								layer, out);
}

static bool
pinned_visit(void *ctx, uint64 key, const void *query, HnswNode *node)
{
	HnswPinnedGraph *g = ctx;

	hnsw_tuple_visit(&g->disk, pinned_element(g, key), query, node);
	return true;
}

/*
 * Fetches the cache lines of announced elements whose tuples were looked
 * up before (the rest are left to their visit): the tuple's head and the
 * start of its vector, all at once, so the misses overlap.
 */
static void
hnsw_pinned_prefetch(void *ctx, const uint64 *keys, int n)
{
	HnswPinnedGraph *g = ctx;
	HnswPinnedPages *pp = g->pinned;
	int			i;

	for (i = 0; i < n; i++)
	{
		BlockNumber blkno = hnsw_key_block(keys[i]);
		int64		slot = element_slot(pp, keys[i]);
		const char *tup;

		if (blkno >= pp->cap || slot < 0 || slot >= pp->noffsets ||
			pp->offsets[slot] == 0)
			continue;
		tup = BufferGetPage(pp->bufs[blkno]) + pp->offsets[slot];
		hnsw_prefetch(tup);
		/* where a layer-0 element's vector starts (reading the level would wait) */
		hnsw_prefetch(tup + HnswVectorOffset(0, g->disk.info->m));
	}
}

const HnswGraphOps hnsw_pinned_ops = {
	.links = pinned_links,
	.visit = pinned_visit,
	.prefetch = hnsw_pinned_prefetch,
	.visit_in_key_order = true,
};

/*
 * The vector of element `key`: in place on its pinned page, else copied
 * under a share lock into scratch (info->vecbytes; NULL: palloc'd).
 */
const void *
hnsw_pinned_vector(HnswPinnedPages *pp, const HnswIndexInfo *info, uint64 key,
				   void *scratch)
{
	HnswElementTuple tup = pp ? hnsw_pinned_tuple(pp, info, key) : NULL;

	if (tup)
		return HnswTupleVector(tup, info->m);
	if (scratch == NULL)
		scratch = palloc(info->vecbytes);
	hnsw_read_vector(info, key, NULL, scratch);
	return scratch;
}

/*
 * A pin of its own on the page of blkno (released with ReleaseBuffer as
 * any other): a second pin of a pinned page needs no buffer mapping lookup.
 */
Buffer
hnsw_pinned_read(HnswPinnedPages *pp, Relation index, BlockNumber blkno)
{
	Buffer		buf = pp ? pinned_buffer(pp, blkno) : InvalidBuffer;

	if (!BufferIsValid(buf))
		return hnsw_read_linked_page(index, blkno, NULL);
	IncrBufferRefCount(buf);
	return buf;
}
