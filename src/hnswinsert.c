/*
 * hnswinsert.c
 *	  Inserting one vector into the page graph (aminsert, and the build once
 *	  its graph no longer fits in maintenance_work_mem).
 *
 * An insert is a sequence of independent atomic steps, each one WAL record
 * touching one page (see README.hnsw, "Inserts"):
 *	 1. the new element, with its own links, is added to a page;
 *	 2. each chosen neighbour gets a link back to it, one page at a time;
 *	 3. if the new element is higher than the entry point, the metapage
 *		points at it.
 * At most one buffer lock is held at any time, except the first insert into
 * an empty index, which holds the metapage while it adds the element (the
 * only nesting, always metapage first).  So inserts cannot deadlock.
 */
#include "postgres.h"

#include "hnswinsert.h"

#include "miscadmin.h"
#include "storage/freespace.h"
#include "storage/indexfsm.h"
#include "storage/lmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"


void
hnsw_insert_init(HnswInsertState *st, HnswIndexInfo *info, bool building)
{
	st->info = info;
	st->building = building;
	hnsw_disk_graph_init(&st->graph.disk, info, false);
	st->graph.pinned = NULL;
	if (building)
	{
		/* the list table may use the memory the build's graph had */
		st->graph.pinned = hnsw_pinned_create(info, (Size) maintenance_work_mem * 1024);
		st->search = hnsw_search_create(&hnsw_pinned_ops, &st->graph, info->m);
	}
	else
		st->search = hnsw_search_create(&hnsw_disk_ops, &st->graph.disk, info->m);
	st->tmpctx = AllocSetContextCreate(CurrentMemoryContext, "hnsw insert",
									   ALLOCSET_DEFAULT_SIZES);
}

void
hnsw_insert_end(HnswInsertState *st)
{
	hnsw_disk_graph_release(&st->graph.disk);
	if (st->graph.pinned)
		hnsw_pinned_release(st->graph.pinned);
	st->graph.pinned = NULL;
	hnsw_search_free(st->search);
	MemoryContextDelete(st->tmpctx);
}

/* Pages the free space map may offer one insert before it extends */
#define HNSW_FSM_PROBES 8

/* Identical elements re-read under lock for a free heap TID slot */
#define HNSW_DUPLICATE_TRIES 4

/*
 * A deleted element's slot on the page that a new element of `level`, with
 * a vector of vecbytes, can take, if any; *slotlevel gets its level and
 * *largest the largest deleted element's size (for the free space map).
 *
 * The slot's level must be at least the new element's: a stale link to the
 * old element on some layer must still find an element that has that
 * layer (hnsw_index_check holds links to that).  A new element placed in a
 * slot of a higher level takes that level, with empty lists on the layers
 * above its own, which no search uses (none links to it there).  Its tuple
 * at the slot's level must be exactly the slot's size, so that no item on
 * the page ever moves: always so for the fixed-size vector types, where
 * the size follows the level; a sparsevec element's size also depends on
 * its vector, so its level is read, never inferred from the size.  Of the
 * slots that qualify, the lowest level is taken.
 */
static OffsetNumber
find_deleted_slot(Relation index, Page page, BlockNumber blkno, int level,
				  int m, Size vecbytes, int *slotlevel, Size *largest)
{
	OffsetNumber off;
	OffsetNumber found = InvalidOffsetNumber;

	*largest = 0;
	*slotlevel = -1;
	for (off = FirstOffsetNumber; off <= PageGetMaxOffsetNumber(page); off++)
	{
		ItemId		iid = PageGetItemId(page, off);
		Size		len = ItemIdGetLength(iid);
		HnswElementTuple tup;

		if (!ItemIdIsNormal(iid))
			continue;
		tup = hnsw_get_element(index, page, blkno, off);
		if (!tup->deleted)
			continue;
		*largest = Max(*largest, len);
		if (tup->level < level ||
			HnswElementTupleSize(tup->level, m, vecbytes) != len)
			continue;
		if (found == InvalidOffsetNumber || tup->level < *slotlevel)
		{
			found = off;
			*slotlevel = tup->level;
		}
	}
	return found;
}

/*
 * Reads and exclusively locks a page the free space map offered; if it is
 * an element page with a slot for the new element (see find_deleted_slot)
 * or room, returns it with *reuse and *slotlevel set (*reuse invalid for
 * room), else unlocks it and returns InvalidBuffer.  Either way *left is
 * what the map should record for the page.
 */
