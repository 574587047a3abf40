/*
 * hnswsearch.c
 *	  The layer search and neighbour selection of HNSW, independent of where
 *	  the graph lives.
 *
 * The build searches its in-memory graph and inserts and scans search the
 * graph in index pages; both reach the graph through an HnswGraphOps, so
 * the algorithm is written once.  A search object is created once per
 * operation and reused across searches: its arrays grow as needed and are
 * never freed in the inner loop.
 */
#include "postgres.h"

#include "hnsw_graph.h"

#include "common/pg_prng.h"
#include "miscadmin.h"
#include "utils/memutils.h"

/* ---------------------------------------------------------------------
 * Binary heaps of (distance, node) pairs
 * ---------------------------------------------------------------------
 */

static inline bool
heap_before(const HnswHeapItem *a, const HnswHeapItem *b, bool max)
{
	return max ? a->dist > b->dist : a->dist < b->dist;
}

static void
heap_push(HnswHeap *h, float dist, int32 node, bool max)
{
	int			i;

	if (h->count == h->capacity)
	{
		h->capacity *= 2;
		h->items = repalloc(h->items, sizeof(HnswHeapItem) * h->capacity);
	}
	i = h->count++;
	h->items[i].dist = dist;
	h->items[i].node = node;
	while (i > 0)
	{
		int			parent = (i - 1) / 2;
		HnswHeapItem tmp;

		if (!heap_before(&h->items[i], &h->items[parent], max))
			break;
		tmp = h->items[i];
		h->items[i] = h->items[parent];
		h->items[parent] = tmp;
		i = parent;
	}
}

static HnswHeapItem
heap_pop(HnswHeap *h, bool max)
{
	HnswHeapItem top = h->items[0];
	int			i = 0;

	h->items[0] = h->items[--h->count];
	for (;;)
	{
		int			l = 2 * i + 1;
		int			r = l + 1;
		int			best = i;
		HnswHeapItem tmp;

		if (l < h->count && heap_before(&h->items[l], &h->items[best], max))
			best = l;
		if (r < h->count && heap_before(&h->items[r], &h->items[best], max))
			best = r;
		if (best == i)
			break;
		tmp = h->items[i];
		h->items[i] = h->items[best];
		h->items[best] = tmp;
		i = best;
	}
	return top;
}

static void
heap_init(HnswHeap *h, int capacity)
{
	h->items = palloc(sizeof(HnswHeapItem) * capacity);
	h->count = 0;
	h->capacity = capacity;
}

/* ---------------------------------------------------------------------
 * Visited set: open addressing; cleared in O(1) by bumping the stamp
 * ---------------------------------------------------------------------
 */

static inline uint32
visited_hash(uint64 key)
{
	return (uint32) ((key * UINT64CONST(0x9E3779B97F4A7C15)) >> 32);
}

static void
visited_init(HnswVisited *v, uint32 capacity)
{
	v->keys = palloc(sizeof(uint64) * capacity);
	v->stamps = palloc0(sizeof(uint32) * capacity);
	v->stamp = 1;
	v->mask = capacity - 1;
	v->count = 0;
}

static void
visited_clear(HnswVisited *v)
{
	v->count = 0;
	if (++v->stamp == 0)
	{
		/* wrapped around after 4 billion clears: really clear once */
		memset(v->stamps, 0, sizeof(uint32) * (v->mask + 1));
		v->stamp = 1;
	}
}

static bool visited_add(HnswVisited *v, uint64 key);

static void
visited_grow(HnswVisited *v)
{
	uint64	   *oldkeys = v->keys;
	uint32	   *oldstamps = v->stamps;
	uint32		oldcap = v->mask + 1;
	uint32		oldstamp = v->stamp;
	uint32		i;
	MemoryContext old;

	/*
	 * Grow in the set's own context, not the caller's: a scan runs its
	 * search in a context it resets on rescan, while the set lives on.
	 */
	old = MemoryContextSwitchTo(GetMemoryChunkContext(oldkeys));
	visited_init(v, oldcap * 2);
	MemoryContextSwitchTo(old);
	for (i = 0; i < oldcap; i++)
		if (oldstamps[i] == oldstamp)
			visited_add(v, oldkeys[i]);
	pfree(oldkeys);
	pfree(oldstamps);
}

