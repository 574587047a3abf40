/*
 * hnsw_graph.h
 *	  The graph algorithms of HNSW -- layer search, neighbour selection and
 *	  link-list maintenance -- over an ops interface (HnswGraphOps) that each
 *	  graph backend implements: the page graph of inserts and scans
 *	  (hnswutils.c), the pinned pages of a build (hnswpinned.c) and the memory
 *	  graph of CREATE INDEX (hnswmemgraph.c).  Nothing here knows where a
 *	  graph lives; an element is an opaque 64-bit key.
 *
 * Include postgres.h before this header.
 */
#ifndef VECINDEX_HNSW_GRAPH_H
#define VECINDEX_HNSW_GRAPH_H

#include "hnsw_format.h"

/* Largest m (links per upper layer; layer 0 holds 2m) any graph may use */
#define HNSW_MAX_M					100

/*
 * Distance between two vectors of the index's kind; smaller is nearer.  n
 * counts the vectors' elements: floats, halves or bits, as the index's
 * vector type says (hnsw_format.h), and as the build's half-precision
 * working copies of float vectors say (VecHalf[n], n then padded).
 */
typedef float (*HnswDistanceFn) (const void *a, const void *b, int n);

/* An element found during a search */
typedef struct HnswNode
{
	uint64		key;			/* element identity (graph specific) */
	float		dist;			/* distance to the query */
	int16		level;			/* element's top layer */
	uint8		ntids;			/* live heap TIDs (disk graph only) */
	uint8		deleted;		/* element has no live rows */
	uint32		tids;			/* where the graph keeps them, when it keeps
								 * them (a scan's page graph:
								 * hnsw_disk_node_tid) */
} HnswNode;

/* Whether a found element still has rows (one without is deleted or soon) */
static inline bool
hnsw_node_has_rows(const HnswNode *node)
{
	return !node->deleted && node->ntids > 0;
}

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
	bool		(*visit) (void *ctx, uint64 key, const void *query, HnswNode *node);

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
	const void *query;
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
	int64		nexpanded;		/* statistics: elements whose links were
								 * read */
	bool		live_results;	/* only elements with rows are results;
								 * the others are expanded all the same */
	bool		fixed_ties;		/* results at equal distances come in one
								 * fixed order (scans: the same query gets
								 * the same answer); else in a fresh random
								 * order each time (graph upkeep) */
} HnswSearch;

extern HnswSearch *hnsw_search_create(const HnswGraphOps *ops, void *ctx, int m);
extern void hnsw_search_begin(HnswSearch *s, const void *query);
extern bool hnsw_search_seed(HnswSearch *s, uint64 key);
extern void hnsw_search_layer(HnswSearch *s, int ef, int layer);
extern void hnsw_search_add_entry(HnswSearch *s);
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
	const float *scale;			/* unless NULL, what distance's results are
								 * multiplied by (the build's 8-bit copies
								 * measure in codes: hnsw_memgraph.h) */
	int			cap;			/* at most this many selected */
	int		   *selected;		/* out: indexes into the candidates */
	int			nkept;			/* out: the first nkept selected are the
								 * heuristic's choices, the rest fillers */
	uint8	   *pruner;			/* out, unless NULL: for selected[i] a filler,
								 * pruner[i] is the index (< nkept) of the
								 * choice that pruned it; 0 for a choice */
} HnswSelect;

#define HNSW_NO_PRUNER	0xFF

/*
 * Sets up a selection of at most cap of the ncand candidates: their
 * vectors vecs[] and distances to the base dists[], nearest first; out:
 * selected[] and, unless NULL, pruner[] (room for Min(ncand, cap) each).
 * Distances as `distance` measures them (no scale).
 */
static inline void
hnsw_select_init(HnswSelect *sel, HnswDistanceFn distance, int dim,
				 const void **vecs, const float *dists, int ncand, int cap,
				 int *selected, uint8 *pruner)
{
	sel->distance = distance;
	sel->dim = dim;
	sel->ncand = ncand;
	sel->vecs = vecs;
	sel->dists = dists;
	sel->scale = NULL;
	sel->cap = cap;
	sel->selected = selected;
	sel->nkept = 0;
	sel->pruner = pruner;
}

