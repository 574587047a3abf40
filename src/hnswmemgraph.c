/*
 * hnswmemgraph.c
 *	  The in-memory graph of CREATE INDEX: allocation, the search callbacks
 *	  and inserting one vector (the paper's INSERT, Algorithm 1).
 *
 * The same code serves the serial build, where the area is private and
 * grows by reallocation, and the parallel build, where it is one shared
 * memory segment that every participant maps.  In a parallel build:
 *
 *	- the allocator and the entry point are under graph->shared->mutex (a
 *	  spinlock held for a few instructions, once per element);
 *	- an element's counts, links and heap TIDs are under its LWLock: shared
 *	  to copy a link list during a search, exclusive to change one.  At most
 *	  one element lock is held at a time, so there is no lock order to get
 *	  wrong and no deadlock;
 *	- an element's level and vector never change once written, and nobody
 *	  reaches a new element before the LWLock release that publishes the
 *	  first link to it, so they are read without a lock.
 */
#include "hnswbuild.h"

#include "miscadmin.h"
#include "utils/memutils.h"

/* LWLock tranche of the element locks; set by the parallel build. */
int			hnsw_mem_lwlock_tranche = 0;

static inline void
elem_lock(HnswMemGraph *g, HnswMemElement *e, LWLockMode mode)
{
	if (g->parallel)
		LWLockAcquire(&e->lock, mode);
}

static inline void
elem_unlock(HnswMemGraph *g, HnswMemElement *e)
{
	if (g->parallel)
		LWLockRelease(&e->lock);
}

/* Appends a zeroed record; returns its offset, or -1 when memory is full. */
static int64
mem_alloc(HnswMemGraph *g, int level)
{
	HnswMemShared *sh = g->shared;
	Size		size = mem_record_size(g, level);
	int64		off;
	HnswMemElement *e;

	SpinLockAcquire(&sh->mutex);
	if (sh->full || sh->used + size > g->limit)
	{
		sh->full = true;
		SpinLockRelease(&sh->mutex);
		return -1;
	}
	off = sh->used;
	sh->used += size;
	sh->nelements++;
	SpinLockRelease(&sh->mutex);

	if (!g->parallel && off + size > g->allocated)
	{
		Size		newsize = Min(Max(g->allocated * 2, off + size), g->limit);

		g->base = g->base ? repalloc_huge(g->base, newsize) :
			MemoryContextAllocHuge(g->ctx, newsize);
		g->allocated = newsize;
	}
	e = mem_element(g, off);
	memset(e, 0, size);
	e->size = size;
	e->level = level;
	if (g->parallel)
		LWLockInitialize(&e->lock, hnsw_mem_lwlock_tranche);
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
	links = mem_links(g, e, layer);
	elem_lock(g, e, LW_SHARED);
	n = *mem_count(g, e, layer);
	for (i = 0; i < n; i++)
		out[i] = (uint64) links[i] << 3;
	elem_unlock(g, e);
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

const HnswGraphOps hnsw_mem_ops = {
	.links = mem_ops_links,
	.visit = mem_ops_visit,
};

/* Sets element e's links on a layer, from the chosen candidates. */
static void
mem_set_links(HnswMemGraph *g, HnswMemElement *e, int layer,
			  const HnswNode *nodes, const int *sel, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		mem_links(g, e, layer)[i] = (uint32) (nodes[sel[i]].key >> 3);
		mem_dists(g, e, layer)[i] = nodes[sel[i]].dist;
	}
	*mem_count(g, e, layer) = n;
}

/*
 * Gives element `noff` a link to `newoff` at distance d, pruning a full list
 * with the heuristic (cached distances spare recomputing base distances).
 * The pruning runs under the element's lock: it reads only vectors, which
 * never change, so no other lock is needed meanwhile.
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

	elem_lock(g, n, LW_EXCLUSIVE);
	if (*count < cap)
	{
		mem_links(g, n, layer)[*count] = (uint32) (newoff >> 3);
		mem_dists(g, n, layer)[*count] = d;
		(*count)++;
		elem_unlock(g, n);
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
	elem_unlock(g, n);
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
		bool		added = false;

		if (memcmp(mem_vector(g, e), vec, sizeof(float) * g->dim) != 0)
			continue;
		elem_lock(g, e, LW_EXCLUSIVE);
		if (e->ntids < HNSW_HEAPTIDS)
		{
			e->heaptids[e->ntids++] = *heaptid;
			added = true;
		}
		elem_unlock(g, e);
		if (added)
			return true;
	}
	return false;
}

/* The layers' nearest candidates for vec, from the given entry point. */
typedef struct MemCandidates
{
	HnswNode   *layers[HNSW_MAX_LEVEL + 1];
	int			nlayer[HNSW_MAX_LEVEL + 1];
	int			top;			/* highest layer searched with ef */
} MemCandidates;

