/*
 * hnsw_pagegraph.h
 *	  The graph as it lives in index pages: reading and checking pages and
 *	  elements, page edits under generic WAL, the page graph's HnswGraphOps
 *	  (hnswutils.c), the buffers a backend last found (hnswrecent.c) and the
 *	  pages a build keeps pinned, a graph backend of their own built on the
 *	  page graph (hnswpinned.c).
 *
 * Include postgres.h before this header.
 */
#ifndef VECINDEX_HNSW_PAGEGRAPH_H
#define VECINDEX_HNSW_PAGEGRAPH_H

#include "hnsw.h"
#include "hnsw_prefetch.h"

#include "access/generic_xlog.h"
#include "common/hashfn.h"
#include "storage/bufmgr.h"

extern void hnsw_init_page(Page page, uint16 flags);
extern Buffer hnsw_new_buffer(Relation index);
extern void hnsw_init_metapage(Page page, const HnswIndexInfo *info);
extern void hnsw_read_meta(Relation index, HnswMetaPageData *meta);

/*
 * Validation of the on-disk structs: each finds what is wrong with one and
 * writes it into fault[HNSW_FAULT_LEN] (unless fault is NULL), or returns
 * false if nothing is.
 * hnsw_report_fault reports a fault as corruption at the metapage (blkno
 * HNSW_METAPAGE_BLKNO), a block (off invalid) or an element.
 */
#define HNSW_FAULT_LEN 256

extern bool hnsw_meta_fault(Page page, char *fault);
extern bool hnsw_element_fault(Page page, OffsetNumber off, int m,
							   HnswVectorType vectype, int dim, char *fault);
extern void hnsw_report_fault(Relation index, BlockNumber blkno, OffsetNumber off,
							  const char *fault) pg_attribute_noreturn();

/* The raising forms: an error unless the page is ours, of kind flags (0: either) */
extern void hnsw_check_page(Relation index, Page page, BlockNumber blkno,
							uint16 flags);

/*
 * A link names an element of an element page: never InvalidBlockNumber
 * (which ReadBuffer takes as "extend") nor the metapage.
 */
extern void hnsw_check_link_block(Relation index, BlockNumber blkno);

/*
 * Elements of a locked page.  hnsw_get_element checks the page and the
 * tuple's own structure (for readers of its header only);
 * hnsw_get_linked_element checks it against the index's m and dimension
 * count too (the length, link counts and dimensions its links and vector
 * are read by); hnsw_page_linked_element does so on a page checked already.
 */
extern HnswElementTuple hnsw_get_element(Relation index, Page page,
										 BlockNumber blkno, OffsetNumber off);
extern HnswElementTuple hnsw_get_linked_element(const HnswIndexInfo *info, Page page,
												BlockNumber blkno, OffsetNumber off);
extern HnswElementTuple hnsw_page_linked_element(const HnswIndexInfo *info, Page page,
												 BlockNumber blkno, OffsetNumber off);

/* The page of an element reached through a link (hnsw_check_link_block) */
extern Buffer hnsw_read_linked_page(Relation index, BlockNumber blkno,
									BufferAccessStrategy strategy);
extern void hnsw_read_vector(const HnswIndexInfo *info, uint64 key,
							 BufferAccessStrategy strategy, void *dst);
extern HnswElementTuple hnsw_copy_element(const HnswIndexInfo *info, uint64 key,
										  BufferAccessStrategy strategy);
extern bool hnsw_is_element_page(Relation index, Page page, BlockNumber blkno);

/*
 * Asks for the lines a read of element `off` touches first on its page: the
 * header (line pointers too, for small offsets), the special space (the
 * page check) and the element's line pointer.
 */
static inline void
hnsw_prefetch_element_head(const char *page, OffsetNumber off)
{
	hnsw_prefetch(page);
	hnsw_prefetch(page + BLCKSZ - 1);
	if (off >= FirstOffsetNumber && off <= MaxOffsetNumber)
		hnsw_prefetch(page + offsetof(PageHeaderData, pd_linp) +
					  (off - 1) * sizeof(ItemIdData));
}

/*
 * An element's key in the page graph: its block number above its line
 * pointer's offset, which takes the low HNSW_KEY_OFFSET_BITS bits.
 */
