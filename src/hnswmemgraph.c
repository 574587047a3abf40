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
#include "postgres.h"

#include "hnsw_memgraph.h"

#include <float.h>
#include <math.h>
#include <sys/mman.h>

#include "miscadmin.h"
#include "utils/memutils.h"

/*
 * Sets up the allocator and entry point of an empty graph whose records
 * carry half copies of hdim halves (0: none).
 */
void
hnsw_mem_shared_init(HnswMemShared *sh, int hdim)
{
	memset(sh, 0, sizeof(HnswMemShared));
	SpinLockInit(&sh->mutex);
	sh->entry = -1;
	sh->entry_level = -1;
	sh->hdim = hdim;
	sh->half = hdim > 0;
}

/*
 * Sets up an empty private graph of at most `limit` bytes, allocated in the
 * current memory context, with `shared` as its allocator and entry point.
 * Its records' layout is set by hnsw_mem_set_layout before the first insert.
 */
void
hnsw_mem_init(HnswMemGraph *g, HnswMemShared *shared, int m, int ef_construction,
			  HnswDistanceFn distance, HnswDistanceFn half_distance, Size limit)
{
	memset(g, 0, sizeof(HnswMemGraph));
	g->shared = shared;
	g->limit = limit;
	g->m = m;
	g->ef_construction = ef_construction;
	g->distance = distance;
	g->half_distance = half_distance;
	g->ctx = CurrentMemoryContext;
}

/*
 * Sets the records' layout before the first insert: the vector type and
 * dimensions, and the half and 8-bit copies they carry (hdim halves, sqdim
 * codes; 0: none; float vectors only).
 * The build decides the copies (hnswbuild.c); the 8-bit ones start out
 * calibrating.
 */
void
hnsw_mem_set_layout(HnswMemGraph *g, HnswVectorType vectype, int dim,
					int hdim, int sqdim)
{
	Assert(g->shared->nelements == 0);
	Assert(sqdim == 0 || hdim > 0);
	g->dim = dim;
	g->vectype = vectype;
	g->vecbytes = vectype == HNSW_VEC_SPARSE ? 0 : HnswVectorBytes(vectype, dim);
	g->hdim = hdim;
	g->sqdim = sqdim;
	g->sq8_state = sqdim > 0 ? HNSW_SQ8_CALIBRATING : HNSW_SQ8_OFF;
	g->seen_lo = INFINITY;
	g->seen_hi = -INFINITY;
	g->seen_whole = true;
	g->shared->hdim = hdim;
	g->shared->half = hdim > 0;
}

/*
 * Points a graph at a parallel build's shared area of `size` bytes and its
 * shared allocator (set up by one process with hnsw_mem_shared_init), whose
 * element locks are of LWLock tranche `tranche`.  The records carry the
 * half copies the allocator says, and no 8-bit ones: those are calibrated
 * by the one process inserting the first rows, and never shared.
 */
void
hnsw_mem_attach(HnswMemGraph *g, HnswMemShared *shared, char *area, Size size,
				int tranche)
{
	g->base = area;
	g->allocated = g->limit = size;
	g->shared = shared;
	g->hdim = shared->hdim;
	g->sqdim = 0;
	g->sq8_state = HNSW_SQ8_OFF;
	g->parallel = true;
	g->tranche = tranche;
	LWLockRegisterTranche(tranche, "hnsw_build");
}

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

/*
 * Searches jump all over the area: with 4 kB pages nearly every element
 * visited is a TLB miss, and each page is a fault when first touched.
 * Where the kernel does transparent huge pages on request (Linux,
 * transparent_hugepage=madvise, the usual default), asking for them on the
 * part of the area that spans whole 2 MB pages cuts both.  Pages touched
 * before the advice (the copy of a grown area) stay small; the serial area
 * therefore starts at the estimated size.  Only advice: refused or not
 * understood, nothing changes.
 */