static Buffer
probe_page(const HnswIndexInfo *info, BlockNumber blkno, int level,
		   Size vecbytes, Size size, OffsetNumber *reuse, int *slotlevel,
		   Size *left)
{
	Relation	index = info->index;
	Buffer		buf = ReadBuffer(index, blkno);
	Page		page;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	page = BufferGetPage(buf);
	*left = 0;
	*reuse = InvalidOffsetNumber;
	if (!PageIsNew(page))
	{
		hnsw_check_page(index, page, blkno, 0);
		if (HnswPageGetOpaque(page)->flags & HNSW_PAGE_ELEMENT)
		{
			Size		largest;

			*reuse = find_deleted_slot(index, page, blkno, level, info->m,
									   vecbytes, slotlevel, &largest);

			/*
			 * What the page offers, recorded as VACUUM does: one step above
			 * its largest slot (see HNSW_FSM_CAT_STEP).
			 */
			*left = PageGetFreeSpace(page);
			if (largest > 0)
				*left = Max(*left, largest + HNSW_FSM_CAT_STEP);
			if (*reuse != InvalidOffsetNumber ||
				PageGetFreeSpace(page) >= MAXALIGN(size))
				return buf;
		}
	}
	UnlockReleaseBuffer(buf);
	return InvalidBuffer;
}

/*
 * A page with a slot VACUUM freed (a deleted element the new element of
 * `level` and `size` bytes can take, which is then overwritten: *reuse, of
 * level *slotlevel) or with room, from the free space map.  A slot of the
 * element's own level or room is taken at once; a slot of a higher level
 * only once the map has nothing better within HNSW_FSM_PROBES pages, so
 * that such slots stay for elements of their own level as long as there
 * are others.  Returns the page exclusively locked, or InvalidBuffer.
 */
static Buffer
hnsw_reuse_buffer(const HnswIndexInfo *info, int level, Size vecbytes,
				  Size size, OffsetNumber *reuse, int *slotlevel)
{
	Relation	index = info->index;
	BlockNumber blkno = GetPageWithFreeSpace(index, size);
	BlockNumber probed[HNSW_FSM_PROBES];
	BlockNumber higher = InvalidBlockNumber;	/* a page with a slot of a
												 * higher level */
	Size		higher_left = 0;
	Buffer		buf = InvalidBuffer;
	int			nprobed = 0;

	while (blkno != InvalidBlockNumber && nprobed < HNSW_FSM_PROBES)
	{
		Size		left;
		int			i;

		for (i = 0; i < nprobed; i++)
			if (probed[i] == blkno)
				break;
		if (i < nprobed)
			break;				/* the map keeps sending us back */
		probed[nprobed++] = blkno;

		buf = probe_page(info, blkno, level, vecbytes, size, reuse, slotlevel,
						 &left);
		if (BufferIsValid(buf))
		{
			if (*reuse == InvalidOffsetNumber || *slotlevel == level)
				break;
			/* a slot of a higher level: look further, with the page hidden */
			UnlockReleaseBuffer(buf);
			buf = InvalidBuffer;
			if (higher == InvalidBlockNumber)
			{
				higher = blkno;
				higher_left = left;
				left = 0;
			}
		}
		blkno = RecordAndGetPageWithFreeSpace(index, blkno, left, size);
	}
	if (higher != InvalidBlockNumber)
	{
		if (!BufferIsValid(buf))
		{
			Size		left;

			buf = probe_page(info, higher, level, vecbytes, size, reuse,
							 slotlevel, &left);
			higher_left = left;
		}
		RecordPageWithFreeSpace(index, higher, higher_left);
	}
	return buf;
}

/*
 * Can an element of `size` go on the locked page?  An all-zero page can,
 * once initialised (*fresh); an element page can if it has room.
 */
static bool
usable_page(Relation index, Buffer buf, BlockNumber blkno, Size size,
			bool *fresh)
{
	Page		page = BufferGetPage(buf);

	*fresh = PageIsNew(page);
	if (*fresh)
		return true;
	hnsw_check_page(index, page, blkno, 0);
	return (HnswPageGetOpaque(page)->flags & HNSW_PAGE_ELEMENT) &&
		PageGetFreeSpace(page) >= MAXALIGN(size);
}

/*
 * A buffer for a new element of `level` and `size` bytes (its vector
 * vecbytes of them): a page with a freed slot or room (free space map),
 * else the last page if it has room, else a new one.  Returns it
 * exclusively locked; *fresh says it must be initialised, *reuse names a
 * deleted element to overwrite, of level *slotlevel (else
 * InvalidOffsetNumber).
 */
