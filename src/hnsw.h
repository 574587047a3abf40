/*
 * hnsw.h
 *	  The hnsw index access method: on-disk format, search machinery and the
 *	  entry points of each phase (build, insert, scan, vacuum).
 *
 * The design, the byte layout of every page and the locking and WAL rules
 * are described in src/README.hnsw; keep the two in step.
 */
#ifndef VECINDEX_HNSW_H
#define VECINDEX_HNSW_H

#include "compat.h"

#include "access/amapi.h"
#include "access/generic_xlog.h"
#include "access/itup.h"
#include "nodes/execnodes.h"
#include "storage/bufmgr.h"
#include "storage/bufpage.h"
#include "utils/relcache.h"

#include "common/hashfn.h"
#include "vector.h"

/* ---------------------------------------------------------------------
 * Limits and defaults (the SQL surface matches pgvector's)
 * ---------------------------------------------------------------------
 */
#define HNSW_DEFAULT_M				16
#define HNSW_MIN_M					2
#define HNSW_MAX_M					100
#define HNSW_DEFAULT_EF_CONSTRUCTION 64
#define HNSW_MIN_EF_CONSTRUCTION	4
#define HNSW_MAX_EF_CONSTRUCTION	1000
#define HNSW_DEFAULT_EF_SEARCH		40
#define HNSW_MIN_EF_SEARCH			1
#define HNSW_MAX_EF_SEARCH			1000

/*
 * Tries of an optimistic link-list update (read, compute without a lock,
 * write if unchanged) before giving up on that one link.
 */
#define HNSW_LINK_RETRIES			8

/* Highest layer an element may be placed on (levels are 0..HNSW_MAX_LEVEL). */
#define HNSW_MAX_LEVEL				15

/* Heap TIDs one element can carry: duplicates of a vector share an element. */
#define HNSW_HEAPTIDS				8

/* Support function number of the opclasses: returns the HnswDistanceKind. */
#define HNSW_DISTANCE_PROC			1

/* ---------------------------------------------------------------------
 * On-disk format
 * ---------------------------------------------------------------------
 */
#define HNSW_MAGIC					0x56584E48	/* "HNXV" */
#define HNSW_FORMAT_VERSION			1
#define HNSW_METAPAGE_BLKNO			0

/* Identifies our pages in the last two bytes of the special space. */
#define HNSW_PAGE_ID				0xFF93

/* Page kinds, in HnswPageOpaqueData.flags */
#define HNSW_PAGE_META				(1 << 0)
#define HNSW_PAGE_ELEMENT			(1 << 1)

typedef struct HnswPageOpaqueData
{
	uint16		flags;			/* HNSW_PAGE_META or HNSW_PAGE_ELEMENT */
	uint16		unused1;		/* reserved, zero */
	uint16		unused2;		/* reserved, zero */
	uint16		page_id;		/* HNSW_PAGE_ID, to recognise our pages */
} HnswPageOpaqueData;

typedef HnswPageOpaqueData *HnswPageOpaque;

#define HnswPageGetOpaque(page) ((HnswPageOpaque) PageGetSpecialPointer(page))

/* How an index measures distance; fixed by its opclass. */
typedef enum HnswDistanceKind
{
	HNSW_DIST_L2 = 1,			/* squared Euclidean (same order as <->) */
	HNSW_DIST_IP = 2,			/* negative inner product (<#>) */
	HNSW_DIST_COSINE = 3,		/* vectors stored unit-length; -dot (<=>) */
	HNSW_DIST_L1 = 4			/* taxicab (<+>) */
} HnswDistanceKind;

/*
 * The metapage (block 0).  Its contents start right after the page header;
 * pd_lower points past it so full-page images skip the hole.
 */
typedef struct HnswMetaPageData
{
	uint32		magic;			/* HNSW_MAGIC */
	uint32		version;		/* HNSW_FORMAT_VERSION */
	uint16		dimensions;		/* vector length; 0 until the first vector */
	uint16		m;				/* index option m (layer 0 holds 2*m links) */
	uint16		ef_construction;	/* index option ef_construction */
	uint8		kind;			/* HnswDistanceKind of the opclass */
	uint8		unused;			/* reserved, zero */
	BlockNumber entry_blkno;	/* entry point element's block, or Invalid */
	OffsetNumber entry_offno;	/* entry point element's line pointer */
	int16		entry_level;	/* entry point's top layer; -1 when empty */
	uint32		reserved[4];	/* room for later versions, zero */
} HnswMetaPageData;

