/*
 * hnswreuse.c
 *	  Gives the SQL distance functions the distance an hnsw scan already
 *	  computed for the row it returned last.
 *
 * Assumptions.  This file, and no other, relies on these PostgreSQL
 * internals beyond the index AM and fmgr interfaces; each is checked by
 * sql/hnsw_reused_distances.sql (to the bit, and by the TOAST relation's
 * block counters with hnsw.reuse_scan_distances on and off) and
 * test/t/021_hnsw_reused_distances_concurrent.pl:
 *
 * - executor call order: for an index scan, the executor evaluates the
 *	 target list (here: the distance function) for the row amgettuple just
 *	 returned, before it calls amgettuple again, with no other hnsw scan's
 *	 amgettuple in between; when the heap fetch finds nothing visible, it
 *	 calls amgettuple again with no distance call in between;
 * - the planner keeps the ORDER BY expression in the index scan's target
 *	 list and passes the column's Datum to it as stored: a TOAST pointer
 *	 (VARATT_IS_EXTERNAL_ONDISK, varatt_external compared byte for byte),
 *	 not detoasted first;
 * - heapam's IndexFetchHeapData (access/heapam.h) and its xs_cbuf: the
 *	 buffer holding the heap tuple the last fetch returned, still pinned
 *	 when the distance function runs; scan->xs_heaptid moved along the HOT
 *	 chain to that tuple; scan->xs_heapfetch is that struct when the table
 *	 AM is heapam (GetHeapamTableAmRoutine);
 * - a visible heap tuple does not move on its page while the page is
 *	 pinned (pruning takes a cleanup lock), so reading it with only the pin
 *	 is safe, as the executor itself does;
 * - a TOAST value is never changed in place and its (toast relation, value
 *	 id) names one live value at a time; HOT chain members share the TOAST
 *	 pointer of an indexed column;
 * - the scan's memory context is reset on amrescan and deleted on
 *	 amendscan or by an error (so its reset callback forgets the note), and
 *	 transaction and subtransaction callbacks run at every end and abort.
 *
 * hnsw.reuse_scan_distances (on by default) turns it off: scans then note
 * nothing and the distance functions always compute, detoasting the vector.
 *
 * For SELECT ... ORDER BY v <-> q LIMIT k the planner keeps "v <-> q" in the
 * index scan's target list (PostgreSQL has no way for an index scan to hand
 * the executor its ORDER BY values), so the executor calls the distance
 * function again for every row the scan returns.  A vector of more than
 * about 500 dimensions is stored out of line, in the table's TOAST relation,
 * and that call first fetches it back: a descent of the TOAST index, two or
 * more chunk tuples and a copy, for a distance the scan computed moments
 * before.  On Fashion-MNIST (784 dimensions, ten rows a query) that was a
 * fifth of a query's time in the backend.
 *
 * So each scan notes here the distance of the row it returns, and the
 * distance functions, when their first argument is a TOAST pointer, ask
 * whether that pointer is the indexed column of the row this scan returned
 * last.  The answer is checked, not assumed: the function gets the scan's
 * distance only when
 *
 * - the table is a heap and the index is on a plain column, and the heap
 *	 tuple the executor fetched for that row (scan->xs_heaptid, in the buffer
 *	 the heap fetch keeps pinned) holds, in that column, a TOAST pointer
 *	 equal byte for byte to the function's argument.  A TOAST value is never
 *	 changed and its (relation, value id) names one live value at a time, so
 *	 the argument's vector is the row's, which is the element's vector: the
 *	 index stores a row's vector unchanged (for L2, inner product and L1;
 *	 cosine indexes store it normalised and are left out), and a duplicate
 *	 joins an element only when its bytes are equal.  The members of a HOT
 *	 chain share the TOAST pointer of an indexed column (a HOT update leaves
 *	 indexed columns as they were);
 * - the function's other argument is the scan's query, compared in full;
 * - the function's kind of sum is the index's.
 *
 * Then the scan's distance is the function's own sum, to the bit: both come
 * from the same kernel (vec_kernels), whose result depends neither on the
 * order of its two arguments nor on their addresses (distance.c).  Any
 * doubt -- another column, another row, another query, a tuple that is not
 * there -- means the function computes the distance as before.
 *
 * The note names the scan by pointer.  It is cleared when the scan returns
 * its last row; when it rescans, ends or its memory goes away (a callback
 * on the scan's memory context, which a rescan resets and amendscan
 * deletes, and which an aborted query frees without calling amendscan);
 * and at the end of every transaction and subtransaction abort, so it
 * never points at a freed scan or at a buffer no longer pinned.
 */
#include "postgres.h"

#include "hnswreuse.h"

#include "distance.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "storage/bufmgr.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/rel.h"

/* hnsw.reuse_scan_distances */
static bool reuse_enabled = true;

/* What the last hnsw scan to return a row noted about it */
typedef struct HnswReturned
{
	IndexScanDesc scan;			/* that scan; NULL when nothing is noted */
	HnswDistanceKind kind;		/* the index's kind of distance */
	AttrNumber	attnum;			/* the heap column the index is on */
	const void *query;			/* the scan's query, in the scan's memory */
	int			dim;			/* its length */
	float		dist;			/* the index's distance of that row */
	const VecKernels *kernels;	/* the kernels that computed it */
} HnswReturned;

static HnswReturned last;

static void
reuse_clear(void)
{
	last.scan = NULL;
	last.query = NULL;
}

static void
reuse_xact_callback(XactEvent event, void *arg)
{
	reuse_clear();
}

static void
reuse_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		reuse_clear();
}

