/*
 * hnswcheck.c
 *	  hnsw_index_check() verifies an hnsw index, amcheck style; the first
 *	  pass is shared with hnsw_index_stats() (hnswstats.c).
 *
 * Both take only what a reader takes: AccessShareLock on the index and its
 * table, and a share lock on one buffer at a time, just long enough to copy
 * the page.  Every check then runs on the private copy, so a corrupted page
 * is reported with an ERROR (ERRCODE_INDEX_CORRUPTED) and never read past
 * its end, and no lock is held while we report.
 *
 * The check makes two passes over the index in block order.  The first
 * checks each page and element on its own and numbers the elements; the
 * second checks every link against that numbering (target exists, lives on
 * the link's layer).  Inserts may run concurrently, so a link to an element
 * the first pass did not see is looked up afresh before it is called bad.
 * With heapallindexed, a breadth-first walk from the entry point marks the
 * reachable elements, and a scan of the table under an MVCC snapshot taken
 * before the passes looks up every row the index should hold.
 */
#include "postgres.h"

#include "compat.h"
#include "hnswcheck.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_class.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

PG_FUNCTION_INFO_V1(hnsw_index_check);

/* Initial room of the element and heap TID arrays; they double as needed */
#define CHECK_INITIAL_ENTRIES	1024

static void corrupt(HnswCheck *st, BlockNumber blkno, OffsetNumber off,
					const char *fmt,...) pg_attribute_printf(4, 5) pg_attribute_noreturn();

/*
 * Reports corruption at an element (off valid), a block (off invalid) or
 * the metapage, as every reader does (hnsw_report_fault), and does not
 * return.
 */
static void
corrupt(HnswCheck *st, BlockNumber blkno, OffsetNumber off, const char *fmt,...)
{
	char		what[HNSW_FAULT_LEN];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	hnsw_report_fault(st->index, blkno, off, what);
}

/* Copies block blkno into dst under a share lock held only for the copy. */
static void
copy_page(HnswCheck *st, BlockNumber blkno, char *dst)
{
	Buffer		buf;

	CHECK_FOR_INTERRUPTS();
	buf = ReadBufferExtended(st->index, MAIN_FORKNUM, blkno, RBM_NORMAL,
							 st->strategy);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	memcpy(dst, BufferGetPage(buf), BLCKSZ);
	UnlockReleaseBuffer(buf);
}

/*
 * Reads and checks the metapage (hnsw_meta_fault, and its distance kind
 * against the operator class), and keeps its contents in st->meta.
 */
static void
check_meta(HnswCheck *st)
{
	Page		page = st->metacopy;
	HnswMetaPage meta = HnswPageGetMeta(page);
	char		fault[HNSW_FAULT_LEN];
	HnswDistanceKind kind;
	HnswVectorType vectype;

	copy_page(st, HNSW_METAPAGE_BLKNO, page);
	if (hnsw_meta_fault(page, fault))
		hnsw_report_fault(st->index, HNSW_METAPAGE_BLKNO, InvalidOffsetNumber,
						  fault);
	hnsw_index_opclass(st->index, &kind, &vectype);
	if (meta->kind != kind)
		corrupt(st, HNSW_METAPAGE_BLKNO, 0,
				"distance kind is %u, but the operator class says %d",
				meta->kind, (int) kind);
	if (HnswMetaVectorType(meta) != vectype)
		corrupt(st, HNSW_METAPAGE_BLKNO, 0,
				"vector type is %u, but the operator class says %d",
				meta->vectype, (int) vectype);
	st->meta = *meta;
	st->vectype = vectype;
}

/*
 * The first insert into an empty index sets the entry point and dimension
 * count in the same record that adds the element; a pass that finds an
 * element the metapage it read did not know of reads the metapage again.
 */
static void
reread_meta(HnswCheck *st)
{
	check_meta(st);
}

/* Checks an element page's header; false for an all-zero (new) page. */
static bool
check_page_header(HnswCheck *st, Page page, BlockNumber blkno)
{
	/*
	 * A crash after extending, before the first record, leaves an all-zero
	 * page (the buffer manager has checked that a new page is all zeros).
	 */
	if (PageIsNew(page))
		return false;
	hnsw_check_page(st->index, page, blkno, HNSW_PAGE_ELEMENT);
	return true;
}