#define HNSW_KEY_OFFSET_BITS	(sizeof(OffsetNumber) * BITS_PER_BYTE)
#define HNSW_KEY_OFFSET_MASK	((UINT64CONST(1) << HNSW_KEY_OFFSET_BITS) - 1)

static inline uint64
hnsw_tid_key(BlockNumber blkno, OffsetNumber off)
{
	return ((uint64) blkno << HNSW_KEY_OFFSET_BITS) | off;
}

static inline BlockNumber
hnsw_key_block(uint64 key)
{
	return (BlockNumber) (key >> HNSW_KEY_OFFSET_BITS);
}

static inline OffsetNumber
hnsw_key_offset(uint64 key)
{
	return (OffsetNumber) (key & HNSW_KEY_OFFSET_MASK);
}

/* The key of the element a link names */
static inline uint64
hnsw_link_key(const ItemPointerData *link)
{
	return hnsw_tid_key(ItemPointerGetBlockNumberNoCheck(link),
						ItemPointerGetOffsetNumberNoCheck(link));
}

/* A well-mixed 32-bit hash of an element key, for hash tables of keys */
static inline uint32
hnsw_key_hash(uint64 key)
{
	return hash_bytes_uint32((uint32) key ^ (uint32) (key >> 32));
}

/* Where this backend last found each index page (hnswrecent.c) */
extern Buffer hnsw_read_buffer(Relation index, BlockNumber blkno);
extern void hnsw_prefetch_block(Relation index, BlockNumber blkno, OffsetNumber off);

/* How many announced elements' pages a disk graph pins ahead of visits */
#define HNSW_PREFETCH_DEPTH 6

/* Heap TIDs a want_tids graph first makes room for */
#define HNSW_DISK_FIRST_TIDS 1024

typedef struct HnswDiskGraph
{
	HnswIndexInfo *info;
	Buffer		buf;			/* last pinned buffer, kept to skip re-pins */
	bool		locked;			/* the last read share-locked buf */
	bool		want_tids;		/* scans need heap TIDs of visited nodes */
	/* with want_tids: the heap TIDs of every element visited, HnswNode.tids
	 * the index of an element's first; allocated in the context current
	 * at the first visit, forgotten by hnsw_disk_graph_forget_tids */
	ItemPointerData *tids;
	uint32		ntids;			/* used */
	uint32		maxtids;		/* allocated */
	/* elements announced by hnsw_disk_ops.prefetch, visited in order */
	const uint64 *pf_keys;
	int			pf_n;			/* how many were announced */
	int			pf_pos;			/* next to be visited */
	int			pf_next;		/* next to be pinned */
	Buffer		pf_bufs[HNSW_PREFETCH_DEPTH];	/* pins of [pos, next) */
} HnswDiskGraph;

extern const HnswGraphOps hnsw_disk_ops;
extern void hnsw_disk_graph_init(HnswDiskGraph *g, HnswIndexInfo *info,
								 bool want_tids);
extern void hnsw_disk_graph_release(HnswDiskGraph *g);
extern void hnsw_disk_graph_tid_room(HnswDiskGraph *g);
extern void hnsw_disk_graph_forget_tids(HnswDiskGraph *g);

/* Heap TID i (< node->ntids) of an element a want_tids graph visited */
static inline ItemPointerData
hnsw_disk_node_tid(const HnswDiskGraph *g, const HnswNode *node, int i)
{
	Assert(g->want_tids && i < node->ntids);
	return g->tids[node->tids + i];
}

/* The bytes the graph holds for the heap TIDs of visited elements */
static inline Size
hnsw_disk_graph_mem(const HnswDiskGraph *g)
{
	return sizeof(ItemPointerData) * (Size) g->maxtids;
}

/*
 * What a visit or a links read takes from an element tuple checked by
 * hnsw_get_linked_element (so its link counts are within capacity and its
 * dimension count is the index's); shared by the page graph and the build's
 * pinned pages, inline so neither pays a call per element.
 */
