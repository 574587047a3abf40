/*
 * hnswvacuum.c
 *	  VACUUM: remove dead rows' heap TIDs, repair the graph around elements
 *	  left without rows, and free those elements' slots for reuse.
 *
 * Three passes over the element pages, each page locked by itself:
 *
 * 1. Clear the heap TIDs the callback reports dead (one WAL record per
 *	  changed page), and collect the elements left with none ("empty").
 * 2. Repair: every live element that links to an empty one gets that link
 *	  replaced from the empty element's own neighbours (its neighbours'
 *	  neighbours) and the live elements a search from it finds (or, with
 *	  fewer rows deleted, a search around the empty element, done once for
 *	  all that linked to it), choosing with the usual heuristic; the
 *	  elements it links to anew link back to it, as after an insert.  Only elements that pointed at an empty one
 *	  are touched, so the work follows what was deleted, not the index size
 *	  (the pass reads every page, but only reads it).  If the entry point is empty, the highest live element
 *	  becomes the entry point first.
 * 3. Mark the empty elements deleted (version bumped) and tell the free
 *	  space map: inserts overwrite a deleted element of the same size
 *	  instead of extending the index.
 *
 * amvacuumcleanup then links in live elements left without in-links
 * (hnswreach.c).
 *
 * A crash between passes leaves empty elements still linked, which the next
 * VACUUM collects again; a link missed because an insert changed the list
 * meanwhile (the repair gives up after a few tries) points at a deleted or
 * reused element, which a search visits harmlessly.  Why scans stay correct
 * while slots are reused is in README.hnsw.
 */
#include "postgres.h"

#include <math.h>

#include "compat.h"
#include "hnswinsert.h"
#include "hnswvacuum.h"


#include "commands/vacuum.h"
#include "miscadmin.h"
#include "storage/freespace.h"
#include "storage/indexfsm.h"
#include "utils/memutils.h"
#include "utils/rel.h"

/* Initial room of the empty elements' array; it doubles as needed */
#define VACUUM_INITIAL_EMPTY	1024

/* What a VACUUM of one index knows across its passes */
typedef struct HnswVacuumState
{
	IndexVacuumInfo *vinfo;
	HnswIndexInfo info;
	HnswMetaPageData meta;
	uint64	   *empty;			/* empty elements' keys, ascending */
	int			nempty;
	int			capempty;		/* allocated */
	int			maxempty;		/* bounded by maintenance_work_mem: the rest
								 * wait for the next VACUUM */
	uint64	   *emptyset;		/* the same keys, hashed (is_empty) */
	uint32		emptymask;		/* the set's size - 1 (a power of two) */
	uint64		best_live;		/* a live element of the highest level */
	int			best_level;
	int64		needed;			/* live elements linking to empty ones */
	int64		repaired;		/* ... whose links were repaired */
	MemoryContext tmpctx;

	HnswVectorCache vcache;		/* vectors read by the repair pass: nearby
								 * elements are repaired from largely the
								 * same candidates */
	int64		nlive;			/* elements left with rows */
	bool		per_empty;		/* layer 0: search around each empty
								 * element once, not around each repaired
								 * one (see repair_layer) */
	struct HnswAround *around;	/* per_empty: what those searches found */
	uint32		aroundmask;		/* around's size - 1 (a power of two) */
	uint64	   *aroundkeys;		/* ... the keys they found, back to back */
	Size		naroundkeys;
	Size		maxaroundkeys;	/* bounded by maintenance_work_mem */
	HnswInsertState ins;		/* the repair's searches around an element
								 * (returning live elements only) and its
								 * back-links */
} HnswVacuumState;

/*
 * Whether an element is empty: a lookup in an open-addressing set of the
 * empty elements' keys (no key is 0), built once pass 1 is done.  The
 * repair asks this for every link it reads, so a binary search of
 * vs->empty would be its largest cost.
 */
static bool
is_empty(HnswVacuumState *vs, uint64 key)
{
	uint32		h = hnsw_key_hash(key);

	for (;; h++)
	{
		uint64		k = vs->emptyset[h & vs->emptymask];

		if (k == key)
			return true;
		if (k == 0)
			return false;
	}
}