/* Checks the heap TIDs of an element (a tuple checked already). */
static void
check_element_body(HnswCheck *st, HnswElementTuple tup, BlockNumber blkno,
				   OffsetNumber off)
{
	int			ntids = 0;
	int			i;

	for (i = 0; i < HNSW_HEAPTIDS; i++)
	{
		ItemPointer tid = &tup->heaptids[i];

		if (!ItemPointerIsValid(tid))
			continue;
		if (ntids != i)
			corrupt(st, blkno, off, "heap TID %d follows an unused slot", i);
		if (ItemPointerGetOffsetNumber(tid) > MaxHeapTuplesPerPage)
			corrupt(st, blkno, off, "heap TID (%u,%u) has an impossible offset",
					ItemPointerGetBlockNumber(tid), ItemPointerGetOffsetNumber(tid));
		ntids++;
	}
	if (tup->deleted && ntids > 0)
		corrupt(st, blkno, off, "it is marked deleted but holds %d heap TIDs",
				ntids);
}

/*
 * Returns the element at (blkno, off) of a checked page copy, checked as
 * every reader checks it (hnsw_element_fault), and its heap TIDs.
 */
static HnswElementTuple
check_element(HnswCheck *st, Page page, BlockNumber blkno, OffsetNumber off)
{
	char		fault[HNSW_FAULT_LEN];
	HnswElementTuple tup;

	/*
	 * The metapage we copied may predate the first insert, which sets the
	 * dimension count (the only change it ever sees): read it again.
	 */
	if (HnswMetaDimensions(&st->meta) == 0)
		reread_meta(st);
	if (hnsw_element_fault(page, off, st->meta.m, st->vectype,
						   HnswMetaDimensions(&st->meta), fault))
		hnsw_report_fault(st->index, blkno, off, fault);
	tup = (HnswElementTuple) PageGetItem(page, PageGetItemId(page, off));
	/* with no dimension count the fault check took the element's own */
	if (HnswMetaDimensions(&st->meta) == 0)
		corrupt(st, blkno, off, "it has %u dimensions, the index 0", tup->dim);
	check_element_body(st, tup, blkno, off);
	return tup;
}

/* Numbers an element found by the first pass and adds it to the statistics. */
static void
record_element(HnswCheck *st, HnswElementTuple tup, BlockNumber blkno,
			   OffsetNumber off)
{
	uint16	   *counts = HnswTupleCounts(tup);
	int			l;
	int			i;

	if (st->nelem == st->maxelem)
	{
		st->maxelem *= 2;
		st->keys = repalloc_huge(st->keys, sizeof(uint64) * st->maxelem);
		st->levels = repalloc_huge(st->levels, st->maxelem);
	}
	st->keys[st->nelem] = hnsw_tid_key(blkno, off);
	st->levels[st->nelem] = tup->level | (tup->deleted ? ELEM_DELETED : 0);

	st->levelhist[tup->level]++;
	st->ndeleted += tup->deleted;
	for (l = 0; !tup->deleted && l <= tup->level; l++)
	{
		st->layerelems[l]++;
		st->degsum[l] += counts[l];
		if (st->layerelems[l] == 1 || counts[l] < st->degmin[l])
			st->degmin[l] = counts[l];
	}
	st->nwithtids += ItemPointerIsValid(&tup->heaptids[0]);
	for (i = 0; i < HNSW_HEAPTIDS && ItemPointerIsValid(&tup->heaptids[i]); i++)
	{
		st->nlivetids++;
		if (!st->want_tids)
			continue;
		if (st->ntids == st->maxtids)
		{
			st->maxtids *= 2;
			st->tids = repalloc_huge(st->tids, sizeof(HnswCheckTid) * st->maxtids);
		}
		st->tids[st->ntids].tid = tup->heaptids[i];
		st->tids[st->ntids].elem = (uint32) st->nelem;
		st->ntids++;
	}
	st->nelem++;
}