/* The scan's memory is going away; the pointer is compared, never followed. */
static void
reuse_context_callback(void *arg)
{
	if (last.scan == (IndexScanDesc) arg)
		reuse_clear();
}

/* Called once, from _PG_init. */
void
hnsw_reuse_init(void)
{
	DefineCustomBoolVariable("hnsw.reuse_scan_distances",
							 "Lets distance functions take the distance an hnsw scan computed for the row it returned.",
							 "Spares fetching a TOASTed vector again for the ORDER BY "
							 "expression of an index scan; off, the functions always "
							 "compute the distance themselves.",
							 &reuse_enabled, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	RegisterXactCallback(reuse_xact_callback, NULL);
	RegisterSubXactCallback(reuse_subxact_callback, NULL);
}

/*
 * Forget the scan's note when cxt, the scan's own context (a child of the
 * one that holds the scan, so deleted with it), is reset or deleted: that
 * is how a rescan (reset) and amendscan (delete) forget it, and an error
 * that frees the scan without amendscan.  A reset runs the callback once:
 * the scan registers again after each.  Registered whatever
 * hnsw.reuse_scan_distances says (once a rescan, not once a row): the
 * setting may be turned on while the scan is open.
 */
void
hnsw_reuse_watch(IndexScanDesc scan, MemoryContext cxt)
{
	MemoryContextCallback *cb = MemoryContextAlloc(cxt, sizeof(MemoryContextCallback));

	cb->func = reuse_context_callback;
	cb->arg = scan;
	MemoryContextRegisterResetCallback(cxt, cb);
}

void
hnsw_reuse_forget(IndexScanDesc scan)
{
	if (last.scan == scan)
		reuse_clear();
}

/*
 * The scan returns a row of distance dist to query (the scan keeps query
 * until it rescans or ends).
 */
void
hnsw_reuse_returned(IndexScanDesc scan, HnswDistanceKind kind,
					const void *query, int dim, float dist)
{
	Relation	heap = scan->heapRelation;
	AttrNumber	attnum = scan->indexRelation->rd_index->indkey.values[0];

	if (!reuse_enabled || kind == HNSW_DIST_COSINE || heap == NULL ||
		attnum <= 0 || heap->rd_tableam != GetHeapamTableAmRoutine())
	{
		reuse_clear();
		return;
	}
	last = (HnswReturned) {
		.scan = scan, .kind = kind, .attnum = attnum, .query = query,
		.dim = dim, .dist = dist, .kernels = vec_kernels
	};
}

/*
 * The indexed column of the heap tuple the executor fetched for the row
 * last returned, or NULL when that tuple is not at hand.  Like the
 * executor, this reads the tuple with the heap fetch's pin and no content
 * lock: a tuple the fetch found visible stays where it is while the page is
 * pinned (pruning needs a cleanup lock, and vacuum frees only line pointers
 * pruning left dead).  When the fetch found nothing visible, xs_heaptid may
 * name a dead item that an insert could reuse -- but then the executor asks
 * amgettuple for the next row at once, which replaces or clears the note,
 * with no distance call in between.
 */
static struct varlena *
fetched_column(void)
{
	IndexScanDesc scan = last.scan;
	IndexFetchHeapData *hf = (IndexFetchHeapData *) scan->xs_heapfetch;
	ItemPointer tid = &scan->xs_heaptid;
	HeapTupleData tuple;
	Page		page;
	OffsetNumber off;
	ItemId		lp;
	Datum		value;
	bool		isnull;

	if (hf == NULL || !BufferIsValid(hf->xs_cbuf) ||
		BufferGetBlockNumber(hf->xs_cbuf) != ItemPointerGetBlockNumber(tid))
		return NULL;
	page = BufferGetPage(hf->xs_cbuf);
	off = ItemPointerGetOffsetNumber(tid);
	if (off < FirstOffsetNumber || off > PageGetMaxOffsetNumber(page))
		return NULL;
	lp = PageGetItemId(page, off);
	if (!ItemIdIsNormal(lp))
		return NULL;
	tuple.t_data = (HeapTupleHeader) PageGetItem(page, lp);
	tuple.t_len = ItemIdGetLength(lp);
	tuple.t_self = *tid;
	tuple.t_tableOid = RelationGetRelid(scan->heapRelation);
	value = heap_getattr(&tuple, last.attnum,
						 RelationGetDescr(scan->heapRelation), &isnull);
	return isnull ? NULL : (struct varlena *) DatumGetPointer(value);
}

/*
 * The index's distance between value (a distance function's first argument,
 * as passed: not detoasted) and query, if value is a TOAST pointer, the
 * indexed column of the row the last scan returned, and query is that
 * scan's query (see the file header).  kind: the sum the caller computes.
 */
bool
hnsw_reuse_distance(HnswDistanceKind kind, Datum value, const Vector *query,
					float *dist)
{
	struct varlena *arg = (struct varlena *) DatumGetPointer(value);
	struct varlena *col;

	if (!reuse_enabled || last.scan == NULL || last.kind != kind ||
		query->dim != last.dim || last.kernels != vec_kernels ||
		!VARATT_IS_EXTERNAL_ONDISK(arg))
		return false;
	col = fetched_column();
	if (col == NULL || !VARATT_IS_EXTERNAL_ONDISK(col) ||
		memcmp(VARDATA_EXTERNAL(col), VARDATA_EXTERNAL(arg),
			   sizeof(varatt_external)) != 0)
		return false;
	if (memcmp(query->x, last.query, sizeof(float) * last.dim) != 0)
		return false;
	*dist = last.dist;
	return true;
}