static Buffer
hnsw_insert_buffer(const HnswIndexInfo *info, int level, Size vecbytes,
				   Size size, bool *fresh, OffsetNumber *reuse, int *slotlevel)
{
	Relation	index = info->index;
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);
	Buffer		buf;

	*reuse = InvalidOffsetNumber;
	*fresh = false;
	buf = hnsw_reuse_buffer(info, level, vecbytes, size, reuse, slotlevel);
	if (BufferIsValid(buf))
		return buf;

	if (nblocks > 1)
	{
		buf = ReadBuffer(index, nblocks - 1);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);

		/*
		 * An all-zero page is one whose extension survived a crash but whose
		 * initialisation did not -- or one another backend has just added
		 * and not yet locked (see below); either way it is ours to
		 * initialise.
		 */
		if (usable_page(index, buf, nblocks - 1, size, fresh))
			return buf;
		UnlockReleaseBuffer(buf);
	}

	/*
	 * Between extending the relation and locking the new page, another
	 * insert can take the page as an all-zero last page (above),
	 * initialise it and add its element: then the page is no longer ours to
	 * initialise (doing so would erase that element), only to use if it has
	 * room.
	 */
	for (;;)
	{
		buf = hnsw_new_buffer(index);
		if (usable_page(index, buf, BufferGetBlockNumber(buf), size, fresh))
			return buf;
		UnlockReleaseBuffer(buf);
	}
}

/*
 * The element tuple *tup at a higher level: the same lists, and empty ones
 * on the layers above its own.  Returns its size.
 */
static Size
hnsw_raise_tuple(const HnswIndexInfo *info, HnswElementTuple *tup, int level)
{
	HnswElementTuple old = *tup;
	Size		vecbytes = HnswVectorBytes(info->vectype, old->dim);
	Size		size = HnswElementTupleSize(level, info->m, vecbytes);
	HnswElementTuple new = palloc0(size);
	int			l;

	memcpy(new, old, HNSW_ELEMENT_HEADER_SIZE);
	new->level = level;
	for (l = 0; l <= old->level; l++)
	{
		HnswTupleCounts(new)[l] = HnswTupleCounts(old)[l];
		memcpy(HnswTupleLinks(new, info->m, l), HnswTupleLinks(old, info->m, l),
			   sizeof(ItemPointerData) * HnswTupleCounts(old)[l]);
	}
	memcpy(HnswTupleVector(new, info->m), HnswTupleVector(old, info->m), vecbytes);
	*tup = new;
	return size;
}

/*
 * Adds the element tuple *tup (of *size bytes) to a page and returns its
 * TID.  A freed slot of a higher level raises the element to that level:
 * *tup and *size are then the tuple as placed.  With a valid metabuf
 * (locked exclusively by the caller), the same WAL record also makes the
 * element the entry point.
 */
static ItemPointerData
hnsw_place_element(HnswInsertState *st, HnswElementTuple *tup, Size *size,
				   Buffer metabuf)
{
	HnswPageEdit edit;
	bool		fresh;
	OffsetNumber reuse;
	int			slotlevel;
	Buffer		buf = hnsw_insert_buffer(st->info, (*tup)->level,
										 HnswVectorBytes(st->info->vectype, (*tup)->dim),
										 *size, &fresh, &reuse, &slotlevel);
	Page		page;
	OffsetNumber off;
	ItemPointerData tid;

	hnsw_edit_begin(&edit, st->info->index, st->building);
	page = hnsw_edit_page(&edit, buf, fresh);
	if (fresh)
		hnsw_init_page(page, HNSW_PAGE_ELEMENT);
	if (reuse != InvalidOffsetNumber)
	{
		/*
		 * Overwrite the deleted element, of the same size: nothing on the
		 * page moves.  Stale links to it now lead here, which a search
		 * visits like any element; the version tells the incarnations
		 * apart.
		 */
		if (slotlevel > (*tup)->level)
			*size = hnsw_raise_tuple(st->info, tup, slotlevel);
		(*tup)->version = hnsw_get_element(st->info->index, page,
										   BufferGetBlockNumber(buf), reuse)->version + 1;
		if (!PageIndexTupleOverwrite(page, reuse, (Item) *tup, *size))
			elog(ERROR, "failed to reuse a slot of hnsw index \"%s\"",
				 RelationGetRelationName(st->info->index));
		off = reuse;
	}
	else
		off = PageAddItem(page, (Item) *tup, *size, InvalidOffsetNumber, false, false);
	if (off == InvalidOffsetNumber)
		elog(ERROR, "failed to add element to hnsw index \"%s\"",
			 RelationGetRelationName(st->info->index));
	ItemPointerSet(&tid, BufferGetBlockNumber(buf), off);

	if (BufferIsValid(metabuf))
	{
		HnswMetaPage meta = HnswPageGetMeta(hnsw_edit_page(&edit, metabuf, false));

		meta->entry_blkno = BufferGetBlockNumber(buf);
		meta->entry_offno = off;
		meta->entry_level = (*tup)->level;
		HnswMetaSetDimensions(meta, st->info->dim);
	}
	hnsw_edit_finish(&edit);
	UnlockReleaseBuffer(buf);
	return tid;
}