static void
mem_search(HnswBuildState *bs, const float *vec, int level, int64 entry,
		   int entry_level, MemCandidates *mc)
{
	HnswSearch *s = bs->search;
	int			l;

	mc->top = Min(level, entry_level);
	hnsw_search_begin(s, vec);
	hnsw_search_seed(s, entry);
	for (l = entry_level; l > mc->top; l--)
		hnsw_search_layer(s, 1, l);
	for (l = mc->top; l >= 0; l--)
	{
		hnsw_search_layer(s, bs->info.ef_construction, l);
		mc->nlayer[l] = hnsw_search_sorted(s, &mc->layers[l]);
	}
}

/* Links the new element `off` on every layer it shares with the graph. */
static void
mem_link(HnswMemGraph *g, int64 off, const MemCandidates *mc)
{
	HnswMemElement *e = mem_element(g, off);
	int			l;

	for (l = mc->top; l >= 0; l--)
	{
		const float *vecs[HNSW_MAX_EF_CONSTRUCTION];
		float		dists[HNSW_MAX_EF_CONSTRUCTION];
		int			sel[HNSW_MAX_EF_CONSTRUCTION];
		HnswSelect	hs;
		int			i;
		int			n;

		for (i = 0; i < mc->nlayer[l]; i++)
		{
			vecs[i] = mem_vector(g, mem_element(g, mc->layers[l][i].key));
			dists[i] = mc->layers[l][i].dist;
		}
		hs.distance = g->distance;
		hs.dim = g->dim;
		hs.ncand = mc->nlayer[l];
		hs.vecs = vecs;
		hs.dists = dists;
		hs.cap = HnswLayerCapacity(g->m, l);
		hs.selected = sel;
		n = hnsw_select_neighbors(&hs);

		elem_lock(g, e, LW_EXCLUSIVE);
		mem_set_links(g, e, l, mc->layers[l], sel, n);
		elem_unlock(g, e);
		for (i = 0; i < n; i++)
			mem_add_backlink(g, mc->layers[l][sel[i]].key, l, off,
							 mc->layers[l][sel[i]].dist);
	}
}

/*
 * Inserts a vector into the memory graph.  Returns false, changing nothing,
 * when the area is full.
 */
bool
hnsw_mem_insert(HnswBuildState *bs, const float *vec, ItemPointer heaptid)
{
	HnswMemGraph *g = &bs->graph;
	HnswMemShared *sh = g->shared;
	MemCandidates mc;
	int			level = hnsw_random_level(&bs->info);
	int64		entry;
	int			entry_level;
	int64		off;
	HnswMemElement *e;

	SpinLockAcquire(&sh->mutex);
	entry = sh->entry;
	entry_level = sh->entry_level;
	SpinLockRelease(&sh->mutex);

	if (entry >= 0)
	{
		mem_search(bs, vec, level, entry, entry_level, &mc);
		if (mem_add_duplicate(g, mc.layers[0], mc.nlayer[0], vec, heaptid))
			return true;
	}

	off = mem_alloc(g, level);
	if (off < 0)
		return false;
	e = mem_element(g, off);
	e->heaptids[0] = *heaptid;
	e->ntids = 1;
	memcpy(mem_vector(g, e), vec, sizeof(float) * g->dim);

	if (entry < 0)
	{
		/* the first element, unless another process got there first */
		SpinLockAcquire(&sh->mutex);
		if (sh->entry < 0)
		{
			sh->entry = off;
			sh->entry_level = level;
			SpinLockRelease(&sh->mutex);
			return true;
		}
		entry = sh->entry;
		entry_level = sh->entry_level;
		SpinLockRelease(&sh->mutex);
		mem_search(bs, vec, level, entry, entry_level, &mc);
	}

	mem_link(g, off, &mc);

	if (level > entry_level)
	{
		SpinLockAcquire(&sh->mutex);
		if (level > sh->entry_level)
		{
			sh->entry = off;
			sh->entry_level = level;
		}
		SpinLockRelease(&sh->mutex);
	}
	return true;
}