static void
build_empty_set(HnswVacuumState *vs)
{
	uint32		size = 1;
	int			i;

	while (size < 2 * (uint32) vs->nempty)
		size <<= 1;
	vs->emptyset = palloc_extended(sizeof(uint64) * (Size) size,
								   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	vs->emptymask = size - 1;
	for (i = 0; i < vs->nempty; i++)
	{
		uint32		h = hnsw_key_hash(vs->empty[i]);

		while (vs->emptyset[h & vs->emptymask] != 0)
			h++;
		vs->emptyset[h & vs->emptymask] = vs->empty[i];
	}
}

/* ---------------------------------------------------------------------
 * Pass 1: dead heap TIDs
 * ---------------------------------------------------------------------
 */

static void
add_empty(HnswVacuumState *vs, uint64 key)
{
	if (vs->nempty == vs->capempty)
	{
		if (vs->capempty >= vs->maxempty)
			return;
		vs->capempty = Min(vs->capempty * 2, vs->maxempty);
		vs->empty = repalloc_huge(vs->empty, sizeof(uint64) * vs->capempty);
	}
	vs->empty[vs->nempty++] = key;
}

/* Clears dead heap TIDs on one page; returns the TIDs removed. */
static int
vacuum_page(HnswVacuumState *vs, Page page, BlockNumber blkno,
			IndexBulkDeleteCallback callback, void *cbstate, double *live)
{
	Relation	index = vs->vinfo->index;
	OffsetNumber off;
	OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
	int			removed = 0;

	for (off = FirstOffsetNumber; off <= maxoff; off++)
	{
		HnswElementTuple tup = hnsw_get_element(index, page, blkno, off);
		ItemPointerData keep[HNSW_HEAPTIDS];
		int			nkeep = 0;
		int			i;

		if (tup->deleted)
			continue;
		for (i = 0; i < HNSW_HEAPTIDS; i++)
		{
			if (!ItemPointerIsValid(&tup->heaptids[i]))
				continue;
			if (callback(&tup->heaptids[i], cbstate))
				removed++;
			else
				keep[nkeep++] = tup->heaptids[i];
		}
		/* keep the live TIDs packed at the front */
		for (i = 0; i < HNSW_HEAPTIDS; i++)
		{
			if (i < nkeep)
				tup->heaptids[i] = keep[i];
			else
				ItemPointerSetInvalid(&tup->heaptids[i]);
		}
		*live += nkeep;
		vs->nlive += (nkeep > 0);
		if (nkeep == 0)
			add_empty(vs, hnsw_tid_key(blkno, off));
	}
	return removed;
}

static void
pass_remove(HnswVacuumState *vs, IndexBulkDeleteResult *stats,
			IndexBulkDeleteCallback callback, void *cbstate)
{
	Relation	index = vs->vinfo->index;
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);
	BlockNumber blkno;
	double		live = 0;

	for (blkno = HNSW_METAPAGE_BLKNO + 1; blkno < nblocks; blkno++)
	{
		Buffer		buf;
		HnswPageEdit edit;
		Page		page;
		int			removed;

		vec_vacuum_delay_point();
		buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL,
								 vs->vinfo->strategy);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		if (!hnsw_is_element_page(index, BufferGetPage(buf), blkno))
		{
			UnlockReleaseBuffer(buf);
			continue;
		}
		hnsw_edit_begin(&edit, index, false);
		page = hnsw_edit_page(&edit, buf, false);
		removed = vacuum_page(vs, page, blkno, callback, cbstate, &live);
		if (removed > 0)
			hnsw_edit_finish(&edit);
		else
			hnsw_edit_abort(&edit);
		stats->tuples_removed += removed;
		UnlockReleaseBuffer(buf);
	}
	stats->num_pages = nblocks;
	stats->num_index_tuples = live;
	stats->estimated_count = false;
}

/* ---------------------------------------------------------------------
 * Pass 2: repair links to empty elements
 * ---------------------------------------------------------------------
 */

/*
 * Adds the live neighbours of empty element k on a layer to cand (and,
 * once, the live neighbours of its empty neighbours: when many rows were
 * deleted together, the neighbours of an empty element are often empty
 * too).  Returns the new count.
 *
 * Only the first half of k's list is taken: a list starts with the
 * heuristic's choices, nearest first, which point in k's diverse
 * directions; the fillers after them are near k and each other, and
 * measuring them all made a repair cost twice as much (Fashion-MNIST, 10%
 * deleted) for no better recall.
 */