/* Builds an element tuple with the given links (keys per layer). */
static HnswElementTuple
hnsw_form_element(const HnswIndexInfo *info, int level, const void *vec,
				  ItemPointer heaptid, uint64 **links, const int *nlinks,
				  Size *size)
{
	HnswElementTuple tup;
	int			l;
	int			i;

	*size = HnswElementTupleSize(level, info->m, hnsw_vector_size(info, vec));
	tup = palloc0(*size);
	tup->type = HNSW_ELEMENT_TUPLE;
	tup->level = level;
	tup->dim = hnsw_vector_count(info, vec);
	for (i = 0; i < HNSW_HEAPTIDS; i++)
		ItemPointerSetInvalid(&tup->heaptids[i]);
	tup->heaptids[0] = *heaptid;
	for (l = 0; l <= level; l++)
	{
		ItemPointerData *dst = HnswTupleLinks(tup, info->m, l);
		int			n = links ? nlinks[l] : 0;

		HnswTupleCounts(tup)[l] = n;
		for (i = 0; i < n; i++)
			ItemPointerSet(&dst[i], hnsw_key_block(links[l][i]),
						   hnsw_key_offset(links[l][i]));
	}
	memcpy(HnswTupleVector(tup, info->m), vec, hnsw_vector_size(info, vec));
	return tup;
}

/*
 * A duplicate of an existing vector joins that element as one more heap TID,
 * if it has a free slot: a crowd of identical vectors would otherwise form
 * a clique the heuristic cannot link out of.
 */
static bool
hnsw_add_duplicate(HnswInsertState *st, uint64 key, const void *vec,
				   ItemPointer heaptid)
{
	Relation	index = st->info->index;
	Buffer		buf = hnsw_read_buffer(index, hnsw_key_block(key));
	HnswElementTuple tup;
	bool		done = false;
	int			i;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	tup = hnsw_get_element(index, BufferGetPage(buf), hnsw_key_block(key),
						   hnsw_key_offset(key));
	/* an element without rows is VACUUM's: do not bring it back */
	if (!tup->deleted && ItemPointerIsValid(&tup->heaptids[0]) &&
		tup->dim == hnsw_vector_count(st->info, vec) &&
		memcmp(HnswTupleVector(tup, st->info->m), vec,
			   hnsw_vector_size(st->info, vec)) == 0)
	{
		for (i = 0; i < HNSW_HEAPTIDS; i++)
		{
			if (!ItemPointerIsValid(&tup->heaptids[i]))
			{
				HnswPageEdit edit;
				Page		page;

				hnsw_edit_begin(&edit, index, st->building);
				page = hnsw_edit_page(&edit, buf, false);
				tup = hnsw_get_element(index, page, hnsw_key_block(key),
									   hnsw_key_offset(key));
				tup->heaptids[i] = *heaptid;
				hnsw_edit_finish(&edit);
				done = true;
				break;
			}
		}
	}
	UnlockReleaseBuffer(buf);
	return done;
}

/*
 * Moves the candidates that still have rows to the front, keeping their
 * order, and returns how many there are (all of them if none has rows).
 * An element without rows is deleted or about to be: VACUUM unlinks it
 * and may give its slot to an element of the same level, so a new link to
 * it would be a link to nothing useful.  They still guided the search.
 */
static int
live_candidates(HnswNode *nodes, int n)
{
	int			i;
	int			live = 0;

	for (i = 0; i < n; i++)
	{
		if (!hnsw_node_has_rows(&nodes[i]))
			continue;
		if (live != i)
		{
			HnswNode	tmp = nodes[live];

			nodes[live] = nodes[i];
			nodes[i] = tmp;
		}
		live++;
	}
	return live > 0 ? live : n;
}

