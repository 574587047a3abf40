/*
 * hnswreach.c
 *	  VACUUM's last pass: find the live elements a search cannot reach from
 *	  the entry point over layer-0 links, and link each from one of its
 *	  neighbours that can be reached, so that scans return its rows again.
 *
 * Such elements come from pruning and deleting.  An insert's back-link
 * re-selects a full list with the heuristic and may drop an element from
 * it; VACUUM's repair re-selects lists the same way; and when every element
 * that linked to X is deleted, X loses its in-links at once (X's own links
 * get repaired, but nothing links back to it).  A small group of mutual
 * neighbours can be cut off the same way.  A scan can never return such an
 * element's rows: for a committed row that is a wrong answer, not just
 * lower recall.  The build links its orphans before write-out
 * (hnsw_mem_link_orphans); this pass does it on pages, once per VACUUM,
 * after the repair.  Both run the algorithm of hnswreachgraph.c.
 *
 * It reads every page once (amvacuumcleanup read them all before, to count
 * live rows, which this pass also does), keeping each element's layer-0
 * links as slot numbers (the ids of the walk: HnswReachOps); walks the
 * graph in memory from the entry point; and writes one WAL record per
 * element it links.  Memory: about
 * 4 * 2m + 6 bytes per element slot.  When that exceeds
 * maintenance_work_mem it only links elements without any in-link (one
 * byte per slot), and if even that does not fit it only counts rows.
 */
#include "postgres.h"

#include "compat.h"
#include "hnswvacuum.h"

#include "commands/vacuum.h"
#include "miscadmin.h"
#include "utils/rel.h"

#define NO_SLOT PG_UINT32_MAX

typedef struct HnswReach
{
	IndexVacuumInfo *vinfo;
	HnswIndexInfo info;
	HnswMetaPageData meta;
	BlockNumber nblocks;
	int			perpage;		/* most elements a page can hold */
	int			cap;			/* layer-0 list capacity, 2m */
	int64		nslots;			/* nblocks * perpage */
	uint8	   *indeg;			/* layer-0 in-links of each slot (saturates
								 * at 255), with a walk only those from
								 * reached elements; NULL: count rows only */
	uint8	   *live;			/* bitmap: slot holds a live element */
	uint32	   *adj;			/* cap layer-0 links per slot, NO_SLOT-padded;
								 * NULL: no walk, in-degree only */
	double		ntids;			/* live heap TIDs seen */
} HnswReach;

static inline bool
bit_get(const uint8 *map, int64 s)
{
	return (map[s >> 3] & (1 << (s & 7))) != 0;
}

static inline void
bit_set(uint8 *map, int64 s)
{
	map[s >> 3] |= 1 << (s & 7);
}

static inline uint64
slot_key(const HnswReach *r, int64 s)
{
	return hnsw_tid_key(s / r->perpage, s % r->perpage + 1);
}

/* An element's slot in the arrays, or -1 if its key cannot be one of ours */
static int64
slot_of(const HnswReach *r, uint64 key)
{
	BlockNumber blkno = hnsw_key_block(key);
	OffsetNumber off = hnsw_key_offset(key);

	if (blkno == HNSW_METAPAGE_BLKNO || blkno >= r->nblocks ||
		off < FirstOffsetNumber || off > r->perpage)
		return -1;
	return (int64) blkno * r->perpage + (off - 1);
}

/* Counts one page's live rows and notes the layer-0 links its elements make. */
static void
count_page(HnswReach *r, Page page, BlockNumber blkno)
{
	OffsetNumber off;

	for (off = FirstOffsetNumber; off <= PageGetMaxOffsetNumber(page); off++)
	{
		/* checked to be as long as its level needs: we read its links */
		HnswElementTuple tup = hnsw_get_linked_element(&r->info, page, blkno, off);
		int64		self = slot_of(r, hnsw_tid_key(blkno, off));
		ItemPointerData *links;
		int			ntids;
		int			i;

		if (tup->deleted)
			continue;			/* unlinked; a search that meets one through
								 * a stale link goes on from it, but nothing
								 * should depend on that */
		ntids = hnsw_tuple_ntids(tup);
		r->ntids += ntids;
		if (r->indeg == NULL || self < 0)
			continue;
		if (ntids > 0)
			bit_set(r->live, self);
		links = HnswTupleLinks(tup, r->info.m, 0);
		for (i = 0; i < HnswTupleCounts(tup)[0] && i < r->cap; i++)
		{
			int64		t = slot_of(r, hnsw_link_key(&links[i]));

			if (t < 0)
				continue;
			if (r->indeg[t] < PG_UINT8_MAX)
				r->indeg[t]++;
			if (r->adj)
				r->adj[self * r->cap + i] = (uint32) t;
		}
	}
}