static int
add_neighbours(HnswVacuumState *vs, uint64 xkey, uint64 k, int layer,
			   HnswNode *cand, int n, int maxcand, bool recurse)
{
	int			m = vs->info.m;
	int			cap = HnswLayerCapacity(m, layer);
	HnswElementTuple e = hnsw_copy_element(&vs->info, k, vs->vinfo->strategy);
	int			j;

	if (e->level >= layer && !e->deleted)
	{
		ItemPointerData *el = HnswTupleLinks(e, m, layer);

		for (j = 0; j < HnswTupleCounts(e)[layer] && j < cap / 2 && n < maxcand; j++)
		{
			uint64		ek = hnsw_link_key(&el[j]);

			if (ek == xkey || ek == k)
				continue;
			if (!is_empty(vs, ek))
				cand[n++].key = ek;
			else if (recurse)
				n = add_neighbours(vs, xkey, ek, layer, cand, n, maxcand, false);
		}
	}
	pfree(e);
	return n;
}

/*
 * How many live elements the repair's search around an element finds on a
 * layer: ef_construction, as an insert's search, but at least twice the
 * list's capacity, so that an index built with a small ef_construction
 * still offers the heuristic a choice.
 */
static int
repair_ef(HnswVacuumState *vs, int layer)
{
	return Max(vs->info.ef_construction, 2 * HnswLayerCapacity(vs->info.m, layer));
}

/*
 * How many a search around an empty element finds (per_empty): twice as
 * many, since they serve every element that linked to it, each from its
 * own side.  Measured on 16,000 Gaussian vectors of 32 dimensions with
 * 10% deleted, twice as many gave recall 0.860 against 0.852 for 1.4 times
 * the repair's time.
 */
#define HNSW_AROUND_EF_FACTOR	2

static int
around_ef(HnswVacuumState *vs)
{
	return HNSW_AROUND_EF_FACTOR * repair_ef(vs, 0);
}

/* An empty element's nearest live elements on layer 0 (see around_empty) */
typedef struct HnswAround
{
	uint64		key;			/* the empty element; 0 = free entry */
	Size		start;			/* its first in aroundkeys */
	int			count;
} HnswAround;

/*
 * Whether to search around each empty element once (around_empty) rather
 * than around each element that links to one: when the first are fewer,
 * counting their searches' HNSW_AROUND_EF_FACTOR times the work.  An
 * element links to one of the empty elements (a share f of all) with
 * probability 1 - (1 - f)^(2m), about 0.92 at 10% deleted for m = 12 and
 * 0.21 at 1%; so the choice falls on the empty elements up to about a
 * third of the rows deleted.
 */
static bool
search_per_empty(HnswVacuumState *vs)
{
	double		f = (double) vs->nempty / Max(vs->nempty + vs->nlive, 1);
	double		linking = vs->nlive *
		(1.0 - pow(1.0 - f, HnswLayerCapacity(vs->info.m, 0)));

	return (double) HNSW_AROUND_EF_FACTOR * vs->nempty < linking;
}

/*
 * The live elements a search on `layer` around vector vec, from element
 * `from`, finds (at most ef, nearest first, `from` left out): the search
 * passes through empty elements, which are still linked, without returning
 * them (HnswSearch.live_results).  Returns their number.
 */
static int
search_live(HnswVacuumState *vs, const void *vec, uint64 from, int layer,
			int ef, uint64 *out)
{
	HnswSearch *s = vs->ins.search;
	int			n = 0;

	hnsw_search_begin(s, vec);
	if (hnsw_search_seed(s, from))
	{
		HnswNode   *nodes;
		int			ns;
		int			i;

		hnsw_search_layer(s, ef, layer);
		ns = hnsw_search_sorted(s, &nodes);
		for (i = 0; i < ns; i++)
			if (nodes[i].key != from && hnsw_node_has_rows(&nodes[i]))
				out[n++] = nodes[i].key;
	}
	hnsw_disk_graph_release(&vs->ins.graph.disk);
	return n;
}

/*
 * Sets up the searches around empty elements: a table of at most twice
 * their number, and keys in a quarter of maintenance_work_mem.
 */