/* What one layer's search chose for the new element */
typedef struct HnswLayerChoice
{
	int			n;				/* links chosen */
	int			nkept;			/* the first nkept are the heuristic's */
	uint64	   *keys;			/* the chosen elements */
	float	   *dists;			/* their distances to the new element */
	uint8	   *pruners;		/* fillers' pruners (see HnswList) */
} HnswLayerChoice;

/*
 * Picks the new element's links on one layer from the search results:
 * loads the candidates' vectors and runs the heuristic.
 */
static void
hnsw_choose_links(HnswInsertState *st, HnswNode *nodes, int n, int layer,
				  HnswLayerChoice *choice)
{
	HnswIndexInfo *info = st->info;
	const void **vecs = palloc(sizeof(void *) * Max(n, 1));
	float	   *dists = palloc(sizeof(float) * Max(n, 1));
	int		   *sel = palloc(sizeof(int) * Max(n, 1));
	HnswSelect	hs;
	int			i;

	for (i = 0; i < n; i++)
	{
		vecs[i] = hnsw_pinned_vector(st->graph.pinned, info, nodes[i].key, NULL);
		dists[i] = nodes[i].dist;
	}
	/* a build records the heuristic's view of layer-0 lists */
	hnsw_select_init(&hs, info->distance, info->dim, vecs, dists, n,
					 HnswLayerCapacity(info->m, layer), sel,
					 st->graph.pinned ? palloc(Max(n, 1)) : NULL);
	choice->n = hnsw_select_neighbors(&hs);
	choice->nkept = hs.nkept;
	choice->keys = palloc(sizeof(uint64) * Max(choice->n, 1));
	choice->dists = palloc(sizeof(float) * Max(choice->n, 1));
	choice->pruners = hs.pruner;
	for (i = 0; i < choice->n; i++)
	{
		choice->keys[i] = nodes[sel[i]].key;
		choice->dists[i] = nodes[sel[i]].dist;
	}
}

/*
 * Computes the new link list of element `nkey` (whose current, full list is
 * links[0..count-1]) when `newkey` at distance newdist asks to join.
 * Returns false when the heuristic leaves the newcomer out.
 */
StaticAssertDecl(2 * HNSW_MAX_M < PG_INT16_MAX,
				 "a full list's positions must fit HnswNode.level");

static bool
hnsw_prune_links(HnswInsertState *st, const void *nvec, ItemPointerData *links,
				 int count, uint64 newkey, const void *newvec, float newdist,
				 int cap, ItemPointerData *out, int *nout)
{
	HnswIndexInfo *info = st->info;
	HnswNode   *cand = palloc(sizeof(HnswNode) * (count + 1));
	const void **vecs = palloc(sizeof(void *) * (count + 1));
	float	   *dists = palloc(sizeof(float) * (count + 1));
	int		   *sel = palloc(sizeof(int) * (count + 1));
	const void **lvecs = palloc(sizeof(void *) * Max(count, 1));
	HnswSelect	hs;
	bool		kept = false;
	int			i;

	for (i = 0; i < count; i++)
	{
		uint64		key = hnsw_link_key(&links[i]);

		lvecs[i] = hnsw_pinned_vector(st->graph.pinned, info, key, NULL);
		cand[i].key = key;
		cand[i].dist = info->distance(nvec, lvecs[i], info->dim);
		/* remember where its vector is: count <= 2m, so it fits level */
		cand[i].level = i;
	}
	cand[count].key = newkey;
	cand[count].dist = newdist;
	cand[count].level = count;
	hnsw_sort_nodes(cand, count + 1);

	for (i = 0; i <= count; i++)
	{
		vecs[i] = cand[i].level == count ? newvec : lvecs[cand[i].level];
		dists[i] = cand[i].dist;
	}
	hnsw_select_init(&hs, info->distance, info->dim, vecs, dists, count + 1,
					 cap, sel, NULL);
	*nout = hnsw_select_neighbors(&hs);
	for (i = 0; i < *nout; i++)
	{
		uint64		key = cand[sel[i]].key;

		kept |= (key == newkey);
		ItemPointerSet(&out[i], hnsw_key_block(key), hnsw_key_offset(key));
	}
	return kept;
}

/* Vectors for hnsw_list_add in a build: in place, or a copy per role */
typedef struct BuildListCtx
{
	HnswInsertState *st;
	void	   *scratch[2];
} BuildListCtx;

static const void *
build_list_vector(void *ctx, uint64 key, int which)
{
	BuildListCtx *c = ctx;

	return hnsw_pinned_vector(c->st->graph.pinned, c->st->info, key,
							  c->scratch[which]);
}