/* First pass: every page and element on its own. */
void
hnsw_check_pages(HnswCheck *st)
{
	BlockNumber blkno;

	for (blkno = HNSW_METAPAGE_BLKNO + 1; blkno < st->nblocks; blkno++)
	{
		Page		page = st->page;
		OffsetNumber off;
		OffsetNumber maxoff;

		st->blkfirst[blkno] = (uint32) st->nelem;
		st->blkcount[blkno] = 0;
		copy_page(st, blkno, page);
		if (!check_page_header(st, page, blkno))
		{
			st->nnewpages++;
			continue;
		}
		st->nelempages++;
		st->freespace += PageGetExactFreeSpace(page);
		maxoff = PageGetMaxOffsetNumber(page);
		for (off = FirstOffsetNumber; off <= maxoff; off++)
			record_element(st, check_element(st, page, blkno, off), blkno, off);
		st->blkcount[blkno] = maxoff;
	}
}

/* The first pass's number of the element at (blkno, off), or -1. */
static int64
known_element(HnswCheck *st, BlockNumber blkno, OffsetNumber off)
{
	if (blkno <= HNSW_METAPAGE_BLKNO || blkno >= st->nblocks ||
		off < FirstOffsetNumber || off > st->blkcount[blkno])
		return -1;
	return (int64) st->blkfirst[blkno] + off - 1;
}

/*
 * Returns the level of the element that (from_blk, from_off) refers to as
 * `what` (a link or the entry point), with ELEM_DELETED added if it is
 * deleted; reports the reference as corrupted if no element is there.  An
 * element the first pass did not see may have been added since, so it is
 * read afresh.
 */
static int
target_level(HnswCheck *st, BlockNumber from_blk, OffsetNumber from_off,
			 const char *what, BlockNumber blkno, OffsetNumber off)
{
	int64		elem = known_element(st, blkno, off);
	BlockNumber nblocks;
	HnswElementTuple tup;

	if (elem >= 0)
		return st->levels[elem];
	if (blkno == HNSW_METAPAGE_BLKNO)
		corrupt(st, from_blk, from_off, "%s (%u,%u) is on the metapage",
				what, blkno, off);
	if (off < FirstOffsetNumber || off > MaxOffsetNumber)
		corrupt(st, from_blk, from_off, "%s (%u,%u) has an invalid offset",
				what, blkno, off);
	nblocks = RelationGetNumberOfBlocks(st->index);
	if (blkno >= nblocks)
		corrupt(st, from_blk, from_off,
				"%s (%u,%u) is past the end of the index (%u blocks)",
				what, blkno, off, nblocks);
	copy_page(st, blkno, st->other);
	if (!check_page_header(st, st->other, blkno) ||
		off > PageGetMaxOffsetNumber(st->other))
		corrupt(st, from_blk, from_off, "%s (%u,%u) is not an element",
				what, blkno, off);
	tup = check_element(st, st->other, blkno, off);
	return tup->level | (tup->deleted ? ELEM_DELETED : 0);
}

/*
 * The entry point is a live (not deleted) element on the level the
 * metapage says, and there is one if any element holds a row.  What we
 * read of the metapage may be older than the pages (a first insert, or
 * VACUUM moving the entry point off an element it then deletes), so a
 * mismatch is looked at again with a fresh copy before it is reported.
 */
static void
check_entry(HnswCheck *st, bool fresh)
{
	HnswMetaPageData *meta = &st->meta;
	int			level = 0;
	bool		bad;

	if (meta->entry_level >= 0)
		level = target_level(st, HNSW_METAPAGE_BLKNO, 0, "entry point",
							 meta->entry_blkno, meta->entry_offno);
	bad = meta->entry_level >= 0 ? level != meta->entry_level :
		st->nwithtids > 0;
	if (!bad)
		return;
	if (!fresh)
	{
		reread_meta(st);
		check_entry(st, true);
		return;
	}
	if (meta->entry_level < 0)
		corrupt(st, HNSW_METAPAGE_BLKNO, 0,
				"there is no entry point but %lld elements hold rows",
				(long long) st->nwithtids);
	if (level & ELEM_DELETED)
		corrupt(st, HNSW_METAPAGE_BLKNO, 0, "entry point (%u,%u) is deleted",
				meta->entry_blkno, meta->entry_offno);
	corrupt(st, HNSW_METAPAGE_BLKNO, 0,
			"entry point (%u,%u) has level %d, the metapage says %d",
			meta->entry_blkno, meta->entry_offno, level, meta->entry_level);
}