static void
around_init(HnswVacuumState *vs)
{
	uint32		size = 1;

	while (size < 2 * (uint32) vs->nempty)
		size <<= 1;
	vs->around = palloc_extended(sizeof(HnswAround) * (Size) size,
								 MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	vs->aroundmask = size - 1;
	vs->maxaroundkeys = (Size) maintenance_work_mem * 1024 / 4 / sizeof(uint64);
	vs->aroundkeys = palloc_extended(sizeof(uint64) * vs->maxaroundkeys,
									 MCXT_ALLOC_HUGE);
}

/*
 * The live elements nearest empty element d on layer 0 (around_ef of
 * them), found by a search from d that passes through empty elements;
 * stored in *out (palloc'd or in vs->aroundkeys) and counted.  Every
 * element that linked to d is repaired from them, so each empty element is
 * searched around once, as long as maintenance_work_mem holds the results.
 */
static int
around_empty(HnswVacuumState *vs, uint64 d, const uint64 **out)
{
	uint32		h = hnsw_key_hash(d);
	HnswAround *a;
	HnswElementTuple e;
	uint64	   *keys;
	int			n;

	for (;; h++)
	{
		a = &vs->around[h & vs->aroundmask];
		if (a->key == d)
		{
			*out = vs->aroundkeys + a->start;
			return a->count;
		}
		if (a->key == 0)
			break;
	}

	e = hnsw_copy_element(&vs->info, d, vs->vinfo->strategy);
	keys = palloc(sizeof(uint64) * around_ef(vs));
	n = search_live(vs, HnswTupleVector(e, vs->info.m), d, 0, around_ef(vs), keys);
	pfree(e);

	if (vs->naroundkeys + n > vs->maxaroundkeys)
	{
		*out = keys;			/* no room to keep them: used once */
		return n;
	}
	a->key = d;
	a->start = vs->naroundkeys;
	a->count = n;
	memcpy(vs->aroundkeys + vs->naroundkeys, keys, sizeof(uint64) * n);
	vs->naroundkeys += n;
	pfree(keys);
	*out = vs->aroundkeys + a->start;
	return n;
}

/*
 * Adds key to the set (of `size` slots, a power of two) with its position
 * pos; false if it was there already.
 */
static bool
set_add(uint64 *set, int *setpos, int size, uint64 key, int pos)
{
	uint32		h = hnsw_key_hash(key);

	while (set[h & (size - 1)] != 0)
	{
		if (set[h & (size - 1)] == key)
			return false;
		h++;
	}
	set[h & (size - 1)] = key;
	setpos[h & (size - 1)] = pos;
	return true;
}

/*
 * The repaired list of x's links on one layer, chosen by the heuristic
 * from: the live links kept; for each empty one, the live elements a
 * search around it found (per_empty, layer 0) or else its live neighbours
 * (and their empty ones' live neighbours); and, unless per_empty on layer
 * 0, the live elements a search around x finds.  Returns the number of
 * links written to out, their distances to x in outdist.
 */
static int
repair_layer(HnswVacuumState *vs, uint64 xkey, HnswElementTuple x, int layer,
			 ItemPointerData *out, float *outdist)
{
	int			m = vs->info.m;
	int			cap = HnswLayerCapacity(m, layer);
	ItemPointerData *links = HnswTupleLinks(x, m, layer);
	int			count = HnswTupleCounts(x)[layer];	/* checked: <= cap */
	int			maxcand = vs->per_empty && layer == 0 ?
		count * (around_ef(vs) + 1) :
		cap * (cap + 1) * 2 + repair_ef(vs, layer);
	HnswNode   *cand = palloc(sizeof(HnswNode) * maxcand);
	const void **cvecs = palloc(sizeof(void *) * maxcand);
	const void **vecs = palloc(sizeof(void *) * maxcand);
	float	   *dists = palloc(sizeof(float) * maxcand);
	int		   *sel = palloc(sizeof(int) * maxcand);
	int			n = 0;
	int			i;
	int			j;
	int			size;
	uint64	   *set;
	int		   *setpos;
	HnswSelect	hs;

	/* candidate keys: live links, and what stands in for the empty ones */
	for (i = 0; i < count; i++)
	{
		uint64		k = hnsw_link_key(&links[i]);

		if (!is_empty(vs, k))
		{
			if (n < maxcand)
				cand[n++].key = k;
		}
		else if (vs->per_empty && layer == 0)
		{
			const uint64 *near;
			int			nn = around_empty(vs, k, &near);

			for (j = 0; j < nn && n < maxcand; j++)
				if (near[j] != xkey)
					cand[n++].key = near[j];
		}
		else
			n = add_neighbours(vs, xkey, k, layer, cand, n, maxcand, true);
	}

	/*
	 * Drop duplicates, with an open-addressing set of keys (no key is 0)
	 * that remembers where each kept key stands in cand[] (and its vector in
	 * cvecs[]), to find the vectors again once cand[] is sorted.  The set has
	 * a power-of-two size of at least 2 * maxcand slots.
	 */
	size = 1;
	while (size < 2 * maxcand)
		size <<= 1;
	set = palloc0(sizeof(uint64) * size);
	setpos = palloc(sizeof(int) * size);
	for (i = 0, j = 0; i < n; i++)
		if (set_add(set, setpos, size, cand[i].key, j))
			cand[j++] = cand[i];
	n = j;

	/*
	 * The nearest live elements a search from x finds on this layer, all
	 * empty ones still in place to pass through: they make up for a
	 * neighbourhood that lost most of its elements, where the neighbours'
	 * neighbours are few or far.
	 */
	if (!(vs->per_empty && layer == 0))
	{
		uint64	   *near = palloc(sizeof(uint64) * repair_ef(vs, layer));
		int			nn = search_live(vs, HnswTupleVector(x, m), xkey, layer,
									 repair_ef(vs, layer), near);

		for (i = 0; i < nn && n < maxcand; i++)
			if (set_add(set, setpos, size, near[i], n))
				cand[n++].key = near[i];
	}

	hnsw_vcache_begin(&vs->vcache);
	for (i = 0; i < n; i++)
	{
		cvecs[i] = hnsw_vcache_get(&vs->vcache, &vs->info, cand[i].key,
								   vs->vinfo->strategy);
		cand[i].dist = vs->info.distance(HnswTupleVector(x, m), cvecs[i],
										 vs->info.dim);
	}
	hnsw_sort_nodes(cand, n);
	for (i = 0; i < n; i++)
	{
		uint32		h = hnsw_key_hash(cand[i].key);

		while (set[h & (size - 1)] != cand[i].key)
			h++;
		vecs[i] = cvecs[setpos[h & (size - 1)]];
		dists[i] = cand[i].dist;
	}
	hnsw_select_init(&hs, vs->info.distance, vs->info.dim, vecs, dists, n, cap,
					 sel, NULL);
	n = hnsw_select_neighbors(&hs);
	for (i = 0; i < n; i++)
	{
		ItemPointerSet(&out[i], hnsw_key_block(cand[sel[i]].key),
					   hnsw_key_offset(cand[sel[i]].key));
		outdist[i] = cand[sel[i]].dist;
	}
	return n;
}

/*
 * Gives element x an in-link from each element its repaired list on a
 * layer links to anew (the insert's back-link, pruning a full list).  The
 * elements that lost in-links are the deleted ones' neighbours, near x: a
 * repair that only rewrote x's own list would leave them ever harder to
 * reach.
 */
static void
link_back(HnswVacuumState *vs, uint64 xkey, HnswElementTuple x, int layer,
		  ItemPointerData *newlinks, float *newdists, int newcount)
{
	ItemPointerData *old = HnswTupleLinks(x, vs->info.m, layer);
	int			nold = HnswTupleCounts(x)[layer];
	int			i;
	int			j;

	for (i = 0; i < newcount; i++)
	{
		for (j = 0; j < nold; j++)
			if (ItemPointerEquals(&old[j], &newlinks[i]))
				break;
		if (j == nold)
			hnsw_add_backlink(&vs->ins, hnsw_link_key(&newlinks[i]), layer,
							  xkey, HnswTupleVector(x, vs->info.m), newdists[i]);
	}
}

/*
 * Repairs element xkey's layers that link to empty elements.  The new
 * lists are computed without a lock (they read other elements) and
 * written only if the element did not change meanwhile.
 */
static void
repair_element(HnswVacuumState *vs, uint64 xkey)
{
	Relation	index = vs->vinfo->index;
	int			m = vs->info.m;
	int			attempt;

	for (attempt = 0; attempt < HNSW_LINK_RETRIES; attempt++)
	{
		HnswElementTuple x = hnsw_copy_element(&vs->info, xkey, vs->vinfo->strategy);
		ItemPointerData newlinks[HNSW_MAX_LEVEL + 1][2 * HNSW_MAX_M];
		float		newdists[HNSW_MAX_LEVEL + 1][2 * HNSW_MAX_M];
		int			newcount[HNSW_MAX_LEVEL + 1];
		bool		changed[HNSW_MAX_LEVEL + 1];
		Size		size = HnswElementTupleSize(x->level, m,
											 HnswVectorBytes(vs->info.vectype, x->dim));
		Buffer		buf;
		HnswElementTuple cur;
		int			l;
		int			i;

		if (x->deleted || hnsw_tuple_ntids(x) == 0)
			return;				/* emptied meanwhile: nothing to keep linked */
		for (l = 0; l <= x->level; l++)
		{
			ItemPointerData *links = HnswTupleLinks(x, m, l);

			changed[l] = false;
			for (i = 0; i < HnswTupleCounts(x)[l] && !changed[l]; i++)
				changed[l] = is_empty(vs, hnsw_link_key(&links[i]));
			if (changed[l])
				newcount[l] = repair_layer(vs, xkey, x, l, newlinks[l], newdists[l]);
		}

		buf = ReadBufferExtended(index, MAIN_FORKNUM, hnsw_key_block(xkey),
								 RBM_NORMAL, vs->vinfo->strategy);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		cur = hnsw_get_linked_element(&vs->info, BufferGetPage(buf),
									  hnsw_key_block(xkey), hnsw_key_offset(xkey));
		if (memcmp(cur, x, size) == 0)
		{
			HnswPageEdit edit;

			hnsw_edit_begin(&edit, index, false);
			cur = hnsw_get_element(index, hnsw_edit_page(&edit, buf, false),
								   hnsw_key_block(xkey), hnsw_key_offset(xkey));
			for (l = 0; l <= x->level; l++)
			{
				if (!changed[l])
					continue;
				memcpy(HnswTupleLinks(cur, m, l), newlinks[l],
					   sizeof(ItemPointerData) * newcount[l]);
				HnswTupleCounts(cur)[l] = newcount[l];
			}
			hnsw_edit_finish(&edit);
			UnlockReleaseBuffer(buf);
			vs->repaired++;
			for (l = 0; l <= x->level; l++)
				if (changed[l])
					link_back(vs, xkey, x, l, newlinks[l], newdists[l], newcount[l]);
			return;
		}
		UnlockReleaseBuffer(buf);
		CHECK_FOR_INTERRUPTS();
	}
}

/* Live elements of one page that link to an empty element. */
static int
page_needs_repair(HnswVacuumState *vs, Page page, BlockNumber blkno, uint64 *out)
{
	OffsetNumber off;
	int			n = 0;

	for (off = FirstOffsetNumber; off <= PageGetMaxOffsetNumber(page); off++)
	{
		HnswElementTuple tup = hnsw_get_linked_element(&vs->info, page, blkno, off);
		uint64		key = hnsw_tid_key(blkno, off);
		bool		needs = false;
		int			l;
		int			i;

		if (tup->deleted || hnsw_tuple_ntids(tup) == 0)
			continue;
		if (tup->level > vs->best_level)
		{
			vs->best_level = tup->level;
			vs->best_live = key;
		}
		for (l = 0; l <= tup->level && !needs; l++)
		{
			ItemPointerData *links = HnswTupleLinks(tup, vs->info.m, l);

			for (i = 0; i < HnswTupleCounts(tup)[l] && !needs; i++)
				needs = is_empty(vs, hnsw_link_key(&links[i]));
		}
		if (needs)
			out[n++] = key;
	}
	return n;
}

static void
pass_repair(HnswVacuumState *vs)
{
	Relation	index = vs->vinfo->index;
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);
	BlockNumber blkno;
	uint64		keys[MaxOffsetNumber];

	for (blkno = HNSW_METAPAGE_BLKNO + 1; blkno < nblocks; blkno++)
	{
		Buffer		buf;
		int			n = 0;
		int			i;

		vec_vacuum_delay_point();
		buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL,
								 vs->vinfo->strategy);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		if (hnsw_is_element_page(index, BufferGetPage(buf), blkno))
			n = page_needs_repair(vs, BufferGetPage(buf), blkno, keys);
		UnlockReleaseBuffer(buf);
		vs->needed += n;

		for (i = 0; i < n; i++)
		{
			MemoryContext old = MemoryContextSwitchTo(vs->tmpctx);

			CHECK_FOR_INTERRUPTS();
			repair_element(vs, keys[i]);
			MemoryContextSwitchTo(old);
			MemoryContextReset(vs->tmpctx);
		}
	}
}

