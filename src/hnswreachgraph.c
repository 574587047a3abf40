/*
 * hnswreachgraph.c
 *	  Linking in the elements a search cannot reach from the entry point
 *	  over layer-0 links, independent of where the graph lives: the build
 *	  runs it over its memory graph before write-out (hnswmemgraph.c),
 *	  VACUUM over the pages after its repair (hnswreach.c).
 *
 * A scan can never return the rows of an element that cannot be reached.
 * Such elements come from pruning (a back-link that re-selects a full list
 * may drop an element from it, and later prunings may drop it from every
 * list) and, in an index, from deleting (when every element that linked to
 * X is deleted, X loses its in-links at once).  A small group of mutual
 * neighbours can be cut off the same way.
 *
 * A walk from the entry point marks what is reached; each element it
 * missed is linked from its nearest reached neighbour that can take it
 * (HnswReachOps.link_in: a free slot, or the place of a filler whose
 * element keeps another in-link from a reached element, so giving it up
 * cuts nothing off) and the walk goes on from it, reaching the rest of its
 * group.  Each sweep walks afresh (a filler given up may, rarely, have been
 * the only way into a group whose other in-links came from inside it) and
 * recounts the in-links from reached elements; an element whose
 * neighbours are all unreached waits for the next sweep.  The third and
 * last sweep uses free slots only, so it cuts nothing off.
 *
 * Without memory for a walk (VACUUM of a large index) the pass links only
 * the elements without any in-link, from neighbours that are wanted.
 */
#include "postgres.h"

#include "hnsw_graph.h"

#include "miscadmin.h"
#include "utils/memutils.h"

/* Sweeps of hnsw_reach_link; the last one uses free slots only */
#define HNSW_REACH_SWEEPS	6

static inline void
reach_mark(HnswReachWalk *w, int64 id)
{
	w->reached[id / BITS_PER_BYTE] |= 1 << (id % BITS_PER_BYTE);
}

static inline void
reach_mark_adopted(HnswReachWalk *w, int64 id)
{
	w->adopted[id / BITS_PER_BYTE] |= 1 << (id % BITS_PER_BYTE);
}

/* Bytes of the bitmap of `nids` ids */
static inline Size
reach_bitmap_bytes(int64 nids)
{
	return nids / BITS_PER_BYTE + 1;
}

/*
 * Sets up a pass over a graph whose elements have ids below nids, at most
 * nelements of them, with at most cap layer-0 links each; entry is the
 * entry point's id (-1: none).  With `walk`, allocates the walk's bitmap
 * and queue (nelements ids below 2^32: a queue entry is 32 bits).
 */
void
hnsw_reach_init(HnswReachWalk *w, const HnswReachOps *ops, void *ctx,
				int64 nids, int64 nelements, int cap, int64 entry, bool walk)
{
	memset(w, 0, sizeof(HnswReachWalk));
	w->ops = ops;
	w->ctx = ctx;
	w->nids = nids;
	w->entry = entry;
	w->linkbuf = palloc(sizeof(int64) * Max(cap, 1));
	if (walk)
	{
		Assert(nids <= (int64) PG_UINT32_MAX + 1);
		w->reached = palloc_extended(reach_bitmap_bytes(nids),
									 MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		w->queue = palloc_extended(sizeof(uint32) * Max(nelements, 1),
								   MCXT_ALLOC_HUGE);
	}
}

/*
 * Makes the pass note which elements it links in (hnsw_reach_adopted), for
 * a link_in that wants to know; needs a walk.
 */
void
hnsw_reach_track_adopted(HnswReachWalk *w)
{
	Assert(w->reached != NULL);
	w->adopted = palloc_extended(reach_bitmap_bytes(w->nids),
								 MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

void
hnsw_reach_free(HnswReachWalk *w)
{
	pfree(w->linkbuf);
	if (w->reached)
		pfree(w->reached);
	if (w->adopted)
		pfree(w->adopted);
	if (w->queue)
		pfree(w->queue);
}

/*
 * Marks element id reached, and all it leads to on layer 0 that was not
 * yet, in breadth-first order at w->queue[tail...]; returns the new tail.
 */
int64
hnsw_reach_walk(HnswReachWalk *w, int64 id, int64 tail)
{
	int64		head = tail;

	if (hnsw_reach_reached(w, id))
		return tail;
	reach_mark(w, id);
	w->queue[tail++] = (uint32) id;
	while (head < tail)
	{
		int			n = w->ops->links(w->ctx, w->queue[head++], w->linkbuf);
		int			i;

		for (i = 0; i < n; i++)
		{
			if (!hnsw_reach_reached(w, w->linkbuf[i]))
			{
				reach_mark(w, w->linkbuf[i]);
				w->queue[tail++] = (uint32) w->linkbuf[i];
			}
		}
	}
	return tail;
}

/*
 * Walks afresh from the entry point and counts each element's layer-0
 * links from reached elements: only those keep a filler reachable once an
 * element takes its place.
 */
static void
reach_walk_and_count(HnswReachWalk *w)
{
	int64		nreached = 0;
	int64		k;

	memset(w->reached, 0, reach_bitmap_bytes(w->nids));
	if (w->entry >= 0)
		nreached = hnsw_reach_walk(w, w->entry, 0);
	w->ops->indegree_clear(w->ctx);
	for (k = 0; k < nreached; k++)
		w->ops->indegree_add(w->ctx, w->linkbuf,
							 w->ops->links(w->ctx, w->queue[k], w->linkbuf));
}

/* Whether element id is one the pass must link in */
static inline bool
reach_orphan(HnswReachWalk *w, int64 id)
{
	if (id == w->entry || (w->ops->wanted && !w->ops->wanted(w->ctx, id)))
		return false;
	return w->reached ? !hnsw_reach_reached(w, id) :
		w->ops->indegree(w->ctx, id) == 0;
}

/*
 * Links in every wanted element a search cannot reach (without a walk:
 * that has no in-link), in HNSW_REACH_SWEEPS sweeps.  Counts in w->cutoff
 * the elements the first sweep found, in w->linked those linked, and, with
 * a walk, in w->left those still unreached at the end.
 */
void
hnsw_reach_link(HnswReachWalk *w)
{
	bool		progress = true;
	int			sweep;
	int64		id;

	for (sweep = 0; sweep < HNSW_REACH_SWEEPS && progress; sweep++)
	{
		if (w->reached)
			reach_walk_and_count(w);
		w->free_only = (sweep == HNSW_REACH_SWEEPS - 1);
		progress = false;
		for (id = w->ops->next(w->ctx, -1); id >= 0; id = w->ops->next(w->ctx, id))
		{
			if (!reach_orphan(w, id))
				continue;
			CHECK_FOR_INTERRUPTS();
			if (w->ops->pause)
				w->ops->pause(w->ctx);
			if (sweep == 0)
				w->cutoff++;
			if (!w->ops->link_in(w->ctx, w, id))
				continue;
			w->linked++;
			progress = true;
			if (w->adopted)
				reach_mark_adopted(w, id);
			if (w->reached)
				(void) hnsw_reach_walk(w, id, 0);
		}
	}
	if (w->reached)
	{
		reach_walk_and_count(w);
		for (id = w->ops->next(w->ctx, -1); id >= 0; id = w->ops->next(w->ctx, id))
			if (reach_orphan(w, id))
				w->left++;
	}
}