static inline int
hnsw_tuple_link_keys(HnswElementTuple tup, int m, int layer, uint64 *out)
{
	ItemPointerData *links;
	int			count;

	if (tup->level < layer)
		return 0;
	links = HnswTupleLinks(tup, m, layer);
	count = HnswTupleCounts(tup)[layer];
	Assert(count <= HnswLayerCapacity(m, layer));
	for (int i = 0; i < count; i++)
		out[i] = hnsw_link_key(&links[i]);
	return count;
}

static inline void
hnsw_tuple_visit(HnswDiskGraph *g, HnswElementTuple tup, const void *query,
				 HnswNode *node)
{
	const HnswIndexInfo *info = g->info;
	ItemPointerData *out = NULL;

	node->dist = info->distance(query, HnswTupleVector(tup, info->m), info->dim);
	node->level = tup->level;
	node->deleted = tup->deleted;
	node->ntids = 0;
	node->tids = 0;
	/* inserts only need the count, to find a free slot for a duplicate */
	if (g->want_tids)
	{
		if (g->ntids + HNSW_HEAPTIDS > g->maxtids)
			hnsw_disk_graph_tid_room(g);
		node->tids = g->ntids;
		out = &g->tids[g->ntids];
	}
	for (int i = 0; i < HNSW_HEAPTIDS; i++)
	{
		if (!ItemPointerIsValid(&tup->heaptids[i]))
			continue;
		if (out)
			out[node->ntids] = tup->heaptids[i];
		node->ntids++;
	}
	if (out)
		g->ntids += node->ntids;
}

/*
 * The pages of an index being built, pinned for good and read without
 * locks, with the layer-0 lists' distances (hnswpinned.c).
 */
typedef struct HnswPinnedPages HnswPinnedPages;

extern HnswPinnedPages *hnsw_pinned_create(const HnswIndexInfo *info, Size budget);
extern void hnsw_pinned_reserve(HnswPinnedPages *pp, BlockNumber nblocks);
extern bool hnsw_pinned_list_get(HnswPinnedPages *pp, uint64 key,
								 const ItemPointerData *links, int count,
								 HnswList *list);
extern void hnsw_pinned_list_set(HnswPinnedPages *pp, uint64 key,
								 const HnswList *list);
extern void hnsw_pinned_release(HnswPinnedPages *pp);
extern const void *hnsw_pinned_vector(HnswPinnedPages *pp, const HnswIndexInfo *info,
									  uint64 key, void *scratch);
extern Buffer hnsw_pinned_read(HnswPinnedPages *pp, Relation index, BlockNumber blkno);

/*
 * The graph an insert reads: in a build, the pinned pages (hnsw_pinned_ops
 * over the whole struct; `disk` holds the pin of a page beyond the pin
 * budget); otherwise the page graph (hnsw_disk_ops over `disk`).
 */
typedef struct HnswPinnedGraph
{
	HnswPinnedPages *pinned;	/* a build's pinned pages; NULL outside one */
	HnswDiskGraph disk;
} HnswPinnedGraph;

extern const HnswGraphOps hnsw_pinned_ops;

/*
 * The free space map's step: it records a page's free space in 1/256ths of
 * a page (FSM_CATEGORIES and FSM_CAT_STEP of storage/freespace/freespace.c,
 * private to it), rounding what is recorded down and what is asked for up.
 * A page with a deleted element's slot is recorded one step above the
 * slot's size, so that an insert asking for exactly that size finds it.
 */
#define HNSW_FSM_CAT_STEP	(BLCKSZ / 256)

/* Page edits: generic WAL after a build, plain dirtying during one */
typedef struct HnswPageEdit
{
	GenericXLogState *xlog;		/* NULL while building (pages logged later) */
	Relation	index;
	int			nbufs;			/* buffers to dirty when not logging */
	Buffer		bufs[MAX_GENERIC_XLOG_PAGES];
} HnswPageEdit;

extern void hnsw_edit_begin(HnswPageEdit *edit, Relation index, bool building);
extern Page hnsw_edit_page(HnswPageEdit *edit, Buffer buf, bool fresh);
extern void hnsw_edit_finish(HnswPageEdit *edit);
extern void hnsw_edit_abort(HnswPageEdit *edit);

#endif							/* VECINDEX_HNSW_PAGEGRAPH_H */