static void
count_pass(HnswReach *r)
{
	BlockNumber blkno;

	for (blkno = HNSW_METAPAGE_BLKNO + 1; blkno < r->nblocks; blkno++)
	{
		Buffer		buf;
		Page		page;

		vec_vacuum_delay_point();
		buf = ReadBufferExtended(r->info.index, MAIN_FORKNUM, blkno,
								 RBM_NORMAL, r->vinfo->strategy);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		if (hnsw_is_element_page(r->info.index, page, blkno))
			count_page(r, page, blkno);
		UnlockReleaseBuffer(buf);
	}
}

/*
 * Where orphan `okey` goes in neighbour n's layer-0 list: a free slot, or
 * else the farthest-back slot in the second half of the list whose element
 * keeps another in-link (with a walk: one from a reached element), so that
 * giving it up cuts nothing off.  A count that reached PG_UINT8_MAX stands
 * for that many in-links or more and is not lowered: one sweep would have
 * to take all but one of them to cut the element off, and each sweep
 * counts afresh.  A list starts with the heuristic's
 * choices, nearest first, and inserts append back-links behind them, so the
 * back is mostly fillers.  -1 if there is no such slot; `already` if n
 * links to okey now.
 */
static int
choose_slot(HnswReach *r, HnswElementTuple n, uint64 okey, bool free_only,
			bool *already)
{
	int			cap = HnswLayerCapacity(r->info.m, 0);
	ItemPointerData *links = HnswTupleLinks(n, r->info.m, 0);
	int			count = Min(HnswTupleCounts(n)[0], cap);
	int			j;

	*already = false;
	for (j = 0; j < count; j++)
		if (hnsw_link_key(&links[j]) == okey)
			*already = true;
	if (*already)
		return -1;
	if (count < cap)
		return count;
	if (free_only)
		return -1;
	for (j = count - 1; j >= cap / 2; j--)
	{
		int64		f = slot_of(r, hnsw_link_key(&links[j]));

		if (f >= 0 && r->indeg[f] > 1)
		{
			if (r->indeg[f] < PG_UINT8_MAX)
				r->indeg[f]--;
			return j;
		}
	}
	return -1;
}

/*
 * Tries to make neighbour nkey link to orphan okey; true once it does.  The
 * list is read and changed under one exclusive lock, so a concurrent
 * insert's back-link (which takes the same lock) is never lost.
 */
static bool
link_from(HnswReach *r, uint64 nkey, uint64 okey, bool free_only)
{
	Relation	index = r->info.index;
	BlockNumber blkno = hnsw_key_block(nkey);
	Buffer		buf = hnsw_read_linked_page(index, blkno, r->vinfo->strategy);
	HnswElementTuple n;
	HnswPageEdit edit;
	bool		already;
	int			slot;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	n = hnsw_get_linked_element(&r->info, BufferGetPage(buf), blkno,
								hnsw_key_offset(nkey));
	if (n->deleted || hnsw_tuple_ntids(n) == 0)
	{
		UnlockReleaseBuffer(buf);
		return false;
	}
	slot = choose_slot(r, n, okey, free_only, &already);
	if (slot < 0)
	{
		UnlockReleaseBuffer(buf);
		return already;
	}
	hnsw_edit_begin(&edit, index, false);
	n = hnsw_get_element(index, hnsw_edit_page(&edit, buf, false), blkno,
						 hnsw_key_offset(nkey));
	ItemPointerSet(&HnswTupleLinks(n, r->info.m, 0)[slot],
				   hnsw_key_block(okey), hnsw_key_offset(okey));
	if (r->adj)
		r->adj[slot_of(r, nkey) * r->cap + slot] = (uint32) slot_of(r, okey);
	if (slot == HnswTupleCounts(n)[0])
		HnswTupleCounts(n)[0]++;
	hnsw_edit_finish(&edit);
	UnlockReleaseBuffer(buf);
	return true;
}

/* ---------------------------------------------------------------------
 * The graph of slots, as hnswreachgraph.c reads it
 * ---------------------------------------------------------------------
 */

static int64
reach_next(void *ctx, int64 s)
{
	HnswReach  *r = ctx;

	return s + 1 < r->nslots ? s + 1 : -1;
}

static bool
reach_wanted(void *ctx, int64 s)
{
	return bit_get(((HnswReach *) ctx)->live, s);
}

/* holes where a link named no slot of ours are left out */
static int
reach_links(void *ctx, int64 s, int64 *out)
{
	HnswReach  *r = ctx;
	uint32	   *links = &r->adj[s * r->cap];
	int			n = 0;
	int			i;

	for (i = 0; i < r->cap; i++)
		if (links[i] != NO_SLOT)
			out[n++] = links[i];
	return n;
}

static void
reach_indegree_clear(void *ctx)
{
	HnswReach  *r = ctx;

	memset(r->indeg, 0, r->nslots);
}