typedef HnswMetaPageData *HnswMetaPage;

#define HnswPageGetMeta(page) ((HnswMetaPage) PageGetContents(page))

/* Tuple type byte, first byte of every item on an element page. */
#define HNSW_ELEMENT_TUPLE			0xE1

/*
 * One graph element: its heap TIDs, its neighbour lists on every layer it
 * lives on, and its vector, all in one item so a hop touches one page.
 *
 * Fixed header, then `data`:
 *	 uint16			 count[level + 1];		valid links on each layer
 *	 ItemPointerData links[2m + level*m];	layer 0 (2m slots), then layers
 *											1..level (m slots each)
 *	 (padding to a 4-byte boundary)
 *	 float			 vec[dim];				the vector (unit length for cosine)
 *
 * The size is fixed once written (a function of level, m and dim), so every
 * later change (links, heap TIDs) is an in-place overwrite.
 */
typedef struct HnswElementTupleData
{
	uint8		type;			/* HNSW_ELEMENT_TUPLE */
	uint8		level;			/* top layer of this element, 0..HNSW_MAX_LEVEL */
	uint8		deleted;		/* 1: no live heap TIDs and unlinked by vacuum */
	uint8		version;		/* bumped each time vacuum reuses the slot */
	uint16		dim;			/* number of floats in vec */
	uint16		unused;			/* reserved, zero */
	ItemPointerData heaptids[HNSW_HEAPTIDS];	/* rows with this vector;
												 * unused slots invalid */
	char		data[FLEXIBLE_ARRAY_MEMBER];	/* counts, links, vector */
} HnswElementTupleData;

typedef HnswElementTupleData *HnswElementTuple;

#define HNSW_ELEMENT_HEADER_SIZE	offsetof(HnswElementTupleData, data)

/* Capacity of a layer's link list */
static inline int
HnswLayerCapacity(int m, int layer)
{
	return layer == 0 ? 2 * m : m;
}

/* Index of a layer's first slot in the links array */
static inline int
HnswLayerStart(int m, int layer)
{
	return layer == 0 ? 0 : 2 * m + (layer - 1) * m;
}

static inline Size
HnswLinksOffset(int level)
{
	return HNSW_ELEMENT_HEADER_SIZE + sizeof(uint16) * (level + 1);
}

static inline Size
HnswVectorOffset(int level, int m)
{
	Size		off = HnswLinksOffset(level) +
		sizeof(ItemPointerData) * HnswLayerStart(m, level + 1);

	return TYPEALIGN(sizeof(float), off);
}

static inline Size
HnswElementTupleSize(int level, int m, int dim)
{
	return HnswVectorOffset(level, m) + sizeof(float) * dim;
}

static inline uint16 *
HnswTupleCounts(HnswElementTuple tup)
{
	return (uint16 *) tup->data;
}

static inline ItemPointerData *
HnswTupleLinks(HnswElementTuple tup, int m, int layer)
{
	return (ItemPointerData *) ((char *) tup + HnswLinksOffset(tup->level)) +
		HnswLayerStart(m, layer);
}

static inline float *
HnswTupleVector(HnswElementTuple tup, int m)
{
	return (float *) ((char *) tup + HnswVectorOffset(tup->level, m));
}

/* Largest element tuple a page can hold (one item per page). */
#define HNSW_MAX_TUPLE_SIZE \
	(BLCKSZ - MAXALIGN(SizeOfPageHeaderData + sizeof(ItemIdData)) - \
	 MAXALIGN(sizeof(HnswPageOpaqueData)))

/* ---------------------------------------------------------------------
 * Per-index options and run-time settings
 * ---------------------------------------------------------------------
 */
typedef struct HnswOptions
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int			m;
	int			ef_construction;
} HnswOptions;

extern int	hnsw_ef_search;

/* hnsw.iterative_scan: whether a scan goes on past its first ef_search */
typedef enum HnswIterativeScan
{
	HNSW_ITERATIVE_OFF,			/* one batch of ef_search (pgvector 0.7) */
	HNSW_ITERATIVE_RELAXED,		/* batches; slightly out of order between */
	HNSW_ITERATIVE_STRICT		/* batches; nothing nearer than a row
								 * already returned */
} HnswIterativeScan;

extern int	hnsw_iterative_scan;
extern int	hnsw_max_scan_tuples;
extern double hnsw_scan_mem_multiplier;
extern bool hnsw_build_half_precision;
extern bool hnsw_build_sq8;