/* Adds key; returns true if it was not there yet. */
static bool
visited_add(HnswVisited *v, uint64 key)
{
	uint32		i;

	if ((v->count + 1) * 2 > v->mask + 1)
		visited_grow(v);
	i = visited_hash(key) & v->mask;
	while (v->stamps[i] == v->stamp)
	{
		if (v->keys[i] == key)
			return false;
		i = (i + 1) & v->mask;
	}
	v->stamps[i] = v->stamp;
	v->keys[i] = key;
	v->count++;
	return true;
}

/* ---------------------------------------------------------------------
 * Searches
 * ---------------------------------------------------------------------
 */

HnswSearch *
hnsw_search_create(const HnswGraphOps *ops, void *ctx, int m)
{
	HnswSearch *s = palloc0(sizeof(HnswSearch));

	s->ops = ops;
	s->ctx = ctx;
	s->m = m;
	s->maxnodes = 1024;
	s->nodes = palloc(sizeof(HnswNode) * s->maxnodes);
	heap_init(&s->candidates, 256);
	heap_init(&s->results, 256);
	heap_init(&s->pending, 16);
	visited_init(&s->visited, 2048);
	s->linkbuf = palloc(sizeof(uint64) * 2 * m);
	return s;
}

void
hnsw_search_free(HnswSearch *s)
{
	pfree(s->nodes);
	pfree(s->candidates.items);
	pfree(s->results.items);
	pfree(s->pending.items);
	pfree(s->visited.keys);
	pfree(s->visited.stamps);
	pfree(s->linkbuf);
	pfree(s);
}

/* Starts a new search for `query`; forgets everything found before. */
void
hnsw_search_begin(HnswSearch *s, const void *query)
{
	s->query = query;
	s->nnodes = 0;
	s->candidates.count = 0;
	s->results.count = 0;
	s->pending.count = 0;
	visited_clear(&s->visited);
}

static inline int32
node_alloc(HnswSearch *s)
{
	if (s->nnodes == s->maxnodes)
	{
		s->maxnodes *= 2;
		s->nodes = repalloc_huge(s->nodes, sizeof(HnswNode) * s->maxnodes);
	}
	return s->nnodes++;
}

/*
 * Visits `key` and makes it an entry point of the next layer search.
 * Returns false if the element could not be visited.
 */
bool
hnsw_search_seed(HnswSearch *s, uint64 key)
{
	int32		n;

	if (!visited_add(&s->visited, key))
		return true;
	n = node_alloc(s);
	s->nodes[n].key = key;
	if (!s->ops->visit(s->ctx, key, s->query, &s->nodes[n]))
	{
		s->nnodes--;
		return false;
	}
	s->ndistances++;
	heap_push(&s->results, s->nodes[n].dist, n, true);
	return true;
}

/*
 * Adds the search's first element -- the entry point it was seeded with --
 * to the results again, unless it is among them, so that the next layer's
 * search starts from it as well as from where the search stands.  A scan
 * does this before layer 0: an exhaustive iterative scan then finds every
 * element reachable over layer-0 links from the entry point (what
 * hnsw_index_check counts as reachable and VACUUM links in), whichever
 * element the descent through the upper layers ended at.  It costs no
 * distance (the entry point was measured at the top), and as the entry
 * point is far from most queries, an ordinary search expands it only when
 * it has found fewer than ef elements nearer.
 */
void
hnsw_search_add_entry(HnswSearch *s)
{
	int			i;

	if (s->nnodes == 0)
		return;
	for (i = 0; i < s->results.count; i++)
		if (s->results.items[i].node == 0)
			return;
	heap_push(&s->results, s->nodes[0].dist, 0, true);
}

/*
 * Searches one layer (the paper's SEARCH-LAYER), starting from the current
 * results, and leaves the `ef` nearest elements found in s->results.
 *
 * The visited set is per layer: an element seen on an upper layer must be
 * reconsidered on this one, where it has other links.
 */
/*
 * Puts key's links on layer that were not visited yet into s->linkbuf,
 * marks them visited and announces them to the graph, which can then
 * fetch their pages and vectors ahead of the distance computations.
 * Returns their number.
 */