/* Checks every link of one element. */
static void
check_element_links(HnswCheck *st, HnswElementTuple tup, BlockNumber blkno,
					OffsetNumber off)
{
	int			l;
	int			i;

	for (l = 0; l <= tup->level; l++)
	{
		ItemPointerData *links = HnswTupleLinks(tup, st->meta.m, l);

		for (i = 0; i < HnswTupleCounts(tup)[l]; i++)
		{
			BlockNumber tblk = ItemPointerGetBlockNumberNoCheck(&links[i]);
			OffsetNumber toff = ItemPointerGetOffsetNumberNoCheck(&links[i]);
			char		what[32];
			int			level;

			if (tblk == blkno && toff == off)
				corrupt(st, blkno, off, "it links to itself on layer %d", l);
			snprintf(what, sizeof(what), "link %d on layer %d", i, l);
			/* a deleted target is harmless: searches pass through it */
			level = target_level(st, blkno, off, what, tblk, toff) & ~ELEM_DELETED;
			if (level < l)
				corrupt(st, blkno, off,
						"%s goes to (%u,%u), whose top layer is %d",
						what, tblk, toff, level);
		}
	}
}

/* Second pass: every link of every element the first pass saw. */
static void
check_links(HnswCheck *st)
{
	BlockNumber blkno;

	for (blkno = HNSW_METAPAGE_BLKNO + 1; blkno < st->nblocks; blkno++)
	{
		OffsetNumber off;

		if (st->blkcount[blkno] == 0)
			continue;
		copy_page(st, blkno, st->page);
		(void) check_page_header(st, st->page, blkno);
		for (off = FirstOffsetNumber; off <= st->blkcount[blkno]; off++)
			check_element_links(st, check_element(st, st->page, blkno, off),
								blkno, off);
	}
}

/*
 * Marks every element reachable from the entry point over layer-0 links (a
 * breadth-first walk reading each element's page afresh): what a scan's
 * layer-0 search, which starts from the entry point as well as from where
 * the descent through the upper layers ended (hnsw_search_add_entry), can
 * find, and what VACUUM's last pass links in (hnswreach.c).  An element
 * reached only through an upper layer's links is not reachable: a search
 * passes it on its way down but never returns it unless the descent
 * happens to stop there.
 */