/*
 * Adds newkey to a build's layer-0 list recorded with its distances and
 * pruners (hnsw_list_add, as the memory graph does).  Returns false if the
 * newcomer does not make the cut (the list is then unchanged); else the
 * new list is in out[0..*nout-1] and in list.
 */
static bool
build_list_add(HnswInsertState *st, HnswList *list, uint64 newkey,
			   float newdist, ItemPointerData *out, int *nout)
{
	HnswIndexInfo *info = st->info;
	BuildListCtx c = {st, {NULL, NULL}};
	HnswListGraph lg = {build_list_vector, &c, info->distance, info->dim,
	HnswLayerCapacity(info->m, 0)};
	bool		kept = false;
	int			i;

	c.scratch[0] = palloc(info->vecbytes);
	c.scratch[1] = palloc(info->vecbytes);
	hnsw_list_add(list, &lg, newkey, newdist);
	for (i = 0; i < list->count; i++)
	{
		kept |= (list->keys[i] == newkey);
		ItemPointerSet(&out[i], hnsw_key_block(list->keys[i]),
					   hnsw_key_offset(list->keys[i]));
	}
	*nout = list->count;
	pfree(c.scratch[0]);
	pfree(c.scratch[1]);
	return kept;
}

/*
 * Gives element `nkey` a link to the new element `newkey` on `layer`.
 *
 * The list is read under a share lock and any pruning is computed without
 * a lock (it reads other elements' vectors, and holding one page while
 * locking others could deadlock); the result is written only if the list
 * is still what it was, else the work is redone.
 */
void
hnsw_add_backlink(HnswInsertState *st, uint64 nkey, int layer, uint64 newkey,
				  const void *newvec, float newdist)
{
	HnswIndexInfo *info = st->info;
	Relation	index = info->index;
	int			cap = HnswLayerCapacity(info->m, layer);
	ItemPointerData seen[2 * HNSW_MAX_M];
	ItemPointerData pruned[2 * HNSW_MAX_M];
	ItemPointerData newtid;
	void	   *nvec = palloc(info->vecbytes);
	int			attempt;

	ItemPointerSet(&newtid, hnsw_key_block(newkey), hnsw_key_offset(newkey));

	for (attempt = 0; attempt < HNSW_LINK_RETRIES; attempt++)
	{
		Buffer		buf = hnsw_pinned_read(st->graph.pinned, index,
										   hnsw_key_block(nkey));
		HnswElementTuple tup;
		int			count;
		int			npruned = 0;
		bool		full;
		bool		listed = true;
		HnswList	list;
		int			i;

		/* read the current list */
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		tup = hnsw_get_linked_element(info, BufferGetPage(buf), hnsw_key_block(nkey),
									  hnsw_key_offset(nkey));
		if (tup->level < layer || tup->deleted)
		{
			UnlockReleaseBuffer(buf);
			return;
		}
		/* checked with the element: at most cap */
		count = HnswTupleCounts(tup)[layer];
		memcpy(seen, HnswTupleLinks(tup, info->m, layer), sizeof(ItemPointerData) * count);
		memcpy(nvec, HnswTupleVector(tup, info->m),
			   HnswVectorBytes(info->vectype, tup->dim));
		LockBuffer(buf, BUFFER_LOCK_UNLOCK);

		for (i = 0; i < count; i++)
			if (ItemPointerEquals(&seen[i], &newtid))
			{
				ReleaseBuffer(buf);
				return;
			}

		full = (count >= cap);
		if (layer == 0 && st->graph.pinned &&
			hnsw_pinned_list_get(st->graph.pinned, nkey, seen, count, &list))
		{
			/* a build's list, updated incrementally; always rewritten */
			if (!build_list_add(st, &list, newkey, newdist, pruned, &npruned))
			{
				ReleaseBuffer(buf);
				return;			/* the newcomer does not make the cut */
			}
			full = true;
		}
		else
		{
			listed = false;
			if (full && !hnsw_prune_links(st, nvec, seen, count, newkey, newvec,
										  newdist, cap, pruned, &npruned))
			{
				ReleaseBuffer(buf);
				return;			/* the newcomer does not make the cut */
			}
		}

		/* write it if nothing changed meanwhile */
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		tup = hnsw_get_linked_element(info, BufferGetPage(buf), hnsw_key_block(nkey),
									  hnsw_key_offset(nkey));
		if (!tup->deleted && HnswTupleCounts(tup)[layer] == count &&
			memcmp(HnswTupleLinks(tup, info->m, layer), seen,
				   sizeof(ItemPointerData) * count) == 0)
		{
			HnswPageEdit edit;
			Page		page;

			hnsw_edit_begin(&edit, index, st->building);
			page = hnsw_edit_page(&edit, buf, false);
			tup = hnsw_get_element(index, page, hnsw_key_block(nkey),
								   hnsw_key_offset(nkey));
			if (full)
			{
				memcpy(HnswTupleLinks(tup, info->m, layer), pruned,
					   sizeof(ItemPointerData) * npruned);
				HnswTupleCounts(tup)[layer] = npruned;
			}
			else
			{
				HnswTupleLinks(tup, info->m, layer)[count] = newtid;
				HnswTupleCounts(tup)[layer] = count + 1;
			}
			hnsw_edit_finish(&edit);
			UnlockReleaseBuffer(buf);
			/* a list changed otherwise no longer matches what was recorded */
			if (layer == 0 && st->graph.pinned)
				hnsw_pinned_list_set(st->graph.pinned, nkey, listed ? &list : NULL);
			return;
		}
		UnlockReleaseBuffer(buf);
		CHECK_FOR_INTERRUPTS();
	}

	/*
	 * A list that kept changing under us: the element keeps its own links,
	 * so it stays reachable through its other neighbours.
	 */
	elog(DEBUG1, "hnsw: gave up linking (%u,%u) from (%u,%u) on layer %d",
		 hnsw_key_block(newkey), hnsw_key_offset(newkey),
		 hnsw_key_block(nkey), hnsw_key_offset(nkey), layer);
}