/*
 * Distance between two vectors of the index's kind; smaller is nearer.  The
 * vectors are float[n], or for the build's half-precision working copies
 * (hnsw_distance_fn(kind, true)) VecHalf[n], n then padded (distance.h).
 */
typedef float (*HnswDistanceFn) (const void *a, const void *b, int n);

/* What an operation needs to know about the index, read once. */
typedef struct HnswIndexInfo
{
	Relation	index;
	HnswDistanceKind kind;
	HnswDistanceFn distance;
	int			m;
	int			ef_construction;
	int			dim;			/* 0 when not known yet */
	double		ml;				/* level multiplier 1/ln(m) */
} HnswIndexInfo;

/* ---------------------------------------------------------------------
 * Search machinery shared by build (memory graph) and insert/scan (pages)
 * ---------------------------------------------------------------------
 */

/* An element found during a search */
typedef struct HnswNode
{
	uint64		key;			/* element identity (graph specific) */
	float		dist;			/* distance to the query */
	int16		level;			/* element's top layer */
	uint8		ntids;			/* live heap TIDs (disk graph only; copied
								 * into heaptids when the graph wants them) */
	uint8		deleted;		/* element has no live rows */
	ItemPointerData heaptids[HNSW_HEAPTIDS];
} HnswNode;

/*
 * How the search reads a graph.  The memory graph of a build and the page
 * graph of inserts and scans implement this; the search loop is shared.
 */
typedef struct HnswGraphOps
{
	/*
	 * Stores the keys of `key`'s links on `layer` into out[] (room for 2*m)
	 * and returns their number.
	 */
	int			(*links) (void *ctx, uint64 key, int layer, uint64 *out);

	/*
	 * Computes the distance from the search's query to element `key` into
	 * node->dist and fills node->level (and, for scans, the heap TIDs).
	 * Returns false if the element is not valid to visit.
	 */
	bool		(*visit) (void *ctx, uint64 key, const float *query, HnswNode *node);

	/*
	 * Optional: announces that keys[0..n-1] will be visited next, in that
	 * order, so the graph can start fetching them.  keys[] stays unchanged
	 * until they have been visited.
	 */
	void		(*prefetch) (void *ctx, const uint64 *keys, int n);

	/*
	 * Whether each expansion's new links are visited (and announced) in key
	 * order: for index pages, neighbours laid out together then come one
	 * after another and each page is pinned once.  The memory graph gains
	 * nothing from the order and would pay for the sort.
	 */
	bool		visit_in_key_order;

	/*
	 * Optional: `key`'s links on `layer` will likely be asked for next, so
	 * the graph can start fetching them.
	 */
	void		(*prefetch_links) (void *ctx, uint64 key, int layer);
} HnswGraphOps;

typedef struct HnswHeapItem
{
	float		dist;
	int32		node;			/* index into HnswSearch.nodes */
} HnswHeapItem;

typedef struct HnswHeap
{
	HnswHeapItem *items;
	int			count;
	int			capacity;
} HnswHeap;

/* Open-addressing set of element keys visited by one layer's search */
typedef struct HnswVisited
{
	uint64	   *keys;
	uint32	   *stamps;			/* entry i is live iff stamps[i] == stamp */
	uint32		stamp;
	uint32		mask;			/* capacity - 1 (power of two) */
	uint32		count;
} HnswVisited;

typedef struct HnswSearch
{
	const HnswGraphOps *ops;
	void	   *ctx;
	const float *query;
	int			m;
	HnswVisited visited;
	HnswNode   *nodes;			/* arena of found elements */
	int			nnodes;
	int			maxnodes;
	HnswHeap	candidates;		/* min-heap: nearest unexpanded first */
	HnswHeap	results;		/* max-heap: farthest of the best ef first */
	HnswHeap	pending;		/* iterative scans: min-heap of found
								 * elements not handed out yet */
	uint64	   *linkbuf;		/* scratch for ops->links */
	int64		ndistances;		/* statistics: distances computed */
} HnswSearch;

extern HnswSearch *hnsw_search_create(const HnswGraphOps *ops, void *ctx, int m);
extern void hnsw_search_begin(HnswSearch *s, const float *query);
extern bool hnsw_search_seed(HnswSearch *s, uint64 key);
extern void hnsw_search_layer(HnswSearch *s, int ef, int layer);
extern int	hnsw_search_sorted(HnswSearch *s, HnswNode **out);
extern void hnsw_search_free(HnswSearch *s);
extern void hnsw_search_iter_start(HnswSearch *s);
extern int	hnsw_search_iter_next(HnswSearch *s, int ef, HnswNode **out);
extern Size hnsw_search_mem(const HnswSearch *s);