static void
walk_graph(HnswCheck *st)
{
	uint32	   *queue = palloc_extended(sizeof(uint32) * Max(st->nelem, 1),
										MCXT_ALLOC_HUGE);
	int64		head = 0;
	int64		tail = 0;
	int64		start;
	BlockNumber copied = InvalidBlockNumber;

	st->reached = palloc_extended(Max(st->nelem, 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	st->walked = true;
	if (st->meta.entry_level < 0)
		return;
	start = known_element(st, st->meta.entry_blkno, st->meta.entry_offno);
	if (start < 0)
	{
		/* raised concurrently to an element the passes did not see */
		st->walked = false;
		return;
	}
	st->reached[start] = true;
	queue[tail++] = (uint32) start;
	while (head < tail)
	{
		BlockNumber blkno = hnsw_key_block(st->keys[queue[head]]);
		OffsetNumber off = hnsw_key_offset(st->keys[queue[head++]]);
		HnswElementTuple tup;
		ItemPointerData *links;
		int			i;

		if (blkno != copied)
		{
			copy_page(st, blkno, st->page);
			(void) check_page_header(st, st->page, blkno);
			copied = blkno;
		}
		tup = check_element(st, st->page, blkno, off);
		links = HnswTupleLinks(tup, st->meta.m, 0);
		for (i = 0; i < HnswTupleCounts(tup)[0]; i++)
		{
			int64		elem = known_element(st,
											 ItemPointerGetBlockNumberNoCheck(&links[i]),
											 ItemPointerGetOffsetNumberNoCheck(&links[i]));

			if (elem >= 0 && !st->reached[elem])
			{
				st->reached[elem] = true;
				queue[tail++] = (uint32) elem;
			}
		}
	}
	pfree(queue);
}

static int
tid_cmp(const void *a, const void *b)
{
	const ItemPointerData *x = &((const HnswCheckTid *) a)->tid;
	const ItemPointerData *y = &((const HnswCheckTid *) b)->tid;
	BlockNumber xb = ItemPointerGetBlockNumberNoCheck(x);
	BlockNumber yb = ItemPointerGetBlockNumberNoCheck(y);

	if (xb != yb)
		return xb < yb ? -1 : 1;
	return (int) ItemPointerGetOffsetNumberNoCheck(x) -
		(int) ItemPointerGetOffsetNumberNoCheck(y);
}

/* Called for each table row the index should hold (table_index_build_scan) */
static void
heap_row(Relation index, ItemPointer tid, Datum *values, bool *isnull,
		 bool alive, void *arg)
{
	HnswCheck  *st = arg;
	HnswCheckTid key;
	HnswCheckTid *hit;

	if (isnull[0])
		return;
	if (st->meta.kind == HNSW_DIST_COSINE)
	{
		/* the vector as an insert makes it, dimensions unchecked */
		HnswIndexInfo vinfo = {.kind = HNSW_DIST_COSINE, .vectype = st->vectype};
		int			dim;
		void	   *vec = hnsw_prepare_vector(&vinfo, values[0], &dim);

		if (vec == NULL)
			return;				/* no direction: cosine indexes skip these */
		pfree(vec);
	}
	key.tid = *tid;
	hit = bsearch(&key, st->tids, st->ntids, sizeof(HnswCheckTid), tid_cmp);
	if (hit == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" has no element for heap tuple (%u,%u) of table \"%s\"",
						RelationGetRelationName(st->index),
						ItemPointerGetBlockNumber(tid),
						ItemPointerGetOffsetNumber(tid),
						RelationGetRelationName(st->heap))));
	st->nrows++;
	if (st->walked && !st->reached[hit->elem])
		st->nunreachable++;
}

/*
 * Looks up every row visible to `snapshot` that the index should hold: the
 * same build callback computes expressions and applies a partial index's
 * predicate.  The snapshot was taken before the passes, so every row it
 * sees had finished its insert into the index before they began.
 */
static void
check_heap(HnswCheck *st, Snapshot snapshot)
{
	IndexInfo  *ii = BuildIndexInfo(st->index);
	TableScanDesc scan;

	qsort(st->tids, st->ntids, sizeof(HnswCheckTid), tid_cmp);
	scan = table_beginscan_strat(st->heap, snapshot, 0, NULL, true, true);
	/* an MVCC snapshot: only visible rows, as in a concurrent build */
	ii->ii_Concurrent = true;
	table_index_build_scan(st->heap, st->index, ii, true, false, heap_row, st,
						   scan);
}

/* Opens and locks the index and its table, as a reader would. */
void
hnsw_check_open(HnswCheck *st, Oid indexoid)
{
	Oid			heapoid = IndexGetRelation(indexoid, true);
	AclResult	acl;

	memset(st, 0, sizeof(HnswCheck));
	if (OidIsValid(heapoid))
	{
		acl = pg_class_aclcheck(heapoid, GetUserId(), ACL_SELECT);
		if (acl != ACLCHECK_OK)
			aclcheck_error(acl, OBJECT_TABLE, get_rel_name(heapoid));
		/* the table first, in the order every other reader locks */
		st->heap = table_open(heapoid, AccessShareLock);
	}
	st->index = try_relation_open(indexoid, AccessShareLock);
	if (st->index == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("relation with OID %u does not exist", indexoid)));
	if (st->index->rd_rel->relkind != RELKIND_INDEX ||
		st->index->rd_indam->amgettuple != hnswgettuple)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not an hnsw index",
						RelationGetRelationName(st->index)),
				 st->index->rd_rel->relkind == RELKIND_PARTITIONED_INDEX ?
				 errhint("Check the index of each partition.") : 0));
	if (st->heap == NULL || IndexGetRelation(indexoid, false) != heapoid)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("could not open the table of index \"%s\"",
						RelationGetRelationName(st->index))));
	if (RELATION_IS_OTHER_TEMP(st->index))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot access temporary indexes of other sessions")));
	if (!st->index->rd_index->indisvalid)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot check index \"%s\"",
						RelationGetRelationName(st->index)),
				 errdetail("Index is not valid.")));
}