/* Makes the new element the entry point if it is still the highest. */
static void
hnsw_raise_entry(HnswInsertState *st, ItemPointer tid, int level)
{
	Buffer		metabuf = ReadBuffer(st->info->index, HNSW_METAPAGE_BLKNO);
	HnswMetaPage meta;

	LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	meta = HnswPageGetMeta(BufferGetPage(metabuf));
	if (level > meta->entry_level)
	{
		HnswPageEdit edit;

		hnsw_edit_begin(&edit, st->info->index, st->building);
		meta = HnswPageGetMeta(hnsw_edit_page(&edit, metabuf, false));
		meta->entry_blkno = ItemPointerGetBlockNumber(tid);
		meta->entry_offno = ItemPointerGetOffsetNumber(tid);
		meta->entry_level = level;
		hnsw_edit_finish(&edit);
	}
	UnlockReleaseBuffer(metabuf);
}

/*
 * The first element of an empty index becomes the entry point in the same
 * WAL record.  Returns false if another backend got there first.
 */
static bool
hnsw_insert_first(HnswInsertState *st, const void *vec, ItemPointer heaptid)
{
	Buffer		metabuf = ReadBuffer(st->info->index, HNSW_METAPAGE_BLKNO);
	HnswMetaPage meta;
	bool		empty;

	LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	meta = HnswPageGetMeta(BufferGetPage(metabuf));
	empty = (meta->entry_level < 0);
	if (empty)
	{
		Size		size;
		int			level = hnsw_random_level(st->info,
											  hnsw_vector_size(st->info, vec));
		HnswElementTuple tup = hnsw_form_element(st->info, level, vec, heaptid,
												 NULL, NULL, &size);

		(void) hnsw_place_element(st, &tup, &size, metabuf);
	}
	UnlockReleaseBuffer(metabuf);
	return empty;
}

/* A build records the new element's layer-0 list as the heuristic made it. */
static void
record_new_list(HnswInsertState *st, ItemPointer tid, const HnswLayerChoice *c)
{
	HnswList	list;
	int			i;

	list.count = c->n;
	list.nkept = c->nkept;
	for (i = 0; i < c->n; i++)
	{
		list.keys[i] = c->keys[i];
		list.dists[i] = c->dists[i];
		list.pruners[i] = c->pruners[i];
	}
	hnsw_pinned_list_set(st->graph.pinned, hnsw_link_key(tid), &list);
}

/*
 * Inserts one prepared vector (see hnsw_prepare_vector) of `dim` elements.
 */