/* Neighbour selection (the paper's heuristic, Algorithm 4) */
typedef struct HnswSelect
{
	HnswDistanceFn distance;
	int			dim;
	int			ncand;			/* candidates, sorted nearest first */
	const void **vecs;			/* candidates' vectors (as distance takes) */
	const float *dists;			/* candidates' distances to the base */
	int			cap;			/* at most this many selected */
	int		   *selected;		/* out: indexes into the candidates */
	int			nkept;			/* out: the first nkept selected are the
								 * heuristic's choices, the rest fillers */
	uint8	   *pruner;			/* out, unless NULL: for selected[i] a filler,
								 * pruner[i] is the index (< nkept) of the
								 * choice that pruned it; 0 for a choice */
} HnswSelect;

#define HNSW_NO_PRUNER	0xFF

extern int	hnsw_select_neighbors(HnswSelect *sel);

/*
 * A link list as the heuristic leaves it: its choices (the first nkept),
 * nearest first, then the fillers it passed over, nearest first, each with
 * the index of the choice that pruned it.  Knowing that lets a back-link
 * update the list with a few distances (hnsw_list_add) instead of
 * re-running the heuristic over all of it.
 */
typedef struct HnswList
{
	int			count;
	int			nkept;
	uint64		keys[2 * HNSW_MAX_M];
	float		dists[2 * HNSW_MAX_M];	/* to the list's owner */
	uint8		pruners[2 * HNSW_MAX_M];	/* fillers' (0 for choices) */
} HnswList;

/*
 * How hnsw_list_add reads vectors.  `which` is 0 for the entry being
 * placed and 1 for the choice it is compared with: a vector returned for
 * one must stay valid while the other is fetched (a copy per role will do).
 */
typedef struct HnswListGraph
{
	const void *(*vector) (void *ctx, uint64 key, int which);
	void	   *ctx;
	HnswDistanceFn distance;
	int			dim;
	int			cap;			/* the list's capacity */
} HnswListGraph;

extern void hnsw_list_add(HnswList *list, const HnswListGraph *lg,
						  uint64 newkey, float newdist);

/* ---------------------------------------------------------------------
 * Utilities (hnswutils.c)
 * ---------------------------------------------------------------------
 */
extern void hnsw_index_info(Relation index, HnswIndexInfo *info,
							HnswMetaPageData *metap);
extern HnswDistanceFn hnsw_distance_fn(HnswDistanceKind kind, bool half);
extern HnswDistanceKind hnsw_index_kind(Relation index);
extern int	hnsw_random_level(const HnswIndexInfo *info);
extern int	hnsw_max_level_for(const HnswIndexInfo *info, int dim);
extern void hnsw_check_dim(const HnswIndexInfo *info, int dim);
extern float *hnsw_prepare_vector(const HnswIndexInfo *info, Datum value,
								 int *dim);
extern void hnsw_init_page(Page page, uint16 flags);
extern Buffer hnsw_new_buffer(Relation index);
extern void hnsw_init_metapage(Page page, const HnswIndexInfo *info);
extern void hnsw_read_meta(Relation index, HnswMetaPageData *meta);
extern HnswElementTuple hnsw_get_element(Relation index, Page page,
										 BlockNumber blkno, OffsetNumber off);
/*
 * For an element reached through a link (which may be corrupt): the page's
 * buffer (refusing InvalidBlockNumber, which ReadBuffer takes as "extend",
 * and the metapage), and the element checked to be as long as its level,
 * m and the index's dimensions require.
 */
extern Buffer hnsw_read_linked_page(Relation index, BlockNumber blkno,
									BufferAccessStrategy strategy);
extern void hnsw_read_vector(const HnswIndexInfo *info, uint64 key,
							 BufferAccessStrategy strategy, float *dst);
extern HnswElementTuple hnsw_copy_element(const HnswIndexInfo *info, uint64 key,
										  BufferAccessStrategy strategy);
extern bool hnsw_is_element_page(Relation index, Page page, BlockNumber blkno);
extern HnswElementTuple hnsw_get_linked_element(const HnswIndexInfo *info, Page page,
												BlockNumber blkno, OffsetNumber off);
extern HnswElementTuple hnsw_page_linked_element(const HnswIndexInfo *info, Page page,
												 BlockNumber blkno, OffsetNumber off);