/* Reads the metapage and prepares the first pass. */
void
hnsw_check_begin(HnswCheck *st, bool want_tids)
{
	st->strategy = GetAccessStrategy(BAS_BULKREAD);
	st->page = palloc(BLCKSZ);
	st->other = palloc(BLCKSZ);
	st->metacopy = palloc(BLCKSZ);
	check_meta(st);
	/* after the metapage, so the entry point's block is counted */
	st->nblocks = RelationGetNumberOfBlocks(st->index);
	st->blkfirst = palloc_extended(sizeof(uint32) * st->nblocks, MCXT_ALLOC_HUGE);
	st->blkcount = palloc_extended(sizeof(uint16) * st->nblocks, MCXT_ALLOC_HUGE);
	st->blkcount[HNSW_METAPAGE_BLKNO] = 0;
	st->maxelem = CHECK_INITIAL_ENTRIES;
	st->keys = palloc(sizeof(uint64) * st->maxelem);
	st->levels = palloc(st->maxelem);
	st->want_tids = want_tids;
	if (want_tids)
	{
		st->maxtids = CHECK_INITIAL_ENTRIES;
		st->tids = palloc(sizeof(HnswCheckTid) * st->maxtids);
	}
}

void
hnsw_check_close(HnswCheck *st)
{
	FreeAccessStrategy(st->strategy);
	relation_close(st->index, AccessShareLock);
	table_close(st->heap, AccessShareLock);
}

/*
 * hnsw_index_check(index regclass, heapallindexed boolean) RETURNS void
 */
Datum
hnsw_index_check(PG_FUNCTION_ARGS)
{
	HnswCheck	st;
	bool		heapallindexed = PG_GETARG_BOOL(1);
	Snapshot	snapshot = NULL;

	hnsw_check_open(&st, PG_GETARG_OID(0));
	if (heapallindexed)
	{
		snapshot = RegisterSnapshot(GetTransactionSnapshot());

		/* as amcheck: a transaction snapshot may predate the index */
		if (IsolationUsesXactSnapshot() && st.index->rd_index->indcheckxmin &&
			!TransactionIdPrecedes(HeapTupleHeaderGetXmin(st.index->rd_indextuple->t_data),
								   snapshot->xmin))
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("index \"%s\" cannot be verified using transaction snapshot",
							RelationGetRelationName(st.index))));
	}
	hnsw_check_begin(&st, heapallindexed);
	hnsw_check_pages(&st);
	check_entry(&st, false);
	check_links(&st);
	if (heapallindexed)
	{
		walk_graph(&st);
		check_heap(&st, snapshot);
		UnregisterSnapshot(snapshot);

		/*
		 * A row the index holds but a search cannot reach is not an error:
		 * neighbour selection prunes links by a heuristic, and inserts into
		 * a built index now and then (rarely at L2 on ordinary data; often
		 * under inner product, where the longest vectors draw the links)
		 * cut an element off.  Such an index answers correctly for every
		 * other row; the count says how many rows scans miss until the
		 * next VACUUM links them in again (hnswreach.c).
		 */
		if (st.nunreachable > 0)
			ereport(NOTICE,
					(errmsg("%lld of %lld indexed rows are not reachable from the entry point",
							(long long) st.nunreachable, (long long) st.nrows),
					 errdetail("Neighbour pruning can leave a few elements without links to them; "
							   "index scans cannot return those rows."),
					 errhint("VACUUM of the table links them in again.")));
	}
	hnsw_check_close(&st);
	PG_RETURN_VOID();
}