/* Moves the entry point off an empty element, to the highest live one. */
static void
move_entry_point(HnswVacuumState *vs)
{
	Relation	index = vs->vinfo->index;
	Buffer		buf;
	HnswPageEdit edit;
	HnswMetaPage meta;

	buf = ReadBuffer(index, HNSW_METAPAGE_BLKNO);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	meta = HnswPageGetMeta(BufferGetPage(buf));
	if (meta->entry_level < 0 ||
		!is_empty(vs, hnsw_tid_key(meta->entry_blkno, meta->entry_offno)))
	{
		UnlockReleaseBuffer(buf);
		return;					/* an insert already moved it */
	}
	hnsw_edit_begin(&edit, index, false);
	meta = HnswPageGetMeta(hnsw_edit_page(&edit, buf, false));
	if (vs->best_level >= 0)
	{
		meta->entry_blkno = hnsw_key_block(vs->best_live);
		meta->entry_offno = hnsw_key_offset(vs->best_live);
		meta->entry_level = vs->best_level;
	}
	else
	{
		/* no live element left: the next insert starts a new graph */
		meta->entry_blkno = InvalidBlockNumber;
		meta->entry_offno = InvalidOffsetNumber;
		meta->entry_level = -1;
	}
	hnsw_edit_finish(&edit);
	UnlockReleaseBuffer(buf);
}