extern void hnsw_check_page(Relation index, Page page, BlockNumber blkno);
extern void hnsw_sort_nodes(HnswNode *nodes, int n);
extern bool hnsw_node_precedes(float da, uint64 ka, float db, uint64 kb);

/* Reads of the page graph (hnswutils.c); ctx for HnswGraphOps */
/*
 * A hint to fetch the cache line at addr; never faults, even if invalid.
 *
 * The empty volatile asm is what keeps the hint: gcc treats
 * __builtin_prefetch as free of side effects, so a function that only reads
 * memory and prefetches (disk_prefetch_tuple, hnsw_prefetch_element_head
 * when not inlined early) is found pure by its interprocedural analysis and
 * every call to it, returning nothing, is deleted -- gcc 12 -O2 left
 * hnswutils.o (the scan's page and vector prefetches) without a single
 * prefetch instruction.  An asm statement is a side effect
 * (test/unit/check_prefetch keeps watch).
 */
#if defined(__GNUC__) || defined(__clang__)
#define hnsw_prefetch(addr) \
	do { \
		const void *pf_addr_ = (addr); \
		__builtin_prefetch(pf_addr_); \
		__asm__ __volatile__("" : : "r"(pf_addr_)); \
	} while (0)
#else
#define hnsw_prefetch(addr) ((void) 0)
#endif

/*
 * The line size prefetches step by.  Not PG_CACHE_LINE_SIZE: that is 128,
 * an upper bound for padding, and stepping by it asks for only every other
 * 64-byte line of x86 and most ARM cores -- measured, a scan then waits
 * for the other half (Fashion-MNIST ef_search 20: 0.49 ms a query against
 * 0.42 ms at 64; 100,000 x 128: 0.50 against 0.40 ms).
 */
#define HNSW_PREFETCH_STRIDE 64

/* Asks for every cache line of p[0..len-1] (len > 0) */
static inline void
hnsw_prefetch_range(const char *p, Size len)
{
	for (Size done = 0; done < len; done += HNSW_PREFETCH_STRIDE)
		hnsw_prefetch(p + done);
	hnsw_prefetch(p + len - 1);
}

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

/* Where this backend last found each index page (hnswrecent.c) */
extern Buffer hnsw_read_buffer(Relation index, BlockNumber blkno);
extern void hnsw_prefetch_block(Relation index, BlockNumber blkno, OffsetNumber off);

/* How many announced elements' pages a disk graph pins ahead of visits */
#define HNSW_PREFETCH_DEPTH 6

/* The pages of an index being built, pinned for good (hnswpinned.c) */
typedef struct HnswPinnedPages
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
} HnswPinnedPages;

extern void hnsw_pinned_init(HnswPinnedPages *pp, const HnswIndexInfo *info,
							 Size budget);
extern void hnsw_pinned_reserve(HnswPinnedPages *pp, BlockNumber nblocks);
extern bool hnsw_pinned_list_get(HnswPinnedPages *pp, uint64 key,
								 const ItemPointerData *links, int count,
								 HnswList *list);
extern void hnsw_pinned_list_set(HnswPinnedPages *pp, uint64 key,
								 const HnswList *list);
extern void hnsw_pinned_release(HnswPinnedPages *pp);
extern HnswElementTuple hnsw_pinned_tuple(HnswPinnedPages *pp,
										  const HnswIndexInfo *info, uint64 key);
extern HnswElementTuple hnsw_build_tuple(HnswPinnedPages *pp, const HnswIndexInfo *info,
										 uint64 key, Page page);
extern void hnsw_pinned_prefetch(HnswPinnedPages *pp, const HnswIndexInfo *info,
								 const uint64 *keys, int n);
extern const float *hnsw_pinned_vector(HnswPinnedPages *pp, const HnswIndexInfo *info,
									   uint64 key, float *scratch);
extern Buffer hnsw_pinned_read(HnswPinnedPages *pp, Relation index, BlockNumber blkno);