/*
 * Most candidates a selection that reports pruners may be given: a build's
 * or an insert's search returns at most ef_construction of them (hnsw.h
 * asserts the option's limit fits).
 */
#define HNSW_SELECT_MAX_PRUNERS	1000

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
	const float *scale;			/* unless NULL, what distance's results are
								 * multiplied by (as HnswSelect's) */
} HnswListGraph;

extern void hnsw_list_add(HnswList *list, const HnswListGraph *lg,
						  uint64 newkey, float newdist);

/* ---------------------------------------------------------------------
 * Reachability: linking in what a search cannot reach (hnswreachgraph.c)
 * ---------------------------------------------------------------------
 */
struct HnswReachWalk;

/*
 * How the pass reads and changes a graph.  Elements are named by ids below
 * the walk's nids (not every id need be an element).
 */
typedef struct HnswReachOps
{
	/* The element after `id` (-1: the first), or -1 after the last */
	int64		(*next) (void *ctx, int64 id);

	/* Optional: whether element `id` must be reachable (NULL: all must) */
	bool		(*wanted) (void *ctx, int64 id);

	/*
	 * Stores the ids of `id`'s layer-0 links into out[] (room for the
	 * walk's cap), leaving out those that name no element; returns their
	 * number.
	 */
	int			(*links) (void *ctx, int64 id, int64 *out);

	/* In-links counted from reached elements: forget all, add, read */
	void		(*indegree_clear) (void *ctx);
	void		(*indegree_add) (void *ctx, const int64 *ids, int n);
	int			(*indegree) (void *ctx, int64 id);

	/*
	 * Links orphan `id` from the nearest of its layer-0 neighbours that is
	 * reached (hnsw_reach_reached; without a walk, that is wanted) and can
	 * take it: in a free slot, or unless w->free_only in place of a filler
	 * whose element has another in-link (then one fewer).  True if it did;
	 * the orphan's in-degree is then one more.
	 */
	bool		(*link_in) (void *ctx, struct HnswReachWalk *w, int64 id);

	/* Optional: called before each orphan is linked (VACUUM's delay) */
	void		(*pause) (void *ctx);
} HnswReachOps;

typedef struct HnswReachWalk
{
	const HnswReachOps *ops;
	void	   *ctx;
	int64		nids;			/* ids are below this */
	int64		entry;			/* the entry point's id, -1 if none */
	uint8	   *reached;		/* bitmap by id; NULL: no walk */
	uint8	   *adopted;		/* bitmap by id of the elements this pass
								 * linked in; NULL: not tracked */
	uint32	   *queue;			/* of the walk: an entry per element */
	int64	   *linkbuf;		/* scratch for ops->links */
	bool		free_only;		/* link only into free slots (last sweep) */
	int64		cutoff;			/* out: orphans the first sweep found */
	int64		linked;			/* out: ... linked in */
	int64		left;			/* out: with a walk, still unreached */
} HnswReachWalk;

static inline bool
hnsw_reach_reached(const HnswReachWalk *w, int64 id)
{
	return (w->reached[id / BITS_PER_BYTE] & (1 << (id % BITS_PER_BYTE))) != 0;
}

/*
 * Whether this pass linked element id in (hnsw_reach_track_adopted).  Its
 * list was never part of a search from the entry point, so its fillers can
 * make room for other orphans without costing the searches anything.
 */
static inline bool
hnsw_reach_adopted(const HnswReachWalk *w, int64 id)
{
	Assert(w->adopted != NULL);
	return (w->adopted[id / BITS_PER_BYTE] & (1 << (id % BITS_PER_BYTE))) != 0;
}

extern void hnsw_reach_init(HnswReachWalk *w, const HnswReachOps *ops, void *ctx,
							int64 nids, int64 nelements, int cap, int64 entry,
							bool walk);
extern void hnsw_reach_track_adopted(HnswReachWalk *w);
extern int64 hnsw_reach_walk(HnswReachWalk *w, int64 id, int64 tail);
extern void hnsw_reach_link(HnswReachWalk *w);
extern void hnsw_reach_free(HnswReachWalk *w);

/* The order of search results: by distance, ties broken by key */
extern void hnsw_sort_nodes(HnswNode *nodes, int n);

#endif							/* VECINDEX_HNSW_GRAPH_H */