static void
reach_indegree_add(void *ctx, const int64 *slots, int n)
{
	HnswReach  *r = ctx;
	int			i;

	for (i = 0; i < n; i++)
		if (r->indeg[slots[i]] < PG_UINT8_MAX)
			r->indeg[slots[i]]++;
}

static int
reach_indegree(void *ctx, int64 s)
{
	return ((HnswReach *) ctx)->indeg[s];
}

static void
reach_pause(void *ctx)
{
	vec_vacuum_delay_point();
}

/*
 * HnswReachOps.link_in: links element s from the nearest of its own
 * layer-0 neighbours that can take it and that a search reaches (with no
 * walk: that is live).  True if it did.
 */
static bool
reach_link_in(void *ctx, HnswReachWalk *w, int64 s)
{
	HnswReach  *r = ctx;
	uint64		okey = slot_key(r, s);
	HnswElementTuple o = hnsw_copy_element(&r->info, okey, r->vinfo->strategy);
	ItemPointerData *links = HnswTupleLinks(o, r->info.m, 0);
	int			count = 0;
	bool		done = false;
	int			i;

	if (!o->deleted && hnsw_tuple_ntids(o) > 0)
		count = Min(HnswTupleCounts(o)[0], r->cap);

	/* its heuristic's choices come first, nearest first */
	for (i = 0; i < count && !done; i++)
	{
		uint64		nkey = hnsw_link_key(&links[i]);
		int64		n = slot_of(r, nkey);

		if (n < 0 || n == s || !bit_get(r->live, n) ||
			(w->reached && !hnsw_reach_reached(w, n)))
			continue;
		if (link_from(r, nkey, okey, w->free_only))
		{
			if (r->indeg[s] < PG_UINT8_MAX)
				r->indeg[s]++;
			done = true;
		}
	}
	pfree(o);
	return done;
}

static const HnswReachOps reach_ops = {
	.next = reach_next,
	.wanted = reach_wanted,
	.links = reach_links,
	.indegree_clear = reach_indegree_clear,
	.indegree_add = reach_indegree_add,
	.indegree = reach_indegree,
	.link_in = reach_link_in,
	.pause = reach_pause,
};

/*
 * Links in the unreachable elements of vinfo's index; returns its live heap
 * TIDs (for amvacuumcleanup's statistics).
 */
double
hnsw_link_orphans(IndexVacuumInfo *vinfo)
{
	HnswReach	r;
	HnswReachWalk w;
	Size		budget = (Size) maintenance_work_mem * 1024;

	memset(&r, 0, sizeof(r));
	r.vinfo = vinfo;
	hnsw_index_info(vinfo->index, &r.info, &r.meta);
	r.nblocks = RelationGetNumberOfBlocks(vinfo->index);
	r.cap = HnswLayerCapacity(r.info.m, 0);
	if (r.info.dim > 0)
	{
		Size		bitmap;

		r.perpage = HnswElementsPerPage(r.info.m, r.info.vecbytes);
		r.nslots = (int64) r.nblocks * r.perpage;
		bitmap = r.nslots / 8 + 1;
		/* in double: a Size product could wrap on 32-bit machines */
		if ((double) r.nslots * (1 + 4 + 4 * r.cap) + 2.0 * bitmap <= (double) budget &&
			r.nslots < NO_SLOT)
		{
			r.adj = palloc_extended(sizeof(uint32) * r.nslots * r.cap, MCXT_ALLOC_HUGE);
			memset(r.adj, 0xFF, sizeof(uint32) * r.nslots * r.cap);	/* NO_SLOT */
		}
		if ((double) r.nslots + bitmap <= (double) budget)
		{
			r.indeg = palloc_extended(r.nslots + 1, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
			r.live = palloc_extended(bitmap, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		}
	}
	count_pass(&r);
	memset(&w, 0, sizeof(w));
	if (r.indeg != NULL)
	{
		int64		entry = -1;

		if (r.meta.entry_level >= 0)
			entry = slot_of(&r, hnsw_tid_key(r.meta.entry_blkno, r.meta.entry_offno));
		/* the walk's bitmap and queue: within the budget above */
		hnsw_reach_init(&w, &reach_ops, &r, r.nslots, r.nslots, r.cap, entry,
						r.adj != NULL);
		hnsw_reach_link(&w);
		pfree(r.indeg);
		pfree(r.live);
	}
	elog(DEBUG1, "hnsw vacuum of \"%s\": %lld live elements cut off from the entry point (%s), %lld linked, %lld left",
		 RelationGetRelationName(vinfo->index), (long long) w.cutoff,
		 r.adj ? "walked" : r.indeg ? "no walk: in-degree only" : "not looked for",
		 (long long) w.linked, (long long) w.left);
	if (r.indeg != NULL)
		hnsw_reach_free(&w);
	if (r.adj != NULL)
		pfree(r.adj);
	return r.ntids;
}