static int
unvisited_links(HnswSearch *s, uint64 key, int layer)
{
	int			nlinks = s->ops->links(s->ctx, key, layer, s->linkbuf);
	int			n = 0;
	int			i;

	s->nexpanded++;

	for (i = 0; i < nlinks; i++)
	{
		if (visited_add(&s->visited, s->linkbuf[i]))
			s->linkbuf[n++] = s->linkbuf[i];
	}
	if (n > 0 && s->ops->visit_in_key_order)
	{
		/* which order they are measured in does not matter to the search */
		for (i = 1; i < n; i++)
		{
			uint64		k = s->linkbuf[i];
			int			j = i;

			for (; j > 0 && s->linkbuf[j - 1] > k; j--)
				s->linkbuf[j] = s->linkbuf[j - 1];
			s->linkbuf[j] = k;
		}
	}
	if (n > 0 && s->ops->prefetch)
		s->ops->prefetch(s->ctx, s->linkbuf, n);
	return n;
}

void
hnsw_search_layer(HnswSearch *s, int ef, int layer)
{
	HnswHeap   *cand = &s->candidates;
	HnswHeap   *res = &s->results;
	int			i;

	while (res->count > ef)
		(void) heap_pop(res, true);

	visited_clear(&s->visited);
	cand->count = 0;
	for (i = 0; i < res->count; i++)
	{
		visited_add(&s->visited, s->nodes[res->items[i].node].key);
		heap_push(cand, res->items[i].dist, res->items[i].node, false);
	}

	while (cand->count > 0)
	{
		HnswHeapItem c = heap_pop(cand, false);
		int			nlinks;

		if (res->count >= ef && c.dist > res->items[0].dist)
			break;

		CHECK_FOR_INTERRUPTS();

		/*
		 * The nearest remaining candidate is likely the next one expanded,
		 * unless c's neighbours bring a nearer one: start fetching its
		 * links while c's neighbours are measured.
		 */
		if (s->ops->prefetch_links && cand->count > 0)
			s->ops->prefetch_links(s->ctx, s->nodes[cand->items[0].node].key, layer);

		nlinks = unvisited_links(s, s->nodes[c.node].key, layer);
		for (i = 0; i < nlinks; i++)
		{
			uint64		key = s->linkbuf[i];
			int32		n;
			HnswNode   *node;

			n = node_alloc(s);
			node = &s->nodes[n];
			node->key = key;
			if (!s->ops->visit(s->ctx, key, s->query, node))
			{
				s->nnodes--;
				continue;
			}
			s->ndistances++;

			if (res->count < ef || node->dist < res->items[0].dist)
			{
				heap_push(cand, node->dist, n, false);
				if (s->live_results && !hnsw_node_has_rows(node))
					continue;	/* a way through, not a result */
				heap_push(res, node->dist, n, true);
				if (res->count > ef)
					(void) heap_pop(res, true);
			}
			else
				s->nnodes--;	/* not kept: reuse the slot */
		}
	}
}

/* ---------------------------------------------------------------------
 * Iterative layer-0 search (hnsw.iterative_scan)
 *
 * A scan that must go on past its first ef_search results (a WHERE clause
 * filtered most of them out) resumes the layer-0 search where it stopped
 * instead of starting over.  Every element found is, at any time, in
 * exactly one of: the current batch (results, at most ef), pending (found
 * but not handed out), or already handed out.  Every found element also
 * enters candidates, so the search can later expand beyond it; the first
 * batch is exactly SEARCH-LAYER, since an element that does not make the
 * batch is farther than the batch's worst and is not expanded in it.
 * Each further batch takes the nearest ef pending elements as its start
 * and goes on expanding candidates from where the last batch stopped; the
 * visited set is kept, so nothing is computed twice.
 * ---------------------------------------------------------------------
 */

/* Starts the iteration after the upper layers: their result seeds layer 0. */
void
hnsw_search_iter_start(HnswSearch *s)
{
	int			i;

	visited_clear(&s->visited);
	s->candidates.count = 0;
	s->pending.count = 0;
	for (i = 0; i < s->results.count; i++)
	{
		visited_add(&s->visited, s->nodes[s->results.items[i].node].key);
		heap_push(&s->candidates, s->results.items[i].dist, s->results.items[i].node, false);
		heap_push(&s->pending, s->results.items[i].dist, s->results.items[i].node, false);
	}
	s->results.count = 0;
}