/* ---------------------------------------------------------------------
 * Pass 3: mark deleted, record the space
 * ---------------------------------------------------------------------
 */

static void
pass_delete(HnswVacuumState *vs, IndexBulkDeleteResult *stats)
{
	Relation	index = vs->vinfo->index;
	int			i = 0;

	while (i < vs->nempty)
	{
		BlockNumber blkno = hnsw_key_block(vs->empty[i]);
		Buffer		buf;
		HnswPageEdit edit;
		Page		page;
		Size		largest = 0;
		bool		any = false;

		vec_vacuum_delay_point();
		buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL,
								 vs->vinfo->strategy);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		hnsw_edit_begin(&edit, index, false);
		page = hnsw_edit_page(&edit, buf, false);
		for (; i < vs->nempty && hnsw_key_block(vs->empty[i]) == blkno; i++)
		{
			OffsetNumber off = hnsw_key_offset(vs->empty[i]);
			HnswElementTuple tup = hnsw_get_element(index, page, blkno, off);

			/* a duplicate insert may have given it a row meanwhile */
			if (tup->deleted || hnsw_tuple_ntids(tup) > 0)
				continue;
			tup->deleted = 1;
			tup->version++;
			any = true;
			largest = Max(largest, ItemIdGetLength(PageGetItemId(page, off)));
		}
		if (any)
		{
			/* one step of the map above the slot (see HNSW_FSM_CAT_STEP) */
			Size		avail = Max(PageGetFreeSpace(page),
									largest + HNSW_FSM_CAT_STEP);

			hnsw_edit_finish(&edit);
			UnlockReleaseBuffer(buf);
			RecordPageWithFreeSpace(index, blkno, avail);
		}
		else
		{
			hnsw_edit_abort(&edit);
			UnlockReleaseBuffer(buf);
		}
	}
	IndexFreeSpaceMapVacuum(index);
}