static void
mem_advise_huge(char *base, Size size)
{
#ifdef MADV_HUGEPAGE
	const uintptr_t huge = 2 * 1024 * 1024;
	uintptr_t	start = TYPEALIGN(huge, (uintptr_t) base);
	uintptr_t	end = TYPEALIGN_DOWN(huge, (uintptr_t) base + size);

	/*
	 * Smaller areas may come from malloc's heap rather than a mapping of
	 * their own (glibc's mmap threshold grows up to 32 MB), where the
	 * advice would outlive the area; they gain little anyway.
	 */
	if (size < (Size) 32 * 1024 * 1024)
		return;
	if (end > start)
		(void) madvise((void *) start, end - start, MADV_HUGEPAGE);
#endif
}

/*
 * Makes a serial area at least `need` bytes, doubling.  The first one is
 * the estimated size when that is more: a wish, since where memory is
 * committed as allocated (vm.overcommit_memory=2) a high estimate could
 * fail a build that fits, which then grows from what it needs instead.
 */
static void
mem_grow(HnswMemGraph *g, Size need)
{
	Size		newsize = Min(Max(g->allocated * 2, need), g->limit);

	if (g->base == NULL)
	{
		Size		want = Min(g->initial, g->limit);

		if (want > newsize)
			g->base = MemoryContextAllocExtended(g->ctx, want,
												 MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
		if (g->base)
			newsize = want;
		else
			g->base = MemoryContextAllocHuge(g->ctx, newsize);
	}
	else
		g->base = repalloc_huge(g->base, newsize);
	g->allocated = newsize;
	mem_advise_huge(g->base, newsize);
}

/* Appends a zeroed record; returns its offset, or -1 when memory is full. */
static int64
mem_alloc(HnswMemGraph *g, int level, Size vecbytes)
{
	HnswMemShared *sh = g->shared;
	Size		size = mem_record_size(g, level, vecbytes);
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
		mem_grow(g, off + size);
	e = mem_element(g, off);
	memset(e, 0, size);
	e->size = size;
	e->level = level;
	if (g->parallel)
		LWLockInitialize(&e->lock, g->tranche);
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
	n = mem_layer(g, e, layer)->count;
	for (i = 0; i < n; i++)
		out[i] = mem_link_offset(links[i]);
	elem_unlock(g, e);
	return n;
}

/*
 * How many visits ahead a vector is prefetched.  REINDEX of 60,000
 * Fashion-MNIST rows (half-precision copies), four rounds alternated:
 * 4 ahead 10.93 s of CPU, 2 ahead 10.96, 8 ahead 11.24, not at all 11.22;
 * with the 8-bit copies and 64-byte prefetch steps (54,000 rows) 4 ahead
 * 6.71 s, 2 ahead 6.94, 8 ahead 6.66.  (Measurements before 2026-12-01
 * were of no prefetch at all: see hnsw_prefetch in hnsw.h.)
 */
#define HNSW_MEM_PREFETCH_AHEAD 4

/* Asks for every cache line of announced element i's vector */
static inline void
mem_prefetch_vector(HnswMemGraph *g, int i)
{
	hnsw_prefetch_range(mem_walk_vector(g, mem_element(g, g->pf_keys[i])),
						mem_walk_bytes(g));
}

/*
 * The search will visit keys[0..n-1] in this order.  Their headers are
 * asked for at once (a visit reports the level, and an element visited may
 * be expanded soon: asking for its header early measured cheaper than
 * leaving it to mem_ops_prefetch_links), and each vector
 * HNSW_MEM_PREFETCH_AHEAD visits ahead of its distance, so its lines
 * arrive while the previous distances are computed instead of one miss
 * after another.
 */
static void
mem_ops_prefetch(void *ctx, const uint64 *keys, int n)
{
	HnswMemGraph *g = ctx;

	g->pf_keys = keys;
	g->pf_n = n;
	g->pf_pos = 0;
	for (int i = 0; i < n; i++)
		hnsw_prefetch(mem_element(g, keys[i]));
	for (int i = 0; i < n && i < HNSW_MEM_PREFETCH_AHEAD; i++)
		mem_prefetch_vector(g, i);
}

static bool
mem_ops_visit(void *ctx, uint64 key, const void *query, HnswNode *node)
{
	HnswMemGraph *g = ctx;
	HnswMemElement *e = mem_element(g, key);

	if (g->pf_pos < g->pf_n && g->pf_keys[g->pf_pos] == key)
	{
		g->pf_pos++;
		if (g->pf_pos + HNSW_MEM_PREFETCH_AHEAD - 1 < g->pf_n)
			mem_prefetch_vector(g, g->pf_pos + HNSW_MEM_PREFETCH_AHEAD - 1);
	}

	node->dist = mem_walk_measure(g, mem_walk_query(g, query),
								  mem_walk_vector(g, e));
	node->level = e->level;
	node->ntids = 0;
	node->deleted = false;
	return true;
}

/*
 * Asks for the lines mem_ops_links will read: the header (the level) and
 * the layer's count and links.  An upper layer's list lies past the vector,
 * which is not asked for.
 */
static void
mem_ops_prefetch_links(void *ctx, uint64 key, int layer)
{
	HnswMemGraph *g = ctx;
	const char *e = (const char *) mem_element(g, key);

	hnsw_prefetch(e);
	hnsw_prefetch_range(e + mem_layer_offset(g, layer),
						sizeof(HnswMemLayer) +
						sizeof(uint32) * HnswLayerCapacity(g->m, layer));
}

const HnswGraphOps hnsw_mem_ops = {
	.links = mem_ops_links,
	.visit = mem_ops_visit,
	.prefetch = mem_ops_prefetch,
	.prefetch_links = mem_ops_prefetch_links,
};

/* Sets element e's links on a layer, from the chosen candidates. */
static void
mem_set_links(HnswMemGraph *g, HnswMemElement *e, int layer,
			  const HnswNode *nodes, const HnswSelect *hs, int n)
{
	HnswMemLayer *hd = mem_layer(g, e, layer);
	int			i;

	for (i = 0; i < n; i++)
	{
		mem_links(g, e, layer)[i] = mem_offset_link(nodes[hs->selected[i]].key);
		mem_dists(g, e, layer)[i] = nodes[hs->selected[i]].dist;
		mem_pruners(g, e, layer)[i] = hs->pruner[i];
	}
	hd->count = n;
	hd->nkept = hs->nkept;
}

static const void *
mem_list_vector(void *ctx, uint64 key, int which)
{
	HnswMemGraph *g = ctx;

	return mem_walk_vector(g, mem_element(g, mem_link_offset((uint32) key)));
}

/*
 * Gives element `noff` a link to `newoff` at distance d (hnsw_list_add;
 * list keys are links, as stored: mem_offset_link).
 *
 * Runs under the element's lock: it reads only vectors, which never
 * change, so no other lock is needed meanwhile.
 */
static void
mem_add_backlink(HnswMemGraph *g, uint64 noff, int layer, uint64 newoff, float d)
{
	HnswMemElement *n = mem_element(g, noff);
	HnswMemLayer *hd;
	HnswListGraph lg = {mem_list_vector, g, mem_walk_distance(g), mem_walk_dim(g),
	HnswLayerCapacity(g->m, layer), mem_walk_scale(g)};
	HnswList	list;
	uint32	   *links;
	float	   *dists;
	uint8	   *pruners;
	int			i;

	elem_lock(g, n, LW_EXCLUSIVE);
	hd = mem_layer(g, n, layer);
	links = mem_links(g, n, layer);
	dists = mem_dists(g, n, layer);
	pruners = mem_pruners(g, n, layer);
	list.count = hd->count;
	list.nkept = hd->nkept;
	for (i = 0; i < hd->count; i++)
	{
		list.keys[i] = links[i];
		list.dists[i] = dists[i];
		list.pruners[i] = pruners[i];
	}
	hnsw_list_add(&list, &lg, mem_offset_link(newoff), d);
	for (i = 0; i < list.count; i++)
	{
		links[i] = (uint32) list.keys[i];
		dists[i] = list.dists[i];
		pruners[i] = list.pruners[i];
	}
	hd->count = list.count;
	hd->nkept = list.nkept;
	elem_unlock(g, n);
}

/* Adds heaptid to an identical element with a free slot, if any. */
static bool
mem_add_duplicate(HnswMemGraph *g, const HnswNode *nodes, int n,
				  const void *vec, ItemPointer heaptid)
{
	int			i;

	for (i = 0; i < n && nodes[i].dist == nodes[0].dist; i++)
	{
		HnswMemElement *e = mem_element(g, nodes[i].key);
		bool		added = false;

		if (mem_vector_count(g, e) != HnswVectorCount(g->vectype, g->dim, vec) ||
			memcmp(mem_vector(g, e), vec, mem_vector_bytes(g, vec)) != 0)
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
mem_search(HnswMemGraph *g, HnswSearch *s, const void *vec, int level,
		   int64 entry, int entry_level, MemCandidates *mc)
{
	int			l;

	mc->top = Min(level, entry_level);
	hnsw_search_begin(s, vec);
	hnsw_search_seed(s, entry);
	for (l = entry_level; l > mc->top; l--)
		hnsw_search_layer(s, 1, l);
	for (l = mc->top; l >= 0; l--)
	{
		hnsw_search_layer(s, g->ef_construction, l);
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
		const void *vecs[HNSW_MAX_EF_CONSTRUCTION];
		float		dists[HNSW_MAX_EF_CONSTRUCTION];
		int			sel[HNSW_MAX_EF_CONSTRUCTION];
		uint8		pruner[HNSW_MAX_EF_CONSTRUCTION];
		HnswSelect	hs;
		int			i;
		int			n;

		for (i = 0; i < mc->nlayer[l]; i++)
		{
			vecs[i] = mem_walk_vector(g, mem_element(g, mc->layers[l][i].key));
			dists[i] = mc->layers[l][i].dist;
		}
		hnsw_select_init(&hs, mem_walk_distance(g), mem_walk_dim(g), vecs, dists,
						 mc->nlayer[l], HnswLayerCapacity(g->m, l), sel, pruner);
		hs.scale = mem_walk_scale(g);
		n = hnsw_select_neighbors(&hs);

		elem_lock(g, e, LW_EXCLUSIVE);
		mem_set_links(g, e, l, mc->layers[l], &hs, n);
		elem_unlock(g, e);
		for (i = 0; i < n; i++)
			mem_add_backlink(g, mc->layers[l][sel[i]].key, l, off,
							 mc->layers[l][sel[i]].dist);
	}
}

/*
 * The distance of two 8-bit copies in codes; the graph's sq8_scale2 makes
 * it one in the vectors' units (mem_walk_measure, and the scale handed to
 * the graph algorithms with this function).
 */
float
hnsw_mem_sq8_distance(const void *a, const void *b, int n)
{
	return (float) vec_sq8_kernels->l2_squared(a, b, n);
}

/*
 * How far outside the calibrated range, in codes, an element may lie and
 * be clamped (1/8 of the range); a vector beyond that ends the codes.
 */
#define HNSW_SQ8_MAX_EXCESS 32.0f

/* Gives up the 8-bit copies for the rest of the build (a serial one). */
static void
mem_stop_sq8(HnswMemGraph *g, const char *why)
{
	g->sq8_state = HNSW_SQ8_OFF;
	elog(DEBUG1, "hnsw build: 8-bit distances given up: %s", why);
}

/*
 * While the 8-bit copies are being calibrated: notes vec's range, and once
 * HNSW_SQ8_CALIBRATE_AT elements are in the graph chooses lo and step from
 * everything noted (this vector included) and encodes every record so far.
 * Values that were all integers spanning at most 256 codes get step 1 (the
 * codes then hold them exactly: pixels, counts), centred in the codes'
 * range to leave room on both sides for later rows; others get 256 codes
 * over the range seen.  One scale for all dimensions keeps the kernel a
 * sum of integers; data whose dimensions differ widely in range lose
 * resolution to it, and the check (mem_check_copies) hands those back to
 * the half copies.
 */
static void
mem_sq8_calibrate(HnswMemGraph *g, const float *vec)
{
	Size		used = g->shared->used;
	Size		pos;
	float		range;
	int			i;

	Assert(g->sqdim > 0);
	for (i = 0; i < g->dim; i++)
	{
		g->seen_lo = Min(g->seen_lo, vec[i]);
		g->seen_hi = Max(g->seen_hi, vec[i]);
		if (g->seen_whole && vec[i] != rintf(vec[i]))
			g->seen_whole = false;
	}
	if (g->shared->nelements < HNSW_SQ8_CALIBRATE_AT)
		return;
	range = g->seen_hi - g->seen_lo;
	if (!(range > 0.0f) || isinf(range))
	{
		mem_stop_sq8(g, "the first rows' values do not spread");
		return;
	}

	/*
	 * The kernel's sum is scaled by step^2: it must be a normal float, or
	 * identical codes would measure inf * 0 = NaN (a range beyond about
	 * 4.7e21) or every distance 0 (below about 3e-17).
	 */
	if (!isfinite((range / 255.0f) * (range / 255.0f)) ||
		(range / 255.0f) * (range / 255.0f) < FLT_MIN)
	{
		mem_stop_sq8(g, "the first rows' values span too extreme a range");
		return;
	}
	if (g->seen_whole && range <= 255.0f)
	{
		g->sq8_step = 1.0f;
		g->sq8_lo = g->seen_lo - floorf((255.0f - range) / 2);
	}
	else
	{
		g->sq8_step = range / 255.0f;
		g->sq8_lo = g->seen_lo;
	}
	for (pos = 0; pos < used; pos += mem_element(g, pos)->size)
	{
		HnswMemElement *e = mem_element(g, pos);

		(void) vec_sq8_encode(mem_vector(g, e), mem_sq8(g, e), g->dim,
							  g->sq8_lo, g->sq8_step);
	}
	g->sq8_scale2 = g->sq8_step * g->sq8_step;
	g->sq8_state = HNSW_SQ8_ON;
	elog(DEBUG1, "hnsw build: 8-bit copies from %g in steps of %g", g->sq8_lo,
		 g->sq8_step);
}

/*
 * Gives up the half copies for the rest of the build, in every process,
 * from each one's next insert on: an insert under way finishes as it
 * began, so its distances are all measured one way.
 */
static void
mem_stop_half(HnswMemGraph *g, const char *why)
{
	HnswMemShared *sh = g->shared;

	SpinLockAcquire(&sh->mutex);
	sh->half = false;
	SpinLockRelease(&sh->mutex);
	elog(DEBUG1, "hnsw build: half-precision distances given up: %s", why);
}

/*
 * Chooses how this insert measures, and makes vec's half copy in qhalf
 * whenever the records have one (a process still measuring on copies may
 * read this element's even after another gave them up), and its codes in
 * qsq8 while the 8-bit copies are in use.
 */
static void
mem_walk_begin(HnswMemGraph *g, const void *vec)
{
	g->walk_half = false;
	g->walk_sq8 = false;
	if (g->hdim == 0)
		return;
	if (g->qhalf == NULL)
		g->qhalf = MemoryContextAlloc(g->ctx, sizeof(VecHalf) * g->hdim);
	if (!vec_half_kernels->from_float(vec, g->qhalf, g->dim) && g->shared->half)
		mem_stop_half(g, "a vector has an element beyond half precision's range");
	g->walk_half = g->shared->half;

	if (g->sq8_state != HNSW_SQ8_ON)
		return;
	if (g->qsq8 == NULL)
		g->qsq8 = MemoryContextAlloc(g->ctx, g->sqdim);
	if (vec_sq8_encode(vec, g->qsq8, g->dim, g->sq8_lo, g->sq8_step) >
		HNSW_SQ8_MAX_EXCESS)
	{
		mem_stop_sq8(g, "a vector lies far outside the calibrated range");
		return;
	}
	g->walk_sq8 = true;
	g->sq8_inserts++;
}

/*
 * Whether the copies this insert measured on still tell this data's
 * distances apart: for the nearest and the farthest candidate the search
 * kept on layer 0, the error of the copies' distance must be under
 * 1/HNSW_COPIES_MAX_ERROR of the spread between them.  On typical
 * embeddings it is thousands of times smaller; data whose elements share a
 * large offset (values near 1000 that differ by 0.1: half precision's step
 * there is 0.5) or are tiny (below 2^-14 its precision thins out) fail the
 * half copies at the first checks, data whose dimensions span very
 * different ranges the 8-bit ones.  Two float distances per insert, every
 * insert while the graph (or the 8-bit copies) are young, every
 * HNSW_COPIES_CHECK_EVERY-th after that.  The 8-bit copies failing leave
 * the half copies, which are checked in turn.
 */
#define HNSW_COPIES_YOUNG			1024	/* inserts checked one by one */
#define HNSW_COPIES_CHECK_EVERY		16	/* then one insert in this many */
#define HNSW_COPIES_MAX_ERROR		64	/* spread / greatest error allowed */

static void
mem_check_copies(HnswMemGraph *g, const void *vec, const MemCandidates *mc)
{
	const HnswNode *nodes = mc->layers[0];
	int			n = mc->nlayer[0];
	float		near,
				far,
				err;
	bool		due;

	if (g->walk_sq8)
		due = g->sq8_inserts < HNSW_COPIES_YOUNG ||
			g->sq8_inserts % HNSW_COPIES_CHECK_EVERY == 0;
	else
		due = g->walk_half &&
			(g->shared->nelements < HNSW_COPIES_YOUNG ||
			 g->ninserts % HNSW_COPIES_CHECK_EVERY == 0);
	if (!due || n < 2)
		return;
	near = g->distance(vec, mem_vector(g, mem_element(g, nodes[0].key)), g->dim);
	far = g->distance(vec, mem_vector(g, mem_element(g, nodes[n - 1].key)), g->dim);
	err = Max(fabsf(near - nodes[0].dist), fabsf(far - nodes[n - 1].dist));
	if (err <= (far - near) / HNSW_COPIES_MAX_ERROR)
		return;
	if (g->walk_sq8)
		mem_stop_sq8(g, "too coarse for the data");
	else
		mem_stop_half(g, "too coarse for the data");
}

/*
 * Inserts a vector into the memory graph as an element of the given level,
 * searching with `search` (a search over hnsw_mem_ops and g).  Returns
 * false, changing nothing, when the area is full.
 */
bool
hnsw_mem_insert(HnswMemGraph *g, HnswSearch *search, const void *vec, int level,
				ItemPointer heaptid)
{
	HnswMemShared *sh = g->shared;
	MemCandidates mc;
	int64		entry;
	int			entry_level;
	int64		off;
	HnswMemElement *e;

	SpinLockAcquire(&sh->mutex);
	entry = sh->entry;
	entry_level = sh->entry_level;
	SpinLockRelease(&sh->mutex);

	g->ninserts++;
	if (g->sq8_state == HNSW_SQ8_CALIBRATING)
		mem_sq8_calibrate(g, vec);
	mem_walk_begin(g, vec);
	if (entry >= 0)
	{
		mem_search(g, search, vec, level, entry, entry_level, &mc);
		if (mem_add_duplicate(g, mc.layers[0], mc.nlayer[0], vec, heaptid))
			return true;
		mem_check_copies(g, vec, &mc);
	}

	off = mem_alloc(g, level, mem_vector_bytes(g, vec));
	if (off < 0)
		return false;
	e = mem_element(g, off);
	e->heaptids[0] = *heaptid;
	e->ntids = 1;
	memcpy(mem_vector(g, e), vec, mem_vector_bytes(g, vec));
	if (g->hdim > 0)
		memcpy(mem_half(g, e), g->qhalf, sizeof(VecHalf) * g->hdim);
	/* while the codes are in use (a later walk may read this one's) */
	if (g->walk_sq8)
		memcpy(mem_sq8(g, e), g->qsq8, g->sqdim);

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
		mem_search(g, search, vec, level, entry, entry_level, &mc);
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

/* ---------------------------------------------------------------------
 * Reachability (hnswreachgraph.c): ids are links (mem_offset_link)
 * ---------------------------------------------------------------------
 */

static inline HnswMemElement *
mem_linked(HnswMemGraph *g, int64 id)
{
	return mem_element(g, mem_link_offset((uint32) id));
}

static int64
mem_reach_next(void *ctx, int64 id)
{
	HnswMemGraph *g = ctx;
	uint64		off = id < 0 ? 0 : mem_link_offset((uint32) id) + mem_linked(g, id)->size;

	return off < g->shared->used ? (int64) mem_offset_link(off) : -1;
}

static int
mem_reach_links(void *ctx, int64 id, int64 *out)
{
	HnswMemGraph *g = ctx;
	HnswMemElement *e = mem_linked(g, id);
	int			n = mem_layer(g, e, 0)->count;
	int			i;

	for (i = 0; i < n; i++)
		out[i] = mem_links(g, e, 0)[i];
	return n;
}

static void
mem_reach_indegree_clear(void *ctx)
{
	HnswMemGraph *g = ctx;
	int64		id;

	for (id = mem_reach_next(g, -1); id >= 0; id = mem_reach_next(g, id))
		mem_linked(g, id)->indegree = 0;
}

static void
mem_reach_indegree_add(void *ctx, const int64 *ids, int n)
{
	HnswMemGraph *g = ctx;
	int			i;

	for (i = 0; i < n; i++)
	{
		HnswMemElement *t = mem_linked(g, ids[i]);

		if (t->indegree < PG_UINT16_MAX)
			t->indegree++;
	}
}

static int
mem_reach_indegree(void *ctx, int64 id)
{
	return mem_linked((HnswMemGraph *) ctx, id)->indegree;
}

/*
 * Most fillers a list that searches use -- that of an element reached
 * before the pass linked anything in -- gives up to orphans.  Under inner
 * product the longest vectors draw nearly all links, their lists are
 * mostly fillers, and every orphan's nearest reached neighbours are among
 * the same few of them: letting orphans take any filler there emptied
 * those lists of the links between the long vectors (10,000 3-d vectors
 * of products of two uniform draws: 8,300 orphans, recall@20 at the
 * default ef_search 0.97 where the graph without the pass has 1.00).  An
 * orphan linked in (hnsw_reach_adopted) has a list no search used, so any
 * of its fillers may go: the other orphans hang from it.
 */
#define MEM_REACH_MAX_ADOPTED	4

/*
 * A slot of element nu's layer-0 list for a link to an orphan: a free one,
 * or unless w->free_only the farthest filler whose element has another
 * in-link (then one fewer), within MEM_REACH_MAX_ADOPTED.  -1 if none.
 */
static int
mem_reach_slot(HnswMemGraph *g, HnswReachWalk *w, int64 nu)
{
	HnswMemElement *n = mem_linked(g, nu);
	HnswMemLayer *hd = mem_layer(g, n, 0);
	uint32	   *links = mem_links(g, n, 0);
	uint8	   *pruners = mem_pruners(g, n, 0);
	int			j;

	if (hd->count < HnswLayerCapacity(g->m, 0))
		return hd->count++;
	if (w->free_only)
		return -1;
	if (!hnsw_reach_adopted(w, nu))
	{
		int			given = 0;

		/* this pass's links are the fillers without a pruner */
		for (j = hd->nkept; j < hd->count; j++)
			if (pruners[j] == HNSW_NO_PRUNER)
				given++;
		if (given >= MEM_REACH_MAX_ADOPTED)
			return -1;
	}
	for (j = hd->count - 1; j >= hd->nkept; j--)
	{
		HnswMemElement *f = mem_linked(g, links[j]);

		if (f->indegree > 1 && f->indegree < PG_UINT16_MAX)
		{
			f->indegree--;
			return j;
		}
	}
	return -1;
}

/* Puts a link to orphan `id` at distance d into slot of nu's list */
static void
mem_reach_put(HnswMemGraph *g, int64 nu, int slot, int64 id, float d)
{
	HnswMemElement *n = mem_linked(g, nu);
	HnswMemElement *o = mem_linked(g, id);

	mem_links(g, n, 0)[slot] = (uint32) id;
	mem_dists(g, n, 0)[slot] = d;
	mem_pruners(g, n, 0)[slot] = HNSW_NO_PRUNER;
	if (o->indegree < PG_UINT16_MAX)
		o->indegree++;
}

/*
 * HnswReachOps.link_in: a list's fillers are the ones after its nkept
 * choices; a new link has no pruner.  The orphan goes into the list of its
 * nearest reached neighbour that has room (mem_reach_slot), taking its
 * distance to that neighbour (the same both ways); failing that, into the
 * list of an orphan linked in before from one of those neighbours, with
 * the distance measured.
 */
static bool
mem_reach_link_in(void *ctx, HnswReachWalk *w, int64 id)
{
	HnswMemGraph *g = ctx;
	HnswMemElement *o = mem_linked(g, id);
	HnswMemLayer *ohd = mem_layer(g, o, 0);
	int			i;

	for (i = 0; i < ohd->count; i++)
	{
		uint32		nu = mem_links(g, o, 0)[i];
		int			slot;

		if (!hnsw_reach_reached(w, nu))
			continue;
		slot = mem_reach_slot(g, w, nu);
		if (slot < 0)
			continue;
		mem_reach_put(g, nu, slot, id, mem_dists(g, o, 0)[i]);
		return true;
	}
	if (w->free_only)
		return false;
	for (i = 0; i < ohd->count; i++)
	{
		uint32		nu = mem_links(g, o, 0)[i];
		HnswMemElement *n = mem_linked(g, nu);
		HnswMemLayer *hd = mem_layer(g, n, 0);
		int			j;

		if (!hnsw_reach_reached(w, nu))
			continue;
		for (j = hd->nkept; j < hd->count; j++)
		{
			uint32		xu = mem_links(g, n, 0)[j];
			int			slot;

			/* (in a reached list, so reached too) */
			if (mem_pruners(g, n, 0)[j] != HNSW_NO_PRUNER ||
				!hnsw_reach_adopted(w, xu))
				continue;
			slot = mem_reach_slot(g, w, xu);
			if (slot < 0)
				continue;
			mem_reach_put(g, xu, slot, id,
						  mem_walk_measure(g, mem_walk_vector(g, mem_linked(g, xu)),
										   mem_walk_vector(g, o)));
			return true;
		}
	}
	return false;
}

static const HnswReachOps mem_reach_ops = {
	.next = mem_reach_next,
	.links = mem_reach_links,
	.indegree_clear = mem_reach_indegree_clear,
	.indegree_add = mem_reach_indegree_add,
	.indegree = mem_reach_indegree,
	.link_in = mem_reach_link_in,
};

/* Sets up a walk over the whole graph (which holds elements) */
static void
mem_reach_init(HnswMemGraph *g, HnswReachWalk *w)
{
	hnsw_reach_init(w, &mem_reach_ops, g, mem_offset_link(g->shared->used),
					g->shared->nelements, HnswLayerCapacity(g->m, 0),
					g->shared->entry >= 0 ? (int64) mem_offset_link(g->shared->entry) : -1,
					true);
}

/*
 * Makes every element reachable from the entry point over layer-0 links
 * (hnswreachgraph.c): back-links that later prunings dropped from every
 * neighbour's list leave a few elements that are not (0.3% of 20,000
 * Fashion-MNIST vectors); under inner product on vectors of very different
 * lengths, where the longest draw the links, from 10% to over 80%, many
 * of them in small groups that link only to each other.  Runs in one process after
 * all inserts, before write-out.  Returns the number of elements linked.
 */
int64
hnsw_mem_link_orphans(HnswMemGraph *g)
{
	HnswReachWalk w;
	int64		linked;

	if (g->shared->entry < 0)
		return 0;
	mem_reach_init(g, &w);
	hnsw_reach_track_adopted(&w);
	hnsw_reach_link(&w);
	linked = w.linked;
	hnsw_reach_free(&w);
	return linked;
}

/*
 * The order in which to lay the elements out on pages: breadth-first over
 * layer 0 from the entry point (then any element not reached, in record
 * order), so that an element's neighbours -- those it was the first to
 * reach -- share pages with each other.  A search visits an element's
 * unvisited neighbours together, in key order (hnswsearch.c), and a page
 * already pinned is pinned again without a buffer-mapping lookup
 * (hnswutils.c).  Returns a palloc'd array of links (mem_offset_link),
 * one per element; *n is their number.
 */
uint32 *
hnsw_mem_layout_order(HnswMemGraph *g, int64 *n)
{
	HnswReachWalk w;
	int64		tail = 0;
	int64		id;
	uint32	   *order;

	*n = g->shared->nelements;
	mem_reach_init(g, &w);
	if (w.entry >= 0)
		tail = hnsw_reach_walk(&w, w.entry, 0);
	for (id = mem_reach_next(g, -1); id >= 0; id = mem_reach_next(g, id))
		if (!hnsw_reach_reached(&w, id))
			tail = hnsw_reach_walk(&w, id, tail);
	Assert(tail == *n);
	order = w.queue;
	w.queue = NULL;
	hnsw_reach_free(&w);
	return order;
}