/* Visits the unvisited neighbours of node c on layer 0. */
static void
iter_expand(HnswSearch *s, int32 c, int ef)
{
	HnswHeap   *res = &s->results;
	int			nlinks = unvisited_links(s, s->nodes[c].key, 0);
	int			i;

	for (i = 0; i < nlinks; i++)
	{
		uint64		key = s->linkbuf[i];
		int32		n;
		HnswNode   *node;

		n = node_alloc(s);
		node = &s->nodes[n];
		node->key = key;
		if (!s->ops->visit(s->ctx, key, s->query, node))
		{
			s->nnodes--;
			continue;
		}
		s->ndistances++;
		heap_push(&s->candidates, node->dist, n, false);
		if (res->count < ef || node->dist < res->items[0].dist)
		{
			heap_push(res, node->dist, n, true);
			if (res->count > ef)
			{
				HnswHeapItem x = heap_pop(res, true);

				heap_push(&s->pending, x.dist, x.node, false);
			}
		}
		else
			heap_push(&s->pending, node->dist, n, false);
	}
}

/*
 * The next batch of at most ef elements, nearest first, in a palloc'd
 * array; 0 when the graph reachable from the entry point is exhausted.
 */
int
hnsw_search_iter_next(HnswSearch *s, int ef, HnswNode **out)
{
	HnswHeap   *res = &s->results;
	HnswHeap   *cand = &s->candidates;

	res->count = 0;
	while (res->count < ef && s->pending.count > 0)
	{
		HnswHeapItem x = heap_pop(&s->pending, false);

		heap_push(res, x.dist, x.node, true);
	}
	while (cand->count > 0)
	{
		if (res->count >= ef && cand->items[0].dist > res->items[0].dist)
			break;
		CHECK_FOR_INTERRUPTS();
		iter_expand(s, heap_pop(cand, false).node, ef);
	}
	return hnsw_search_sorted(s, out);
}

/* Memory the search holds, for the iterative scan's limit. */
Size
hnsw_search_mem(const HnswSearch *s)
{
	return sizeof(HnswNode) * (Size) s->maxnodes +
		sizeof(HnswHeapItem) * (Size) (s->candidates.capacity +
									   s->results.capacity +
									   s->pending.capacity) +
		(sizeof(uint64) + sizeof(uint32)) * (Size) (s->visited.mask + 1);
}

/*
 * Exact distance ties are broken by a hash of the element key with a salt
 * drawn afresh for every sort (and every merge of a list: hnsw_list_add),
 * from PostgreSQL's generator, as the elements' levels are.  Breaking them
 * by key (oldest first) would make every pruned neighbour list among
 * identical vectors keep the same oldest elements and drop each newcomer,
 * leaving a crowd of duplicates unreachable; a fresh random order keeps
 * their links a random graph, which is connected.
 */
static inline uint64
tiebreak_salt(void)
{
	return pg_prng_uint64(&pg_global_prng_state);
}

static inline uint64
node_tiebreak(uint64 key, uint64 salt)
{
	uint64		h = key ^ salt;

	/* splitmix64 finaliser */
	h ^= h >> 30;
	h *= UINT64CONST(0xbf58476d1ce4e5b9);
	h ^= h >> 27;
	h *= UINT64CONST(0x94d049bb133111eb);
	h ^= h >> 31;
	return h;
}

static inline int
node_cmp(const HnswNode *na, const HnswNode *nb, uint64 salt)
{
	uint64		ha;
	uint64		hb;

	if (na->dist < nb->dist)
		return -1;
	if (na->dist > nb->dist)
		return 1;
	ha = node_tiebreak(na->key, salt);
	hb = node_tiebreak(nb->key, salt);
	if (ha != hb)
		return ha < hb ? -1 : 1;
	return na->key < nb->key ? -1 : na->key > nb->key ? 1 : 0;
}

/*
 * Does (da, ka) sort before (db, kb)?  The order of hnsw_sort_nodes under
 * the given salt, for merging lists; ties go either way, at random, for
 * the reason above.
 */
static inline bool
node_precedes(float da, uint64 ka, float db, uint64 kb, uint64 salt)
{
	if (da != db)
		return da < db;
	return node_tiebreak(ka, salt) < node_tiebreak(kb, salt);
}

/*
 * The template's sort with node_cmp inlined: the build sorts every
 * insert's candidates per layer, and qsort's call per comparison cost
 * 3% of a 128-d build's CPU.
 */
#define ST_SORT sort_nodes_inline
#define ST_ELEMENT_TYPE HnswNode
#define ST_COMPARE(a, b, salt) node_cmp(a, b, *(salt))
#define ST_COMPARE_ARG_TYPE uint64
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

void
hnsw_sort_nodes(HnswNode *nodes, int n)
{
	uint64		salt = tiebreak_salt();

	if (n > 1)
		sort_nodes_inline(nodes, n, &salt);
}

/* The salt of a scan's sorts: any constant gives one order of ties */
#define FIXED_TIES_SALT		0