typedef struct HnswDiskGraph
{
	HnswIndexInfo *info;
	Buffer		buf;			/* last pinned buffer, kept to skip re-pins */
	bool		locked;			/* the last read share-locked buf */
	HnswPinnedPages *pinned;	/* a build's pinned pages, read unlocked;
								 * NULL outside builds */
	bool		want_tids;		/* scans need heap TIDs of visited nodes */
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

static inline uint64
hnsw_tid_key(BlockNumber blkno, OffsetNumber off)
{
	return ((uint64) blkno << 16) | off;
}

static inline BlockNumber
hnsw_key_block(uint64 key)
{
	return (BlockNumber) (key >> 16);
}

static inline OffsetNumber
hnsw_key_offset(uint64 key)
{
	return (OffsetNumber) (key & 0xFFFF);
}

/* The key of the element a link names */
static inline uint64
hnsw_link_key(const ItemPointerData *link)
{
	return hnsw_tid_key(ItemPointerGetBlockNumberNoCheck(link),
						ItemPointerGetOffsetNumberNoCheck(link));
}

/* How many heap TIDs (rows) an element holds; 0 once VACUUM emptied it */
static inline int
hnsw_tuple_ntids(HnswElementTuple tup)
{
	int			n = 0;
	int			i;

	for (i = 0; i < HNSW_HEAPTIDS; i++)
		n += ItemPointerIsValid(&tup->heaptids[i]);
	return n;
}

/* A well-mixed 32-bit hash of an element key, for hash tables of keys */
static inline uint32
hnsw_key_hash(uint64 key)
{
	return hash_bytes_uint32((uint32) key ^ (uint32) (key >> 32));
}

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

/* ---------------------------------------------------------------------
 * Phases
 * ---------------------------------------------------------------------
 */

/* hnswinsert.c */
/*
 * A cache of element vectors, direct-mapped by key, for a pass that reads
 * the same vectors over and over (VACUUM's repair).  A vector changes only when an insert reuses a deleted element's
 * slot; a stale copy could only make a worse link, never a wrong answer.
 * Slots looked up since the last hnsw_vcache_begin() are not overwritten,
 * so the pointers returned since then stay valid together.
 */
typedef struct HnswVectorCache
{
	uint64	   *keys;			/* 0 = empty (block 0 is the metapage) */
	uint32	   *stamps;			/* epoch of the last lookup of each slot */
	float	   *vecs;
	uint32		nslots;
	uint32		epoch;
	int64		hits;
	int64		misses;
} HnswVectorCache;

extern void hnsw_vcache_init(HnswVectorCache *vc, const HnswIndexInfo *info,
							 Size budget, Size maxslots);
extern void hnsw_vcache_free(HnswVectorCache *vc);
extern const float *hnsw_vcache_get(HnswVectorCache *vc, const HnswIndexInfo *info,
									uint64 key, BufferAccessStrategy strategy);

static inline void
hnsw_vcache_begin(HnswVectorCache *vc)
{
	vc->epoch++;
}

typedef struct HnswInsertState
{
	HnswIndexInfo *info;
	bool		building;		/* inside CREATE INDEX: skip WAL */
	HnswSearch *search;
	HnswDiskGraph graph;
	HnswPinnedPages pinned;		/* building: graph.pinned points here */
	MemoryContext tmpctx;		/* reset after each insert */
} HnswInsertState;

extern void hnsw_insert_init(HnswInsertState *st, HnswIndexInfo *info, bool building);
extern void hnsw_insert_vector(HnswInsertState *st, const float *vec, int dim,
							   ItemPointer heaptid);
extern void hnsw_insert_end(HnswInsertState *st);
extern bool hnswinsert(Relation index, Datum *values, bool *isnull,
					   ItemPointer heap_tid, Relation heap,
					   IndexUniqueCheck checkUnique, bool indexUnchanged,
					   IndexInfo *indexInfo);

/* hnswbuild.c */
extern IndexBuildResult *hnswbuild(Relation heap, Relation index, IndexInfo *indexInfo);
extern void hnswbuildempty(Relation index);

/* hnswscan.c */
extern IndexScanDesc hnswbeginscan(Relation index, int nkeys, int norderbys);
extern void hnswrescan(IndexScanDesc scan, ScanKey keys, int nkeys,
					   ScanKey orderbys, int norderbys);
extern bool hnswgettuple(IndexScanDesc scan, ScanDirection dir);
extern void hnswendscan(IndexScanDesc scan);

/* hnswvacuum.c */
extern IndexBulkDeleteResult *hnswbulkdelete(IndexVacuumInfo *info,
											 IndexBulkDeleteResult *stats,
											 IndexBulkDeleteCallback callback,
											 void *callback_state);
extern IndexBulkDeleteResult *hnswvacuumcleanup(IndexVacuumInfo *info,
												IndexBulkDeleteResult *stats);

/* hnswreach.c */
extern double hnsw_link_orphans(IndexVacuumInfo *vinfo);

#endif							/* VECINDEX_HNSW_H */