IndexBulkDeleteResult *
hnswbulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
			   IndexBulkDeleteCallback callback, void *callback_state)
{
	HnswVacuumState vs;

	if (stats == NULL)
		stats = palloc0(sizeof(IndexBulkDeleteResult));

	memset(&vs, 0, sizeof(vs));
	vs.vinfo = info;
	hnsw_index_info(info->index, &vs.info, &vs.meta);
	/*
	 * Half of maintenance_work_mem for the empty elements' keys, in an array
	 * and a set of at most four times their number; the other half caches
	 * vectors.
	 */
	vs.maxempty = (int) Min((Size) maintenance_work_mem * 1024 / 2 / (5 * sizeof(uint64)),
							(Size) INT_MAX / 4);
	vs.capempty = Min(vs.maxempty, VACUUM_INITIAL_EMPTY);
	vs.empty = palloc(sizeof(uint64) * vs.capempty);
	vs.best_level = -1;
	vs.tmpctx = AllocSetContextCreate(CurrentMemoryContext, "hnsw vacuum",
									  ALLOCSET_DEFAULT_SIZES);

	pass_remove(&vs, stats, callback, callback_state);
	if (vs.nempty > 0 && vs.info.dim > 0)
	{
		vs.per_empty = search_per_empty(&vs);

		/*
		 * Half of maintenance_work_mem holds vs.empty; the vector cache
		 * takes the other half, or a quarter with the searches' results.
		 */
		hnsw_vcache_init(&vs.vcache, &vs.info,
						 (Size) maintenance_work_mem * 1024 / (vs.per_empty ? 4 : 2),
						 (Size) RelationGetNumberOfBlocks(info->index) *
						 Max(1, BLCKSZ / vs.info.vecbytes) + 1);
		build_empty_set(&vs);
		hnsw_insert_init(&vs.ins, &vs.info, false);
		vs.ins.search->live_results = true;
		if (vs.per_empty)
			around_init(&vs);
		pass_repair(&vs);
		hnsw_insert_end(&vs.ins);
		move_entry_point(&vs);
		pass_delete(&vs, stats);
	}
	elog(DEBUG1, "hnsw vacuum of \"%s\": %d elements emptied, %lld of %lld linking to them repaired%s; vector cache %u slots, %lld hits, %lld misses",
		 RelationGetRelationName(info->index), vs.nempty, (long long) vs.repaired,
		 (long long) vs.needed,
		 vs.per_empty ? " from searches around the emptied ones" : "",
		 vs.vcache.nslots, (long long) vs.vcache.hits,
		 (long long) vs.vcache.misses);
	MemoryContextDelete(vs.tmpctx);
	if (vs.vcache.keys)
		hnsw_vcache_free(&vs.vcache);
	if (vs.around)
	{
		pfree(vs.around);
		pfree(vs.aroundkeys);
	}
	if (vs.emptyset)
		pfree(vs.emptyset);
	pfree(vs.empty);
	return stats;
}