/*
 * Copies the current results, nearest first, into a palloc'd array.
 * The search state is unchanged.
 */
int
hnsw_search_sorted(HnswSearch *s, HnswNode **out)
{
	int			n = s->results.count;
	HnswNode   *arr = palloc(sizeof(HnswNode) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		arr[i] = s->nodes[s->results.items[i].node];
	if (s->fixed_ties)
	{
		uint64		salt = FIXED_TIES_SALT;

		if (n > 1)
			sort_nodes_inline(arr, n, &salt);
	}
	else
		hnsw_sort_nodes(arr, n);
	*out = arr;
	return n;
}

/*
 * The neighbour-selection heuristic (Malkov & Yashunin, Algorithm 4):
 * walk the candidates nearest first and keep one only if it is nearer to
 * the base than to every neighbour kept so far.  This keeps links pointing
 * in diverse directions, which is what lets greedy search cross clusters.
 * Returns the number selected (at most cap); selected[] gets candidate
 * indexes, the heuristic's choices first.
 */
int
hnsw_select_neighbors(HnswSelect *sel)
{
	uint8		by[HNSW_SELECT_MAX_PRUNERS];	/* candidate i's pruner, if
												 * sel->pruner is wanted */
	float		scale = sel->scale ? *sel->scale : 1.0f;
	int			nsel = 0;
	int			i;

	/* VACUUM's repair passes more candidates, but wants no pruners */
	if (sel->pruner && sel->ncand > lengthof(by))
		elog(ERROR, "hnsw: %d neighbour candidates, at most %d can report pruners",
			 sel->ncand, (int) lengthof(by));
	for (i = 0; i < sel->ncand && nsel < sel->cap; i++)
	{
		bool		keep = true;
		int			j;

		for (j = 0; j < nsel; j++)
		{
			float		d = sel->distance(sel->vecs[i], sel->vecs[sel->selected[j]],
										  sel->dim) * scale;

			if (d < sel->dists[i])
			{
				keep = false;
				if (sel->pruner)
					by[i] = (uint8) j;
				break;
			}
		}
		if (keep)
		{
			if (sel->pruner)
				sel->pruner[nsel] = 0;
			sel->selected[nsel++] = i;
		}
	}

	/*
	 * Then fill the list up with the nearest of the candidates the
	 * heuristic passed over (the paper's keepPrunedConnections).  Sparse
	 * lists leave well-separated clusters joined by a handful of links that
	 * later prunings can remove, and then a whole cluster is unreachable
	 * from the entry point: on 200k clustered vectors (m 8) one cluster of
	 * 50 was lost in one build.  selected[] is ascending here, so a merge
	 * finds the passed-over ones.
	 */
	{
		int			nheur = nsel;
		int			p = 0;

		sel->nkept = nheur;
		for (i = 0; i < sel->ncand && nsel < sel->cap; i++)
		{
			if (p < nheur && sel->selected[p] == i)
			{
				p++;
				continue;
			}
			if (sel->pruner)
				sel->pruner[nsel] = by[i];
			sel->selected[nsel++] = i;
		}
	}
	return nsel;
}

/* ---------------------------------------------------------------------
 * Adding a back-link to a list the heuristic made (HnswList)
 * ---------------------------------------------------------------------
 */

/* One entry of a list being re-selected by hnsw_list_add */
typedef struct ListEntry
{
	uint64		key;
	float		dist;			/* to the list's owner */
	int16		old_kept;		/* index among the old choices, or -1 */
	int16		pruner;			/* a filler's pruner: old choice index, or
								 * HNSW_NO_PRUNER; then new choice index */
} ListEntry;

/*
 * Index of the first choice in kept[0..nk-1] nearer to x than x's distance
 * to the base, or -1.  Choices flagged in skip[] are known not to prune x.
 */
static int
list_find_pruner(const HnswListGraph *lg, float scale, const ListEntry *x,
				 const ListEntry *kept, int nk, const bool *skip)
{
	const void *xv = lg->vector(lg->ctx, x->key, 0);
	int			j;

	for (j = 0; j < nk; j++)
	{
		if (skip && skip[j])
			continue;
		if (lg->distance(xv, lg->vector(lg->ctx, kept[j].key, 1), lg->dim) * scale <
			x->dist)
			return j;
	}
	return -1;
}

/*
 * Merges the list (choices, then fillers, each nearest first) and the
 * newcomer into one run, nearest first, ties broken under `salt`; returns
 * its length.
 */
static int
list_merge(const HnswList *list, ListEntry c, uint64 salt, ListEntry *out)
{
	int			a = 0;			/* next choice */
	int			b = list->nkept;	/* next filler */
	int			k = 0;
	bool		c_done = false;

	while (a < list->nkept || b < list->count || !c_done)
	{
		int			which;		/* 0 choice, 1 filler, 2 newcomer */

		if (a < list->nkept && (b >= list->count ||
								node_precedes(list->dists[a], list->keys[a],
											  list->dists[b], list->keys[b], salt)))
			which = 0;
		else if (b < list->count)
			which = 1;
		else
			which = 2;
		if (!c_done && (which == 2 ||
						node_precedes(c.dist, c.key,
									  which == 0 ? list->dists[a] : list->dists[b],
									  which == 0 ? list->keys[a] : list->keys[b],
									  salt)))
		{
			out[k++] = c;
			c_done = true;
		}
		else if (which == 0)
		{
			out[k++] = (ListEntry) {list->keys[a], list->dists[a], (int16) a, 0};
			a++;
		}
		else
		{
			out[k++] = (ListEntry) {list->keys[b], list->dists[b], -1, list->pruners[b]};
			b++;
		}
	}
	return k;
}

/*
 * Gives the list a link to `newkey` at distance newdist: the result of
 * re-running the heuristic (hnsw_select_neighbors) over the list plus the
 * newcomer, computed incrementally.  Walking the merged list nearest
 * first, an old choice stays a choice unless a new one (the newcomer, or
 * a promoted filler) prunes it; a filler whose pruner is still a choice
 * stays a filler; only the newcomer and fillers whose pruner was demoted
 * are checked against all choices.  That is a few distances per back-link,
 * where the full heuristic costs up to cap^2/2 -- and back-links are most
 * of a build's distance computations.  The farthest fillers make room.
 */
void
hnsw_list_add(HnswList *list, const HnswListGraph *lg, uint64 newkey,
			  float newdist)
{
	ListEntry	all[2 * HNSW_MAX_M + 1];
	ListEntry	kept[2 * HNSW_MAX_M + 1];
	ListEntry	fill[2 * HNSW_MAX_M + 1];
	bool		old_choice[2 * HNSW_MAX_M + 1];	/* kept[j] was a choice */
	int16		new_index[2 * HNSW_MAX_M + 1];	/* old choice -> kept[], or -1 */
	float		scale = lg->scale ? *lg->scale : 1.0f;
	int			nall;
	int			nk = 0;
	int			nf = 0;
	int			i;

	Assert(list->count <= lg->cap && list->nkept <= list->count);
	for (i = 0; i < lengthof(new_index); i++)
		new_index[i] = -1;
	nall = list_merge(list, (ListEntry) {newkey, newdist, -1, HNSW_NO_PRUNER},
					  tiebreak_salt(), all);
	for (i = 0; i < nall && nk < lg->cap; i++)
	{
		ListEntry	x = all[i];
		int			p;

		if (x.old_kept >= 0)
			p = list_find_pruner(lg, scale, &x, kept, nk, old_choice);
		else if (x.pruner != HNSW_NO_PRUNER && new_index[x.pruner] >= 0)
			p = new_index[x.pruner];
		else
			p = list_find_pruner(lg, scale, &x, kept, nk, NULL);
		if (x.old_kept >= 0)
			new_index[x.old_kept] = p < 0 ? nk : -1;
		if (p < 0)
		{
			old_choice[nk] = x.old_kept >= 0;
			kept[nk++] = x;
		}
		else
		{
			/*
			 * Copy, then set the pruner in the copy: setting it in x first
			 * made the 16-byte copy wait for the 2-byte store (no store
			 * forwarding), 2% of a build's time.
			 */
			fill[nf] = x;
			fill[nf++].pruner = (int16) p;
		}
	}
	/* entries after the choices filled the list: they are dropped */
	nf = Min(nf, lg->cap - nk);

	for (i = 0; i < nk; i++)
	{
		list->keys[i] = kept[i].key;
		list->dists[i] = kept[i].dist;
		list->pruners[i] = 0;
	}
	for (i = 0; i < nf; i++)
	{
		list->keys[nk + i] = fill[i].key;
		list->dists[nk + i] = fill[i].dist;
		list->pruners[nk + i] = (uint8) fill[i].pruner;
	}
	list->count = nk + nf;
	list->nkept = nk;
}