void
hnsw_insert_vector(HnswInsertState *st, const void *vec, int dim,
				   ItemPointer heaptid)
{
	HnswIndexInfo *info = st->info;
	HnswSearch *s = st->search;
	HnswMetaPageData meta;
	HnswLayerChoice choice[HNSW_MAX_LEVEL + 1];
	HnswNode   *layer0 = NULL;
	int			n0 = 0;
	int			level;
	int			top;
	int			l;
	int			i;
	Size		size;
	HnswElementTuple tup;
	ItemPointerData tid;
	uint64	   *linkkeys[HNSW_MAX_LEVEL + 1] = {0};
	int			nlinks[HNSW_MAX_LEVEL + 1] = {0};
	int			tries;

	hnsw_read_meta(info->index, &meta);
	hnsw_check_value_dim(info->vectype, HnswMetaDimensions(&meta), dim);
	hnsw_info_set_dim(info, dim);
	hnsw_check_dim(info, dim);
	hnsw_check_vector(info, vec);

	if (meta.entry_level < 0 && hnsw_insert_first(st, vec, heaptid))
		return;
	if (meta.entry_level < 0)
		hnsw_read_meta(info->index, &meta);

	level = hnsw_random_level(info, hnsw_vector_size(info, vec));
	top = Min(level, meta.entry_level);

	/* greedy descent to the new element's top layer, then wide searches */
	hnsw_search_begin(s, vec);
	if (!hnsw_search_seed(s, hnsw_tid_key(meta.entry_blkno, meta.entry_offno)))
		elog(ERROR, "could not visit hnsw entry point");
	for (l = meta.entry_level; l > top; l--)
		hnsw_search_layer(s, 1, l);
	for (l = top; l >= 0; l--)
	{
		HnswNode   *nodes;
		int			n;

		hnsw_search_layer(s, info->ef_construction, l);
		n = hnsw_search_sorted(s, &nodes);
		if (l == 0)
		{
			layer0 = nodes;
			n0 = n;
		}
		n = live_candidates(nodes, n);
		hnsw_choose_links(st, nodes, n, l, &choice[l]);
	}
	hnsw_disk_graph_release(&st->graph.disk);

	/*
	 * An exact duplicate joins an identical element that has a free heap
	 * TID slot (the scan copied how many it had; a few are re-read under
	 * lock, where the count is checked again).
	 */
	for (i = 0, tries = 0; i < n0 && tries < HNSW_DUPLICATE_TRIES && layer0[i].dist == layer0[0].dist; i++)
	{
		if (layer0[i].ntids >= HNSW_HEAPTIDS)
			continue;
		tries++;
		if (hnsw_add_duplicate(st, layer0[i].key, vec, heaptid))
			return;
	}

	for (l = 0; l <= level; l++)
	{
		linkkeys[l] = l <= top ? choice[l].keys : NULL;
		nlinks[l] = l <= top ? choice[l].n : 0;
	}
	tup = hnsw_form_element(info, level, vec, heaptid, linkkeys, nlinks, &size);
	tid = hnsw_place_element(st, &tup, &size, InvalidBuffer);
	if (st->graph.pinned)
		record_new_list(st, &tid, &choice[0]);

	for (l = top; l >= 0; l--)
		for (i = 0; i < choice[l].n; i++)
			hnsw_add_backlink(st, choice[l].keys[i], l,
							  hnsw_tid_key(ItemPointerGetBlockNumber(&tid),
										   ItemPointerGetOffsetNumber(&tid)),
							  vec, choice[l].dists[i]);

	/* at the level it was placed at, which a reused slot may have raised */
	if (level > meta.entry_level)
		hnsw_raise_entry(st, &tid, tup->level);
}

/*
 * aminsert.  The insert state lives for the whole statement in
 * indexInfo->ii_AmCache, so a multi-row INSERT sets it up once.
 */
bool
hnswinsert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid,
		   Relation heap, IndexUniqueCheck checkUnique, bool indexUnchanged,
		   IndexInfo *indexInfo)
{
	HnswInsertState *st = indexInfo->ii_AmCache;
	MemoryContext oldctx;
	void	   *vec;
	int			dim;

	if (isnull[0])
		return false;

	if (st == NULL)
	{
		HnswIndexInfo *info;

		oldctx = MemoryContextSwitchTo(indexInfo->ii_Context);
		info = palloc(sizeof(HnswIndexInfo));
		hnsw_index_info(index, info, NULL);
		st = palloc(sizeof(HnswInsertState));
		hnsw_insert_init(st, info, false);
		indexInfo->ii_AmCache = st;
		MemoryContextSwitchTo(oldctx);
	}

	oldctx = MemoryContextSwitchTo(st->tmpctx);
	vec = hnsw_prepare_vector(st->info, values[0], &dim);
	if (vec != NULL)
		hnsw_insert_vector(st, vec, dim, heap_tid);
	MemoryContextSwitchTo(oldctx);
	MemoryContextReset(st->tmpctx);
	return false;
}