IndexBulkDeleteResult *
hnswvacuumcleanup(IndexVacuumInfo *info, IndexBulkDeleteResult *stats)
{
	double		live;

	if (info->analyze_only)
		return stats;

	/*
	 * Once per VACUUM, whether or not rows were deleted: orphans also come
	 * from inserts' back-link pruning, and from inserts that raced with an
	 * earlier VACUUM's repair.
	 */
	live = hnsw_link_orphans(info);
	if (stats == NULL)
		stats = palloc0(sizeof(IndexBulkDeleteResult));
	stats->num_index_tuples = live;
	stats->estimated_count = false;
	stats->num_pages = RelationGetNumberOfBlocks(info->index);
	return stats;
}

/* ---------------------------------------------------------------------
 * The vector cache (see HnswVectorCache), for the repair's reads
 * ---------------------------------------------------------------------
 */

/* Sets up a cache of at most `budget` bytes and `maxslots` vectors. */
void
hnsw_vcache_init(HnswVectorCache *vc, const HnswIndexInfo *info, Size budget,
				 Size maxslots)
{
	Size		slot = sizeof(uint64) + sizeof(uint32) + info->vecbytes;
	Size		n = Min(Min(budget / slot, maxslots), (Size) PG_INT32_MAX / 2);

	vc->nslots = (uint32) Max(n, 1);
	vc->keys = palloc_extended(sizeof(uint64) * vc->nslots,
							   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	vc->stamps = palloc_extended(sizeof(uint32) * vc->nslots,
								 MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	vc->vecs = palloc_extended(info->vecbytes * vc->nslots,
							   MCXT_ALLOC_HUGE);
	vc->epoch = 1;
	vc->hits = vc->misses = 0;
}

void
hnsw_vcache_free(HnswVectorCache *vc)
{
	pfree(vc->keys);
	pfree(vc->stamps);
	pfree(vc->vecs);
}

/*
 * The vector of element key: from the cache, or read into it -- or, if its
 * slot holds another vector looked up since hnsw_vcache_begin(), into a
 * palloc'd copy in the current memory context.
 */
const void *
hnsw_vcache_get(HnswVectorCache *vc, const HnswIndexInfo *info, uint64 key,
				BufferAccessStrategy strategy)
{
	uint32		slot = hnsw_key_hash(key) % vc->nslots;
	char	   *dst = vc->vecs + (Size) slot * info->vecbytes;

	if (vc->keys[slot] == key)
	{
		vc->stamps[slot] = vc->epoch;
		vc->hits++;
		return dst;
	}
	vc->misses++;
	if (vc->stamps[slot] == vc->epoch)
		dst = palloc(info->vecbytes);
	hnsw_read_vector(info, key, strategy, dst);
	if (vc->stamps[slot] != vc->epoch)
	{
		vc->keys[slot] = key;
		vc->stamps[slot] = vc->epoch;
	}
	return dst;
}
