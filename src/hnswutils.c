/*
 * hnswutils.c
 *	  Pages, the metapage, element tuples and reads of the page graph.
 */
#include "postgres.h"

#include "compat.h"
#include "hnsw_pagegraph.h"

#include <math.h>

#include "access/genam.h"
#include "common/pg_prng.h"
#include "distance.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/rel.h"

/*
 * Fills info from the metapage (inserts and scans), and *metap with the
 * metapage itself when not NULL.
 */
void
hnsw_index_info(Relation index, HnswIndexInfo *info, HnswMetaPageData *metap)
{
	HnswMetaPageData meta;

	hnsw_read_meta(index, &meta);
	if (metap)
		*metap = meta;
	info->index = index;
	info->kind = (HnswDistanceKind) meta.kind;
	info->vectype = HnswMetaVectorType(&meta);
	info->distance = hnsw_distance_fn(info->vectype, info->kind, false);
	info->m = meta.m;
	info->ef_construction = meta.ef_construction;
	hnsw_info_set_dim(info, HnswMetaDimensions(&meta));
	info->ml = 1.0 / log((double) info->m);
}

/* ---------------------------------------------------------------------
 * Levels and sizes
 * ---------------------------------------------------------------------
 */

/*
 * Draws a level from the paper's exponential distribution, floor(-ln(U)*mL).
 * Capped where the tuple would outgrow a page: such an element then lives on
 * fewer layers, which costs a little search speed, never correctness.
 * vecbytes: those of the element's vector (hnsw_vector_size).
 */
int
hnsw_random_level(const HnswIndexInfo *info, Size vecbytes)
{
	double		u = pg_prng_double(&pg_global_prng_state);	/* [0, 1) */
	double		l = floor(-log(1.0 - u) * info->ml);
	int			cap = hnsw_max_level_for(info, vecbytes);

	return (int) Min(l, (double) cap);
}

/* ---------------------------------------------------------------------
 * Pages
 * ---------------------------------------------------------------------
 */

void
hnsw_init_page(Page page, uint16 flags)
{
	HnswPageOpaque opaque;

	PageInit(page, BLCKSZ, sizeof(HnswPageOpaqueData));
	opaque = HnswPageGetOpaque(page);
	opaque->flags = flags;
	opaque->page_id = HNSW_PAGE_ID;
}

/* A new, exclusively locked page at the end of the index */
Buffer
hnsw_new_buffer(Relation index)
{
	return vec_extend_locked(index);
}

void
hnsw_init_metapage(Page page, const HnswIndexInfo *info)
{
	HnswMetaPage meta;

	hnsw_init_page(page, HNSW_PAGE_META);
	meta = HnswPageGetMeta(page);
	memset(meta, 0, sizeof(HnswMetaPageData));
	meta->magic = HNSW_MAGIC;
	meta->version = HNSW_FORMAT_VERSION;
	meta->vectype = info->vectype;
	HnswMetaSetDimensions(meta, info->dim);
	meta->m = info->m;
	meta->ef_construction = info->ef_construction;
	meta->kind = info->kind;
	meta->entry_blkno = InvalidBlockNumber;
	meta->entry_offno = InvalidOffsetNumber;
	meta->entry_level = -1;
	((PageHeader) page)->pd_lower =
		((char *) meta + sizeof(HnswMetaPageData)) - (char *) page;
}

/* ---------------------------------------------------------------------
 * Validation of the on-disk structs
 *
 * One routine per struct finds what is wrong with it and says so in
 * fault[] (HNSW_FAULT_LEN bytes; NULL: the caller only asks whether there
 * is a fault), or returns false when nothing is.  Scans, inserts, VACUUM
 * and hnsw_index_check all use them, and all report a fault with
 * hnsw_report_fault, so a fault reads the same whoever finds it.
 *
 * Every element read goes through them, so the reads of this file inline
 * them and ask without a text: a read costs a few comparisons and no call,
 * and only a fault calls a cold function, which checks again for the text
 * and raises the error.
 * ---------------------------------------------------------------------
 */

static void format_fault(char *fault, const char *fmt,...) pg_attribute_printf(2, 3);

static void
format_fault(char *fault, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(fault, HNSW_FAULT_LEN, fmt, ap);
	va_end(ap);
}

/*
 * Writes a fault's text, if asked, and is true, for `return fault_text(...)`;
 * a macro, so that a check inlined with fault NULL formats nothing.
 */
#define fault_text(fault, ...) \
	((fault) != NULL ? (format_fault((fault), __VA_ARGS__), true) : true)

/*
 * A page's header and special space: initialised, special space where ours
 * is, our page id, the header's pointers in order, and the kind `flags`
 * (HNSW_PAGE_META or HNSW_PAGE_ELEMENT; 0: either).
 */
static pg_attribute_always_inline bool
page_fault(Page page, uint16 flags, char *fault)
{
	PageHeader	ph = (PageHeader) page;
	HnswPageOpaque opaque;

	if (PageIsNew(page))
		return fault_text(fault, "the page is not initialised");
	if (ph->pd_special != HNSW_SPECIAL_START)
		return fault_text(fault, "special space starts at byte %u, expected %zu",
						  ph->pd_special, (size_t) HNSW_SPECIAL_START);
	opaque = HnswPageGetOpaque(page);
	if (opaque->page_id != HNSW_PAGE_ID)
		return fault_text(fault, "page id is 0x%04X, expected 0x%04X",
						  opaque->page_id, HNSW_PAGE_ID);
	if (flags != 0 && opaque->flags != flags)
		return fault_text(fault, "page flags are 0x%04X, expected 0x%04X",
						  opaque->flags, flags);
	if (opaque->flags != HNSW_PAGE_META && opaque->flags != HNSW_PAGE_ELEMENT)
		return fault_text(fault, "page flags are 0x%04X, expected 0x%04X or 0x%04X",
						  opaque->flags, HNSW_PAGE_META, HNSW_PAGE_ELEMENT);
	if (ph->pd_lower < SizeOfPageHeaderData || ph->pd_lower > ph->pd_upper ||
		ph->pd_upper > ph->pd_special)
		return fault_text(fault, "pd_lower %u and pd_upper %u are out of order",
						  ph->pd_lower, ph->pd_upper);
	return false;
}

/*
 * The metapage: the page, then every field that sizes arrays or walks
 * tuples (a damaged metapage must be an error, not an overrun).  Whether
 * the distance kind is the operator class's is the checker's to ask.
 */
bool
hnsw_meta_fault(Page page, char *fault)
{
	HnswMetaPage meta = HnswPageGetMeta(page);
	Size		end = (char *) (meta + 1) - (char *) page;
	HnswVectorType vectype;

	if (page_fault(page, HNSW_PAGE_META, fault))
		return true;
	if (((PageHeader) page)->pd_lower < end)
		return fault_text(fault, "pd_lower %u is inside the metadata",
						  ((PageHeader) page)->pd_lower);
	if (meta->magic != HNSW_MAGIC)
		return fault_text(fault, "magic is 0x%08X, expected 0x%08X",
						  meta->magic, HNSW_MAGIC);
	if (meta->version != HNSW_FORMAT_VERSION &&
		meta->version != HNSW_FORMAT_VERSION_FLOAT)
		return fault_text(fault, "format version is %u, expected %u",
						  meta->version, HNSW_FORMAT_VERSION);
	if (meta->m < HNSW_MIN_M || meta->m > HNSW_MAX_M)
		return fault_text(fault, "m is %u", meta->m);
	if (meta->ef_construction < HNSW_MIN_EF_CONSTRUCTION ||
		meta->ef_construction > HNSW_MAX_EF_CONSTRUCTION)
		return fault_text(fault, "ef_construction is %u", meta->ef_construction);
	if (meta->version == HNSW_FORMAT_VERSION_FLOAT ? meta->vectype != 0 :
		(meta->vectype < HNSW_VEC_FLOAT || meta->vectype > HNSW_VEC_MAX))
		return fault_text(fault, "vector type is %u in format version %u",
						  meta->vectype, meta->version);
	vectype = HnswMetaVectorType(meta);
	if (meta->kind < HNSW_DIST_L2 || meta->kind > HNSW_DIST_MAX ||
		(vectype == HNSW_VEC_BIT) != (meta->kind >= HNSW_DIST_HAMMING))
		return fault_text(fault, "distance kind is %u for vector type %u",
						  meta->kind, vectype);
	if (vectype == HNSW_VEC_SPARSE ?
		(meta->dimensions != 0 || meta->sparse_dimensions > HNSW_SPARSE_MAX_DIM) :
		(meta->sparse_dimensions != 0 ||
		 (vectype != HNSW_VEC_BIT && meta->dimensions > VECTOR_MAX_DIM) ||
		 HnswElementTupleSize(0, meta->m,
							  HnswVectorBytes(vectype, meta->dimensions)) > HNSW_MAX_TUPLE_SIZE))
		return fault_text(fault, "dimensions %u and %u do not fit an element with m = %u",
						  meta->dimensions, meta->sparse_dimensions, meta->m);
	if (meta->entry_level < -1 || meta->entry_level > HNSW_MAX_LEVEL ||
		(meta->entry_level == -1) != (meta->entry_blkno == InvalidBlockNumber))
		return fault_text(fault, "entry point (%u,%u) has level %d",
						  meta->entry_blkno, meta->entry_offno, meta->entry_level);
	if (meta->entry_level >= 0 && HnswMetaDimensions(meta) == 0)
		return fault_text(fault, "there is an entry point but no dimension count");
	return false;
}

/*
 * Element `off` of an element page (the page checked already): its line
 * pointer and where its item lies, the tuple's type byte, level and deleted
 * flag, and -- given the index's m (0: not known, the tuple's own structure
 * only) -- its length and link counts; given the index's dimension count
 * too (0: none yet, so an element's own count is taken), that the tuple has
 * as many.
 */
static pg_attribute_always_inline bool
element_fault(Page page, OffsetNumber off, int m, HnswVectorType vectype,
			  int dim, char *fault)
{
	PageHeader	ph = (PageHeader) page;
	ItemId		iid;
	HnswElementTuple tup;
	uint16	   *counts;
	Size		size;

	if (off < FirstOffsetNumber || off > PageGetMaxOffsetNumber(page))
		return fault_text(fault, "the page has only %u line pointers",
						  (unsigned) PageGetMaxOffsetNumber(page));
	iid = PageGetItemId(page, off);
	if (!ItemIdIsNormal(iid))
		return fault_text(fault, "line pointer flags are %u", iid->lp_flags);
	/* a wild item pointer must not send the reader outside the page */
	if (ItemIdGetOffset(iid) < ph->pd_upper ||
		ItemIdGetOffset(iid) + ItemIdGetLength(iid) > ph->pd_special ||
		ItemIdGetOffset(iid) != MAXALIGN(ItemIdGetOffset(iid)))
		return fault_text(fault, "item of %u bytes at byte %u is outside the item space",
						  ItemIdGetLength(iid), ItemIdGetOffset(iid));
	if (ItemIdGetLength(iid) < HNSW_ELEMENT_HEADER_SIZE)
		return fault_text(fault, "item of %u bytes is shorter than a header",
						  ItemIdGetLength(iid));
	tup = (HnswElementTuple) PageGetItem(page, iid);
	if (tup->type != HNSW_ELEMENT_TUPLE)
		return fault_text(fault, "type byte is 0x%02X, expected 0x%02X",
						  tup->type, HNSW_ELEMENT_TUPLE);
	if (tup->level > HNSW_MAX_LEVEL || tup->deleted > 1)
		return fault_text(fault, "level is %u and deleted flag %u",
						  tup->level, tup->deleted);
	if (m == 0)
		return false;
	/* a sparse vector's count is of its stored elements, its own */
	if (dim != 0 && tup->dim != dim && vectype != HNSW_VEC_SPARSE)
		return fault_text(fault, "it has %u dimensions, the index %d",
						  tup->dim, dim);

	/* links and the vector are found from level, m, vector type and dim */
	size = HnswElementTupleSize(tup->level, m,
								HnswVectorBytes(vectype, tup->dim));
	if (ItemIdGetLength(iid) != size)
		return fault_text(fault, "item is %u bytes, level %u needs %zu",
						  ItemIdGetLength(iid), tup->level, size);
	counts = HnswTupleCounts(tup);
	for (int l = 0; l <= tup->level; l++)
		if (counts[l] > HnswLayerCapacity(m, l))
			return fault_text(fault, "it has %u links on layer %d, room for %d",
							  counts[l], l, HnswLayerCapacity(m, l));
	/* the distance functions read a sparse vector's count from the vector */
	if (vectype == HNSW_VEC_SPARSE &&
		*(int32 *) HnswTupleVector(tup, m) != tup->dim)
		return fault_text(fault, "its sparse vector has %d elements, the element %u",
						  *(int32 *) HnswTupleVector(tup, m), tup->dim);
	return false;
}

bool
hnsw_element_fault(Page page, OffsetNumber off, int m,
				   HnswVectorType vectype, int dim, char *fault)
{
	return element_fault(page, off, m, vectype, dim, fault);
}

/*
 * Reports a fault found at an element (off valid), a block (off invalid) or
 * the metapage, as index corruption.
 */
void
hnsw_report_fault(Relation index, BlockNumber blkno, OffsetNumber off,
				  const char *fault)
{
	if (blkno == HNSW_METAPAGE_BLKNO)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" has a corrupted metapage: %s",
						RelationGetRelationName(index), fault),
				 errhint("REINDEX the index.")));
	else if (off == InvalidOffsetNumber)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" block %u is corrupted: %s",
						RelationGetRelationName(index), blkno, fault)));
	else
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" element (%u,%u) is corrupted: %s",
						RelationGetRelationName(index), blkno, off, fault)));
	pg_unreachable();
}

/* The cold half of the raising forms below: the text, and the error */
static pg_noinline pg_attribute_cold void
report_page_fault(Relation index, Page page, BlockNumber blkno, uint16 flags)
{
	char		fault[HNSW_FAULT_LEN];

	(void) page_fault(page, flags, fault);
	hnsw_report_fault(index, blkno, InvalidOffsetNumber, fault);
}

static pg_noinline pg_attribute_cold void
report_element_fault(Relation index, Page page, BlockNumber blkno,
					 OffsetNumber off, int m, HnswVectorType vectype, int dim)
{
	char		fault[HNSW_FAULT_LEN];

	(void) element_fault(page, off, m, vectype, dim, fault);
	hnsw_report_fault(index, blkno, off, fault);
}

/* Errors out unless `page` is one of ours, of kind `flags` (0: either). */
static pg_attribute_always_inline void
check_page(Relation index, Page page, BlockNumber blkno, uint16 flags)
{
	if (unlikely(page_fault(page, flags, NULL)))
		report_page_fault(index, page, blkno, flags);
}

void
hnsw_check_page(Relation index, Page page, BlockNumber blkno, uint16 flags)
{
	check_page(index, page, blkno, flags);
}

/* The element (blkno, off) of an element page checked already, checked */
static pg_attribute_always_inline HnswElementTuple
checked_element(Relation index, Page page, BlockNumber blkno, OffsetNumber off,
				int m, HnswVectorType vectype, int dim)
{
	if (unlikely(element_fault(page, off, m, vectype, dim, NULL)))
		report_element_fault(index, page, blkno, off, m, vectype, dim);
	return (HnswElementTuple) PageGetItem(page, PageGetItemId(page, off));
}

void
hnsw_read_meta(Relation index, HnswMetaPageData *out)
{
	Buffer		buf = hnsw_read_buffer(index, HNSW_METAPAGE_BLKNO);
	Page		page;
	char		fault[HNSW_FAULT_LEN];

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	if (hnsw_meta_fault(page, fault))
		hnsw_report_fault(index, HNSW_METAPAGE_BLKNO, InvalidOffsetNumber, fault);
	*out = *HnswPageGetMeta(page);
	UnlockReleaseBuffer(buf);
}

/*
 * Returns the element tuple at (blkno, off) of a locked page, checking the
 * page and the tuple's own structure (for readers of its header only, who
 * do not know m and dim).
 */
HnswElementTuple
hnsw_get_element(Relation index, Page page, BlockNumber blkno, OffsetNumber off)
{
	check_page(index, page, blkno, HNSW_PAGE_ELEMENT);
	return checked_element(index, page, blkno, off, 0, HNSW_VEC_FLOAT, 0);
}

/* Reports a link to a block that cannot hold elements */
static pg_noinline pg_attribute_cold void
report_link_block(Relation index, BlockNumber blkno)
{
	ereport(ERROR,
			(errcode(ERRCODE_INDEX_CORRUPTED),
			 errmsg("index \"%s\" refers to an element in invalid block %u",
					RelationGetRelationName(index), blkno)));
}

/*
 * A link names an element of an element page: never InvalidBlockNumber
 * (which ReadBuffer takes as "extend") nor the metapage.
 */
static pg_attribute_always_inline void
check_link_block(Relation index, BlockNumber blkno)
{
	if (unlikely(blkno == InvalidBlockNumber || blkno == HNSW_METAPAGE_BLKNO))
		report_link_block(index, blkno);
}

/*
 * The buffer of the page of an element reached through a link, refusing
 * InvalidBlockNumber (which ReadBuffer takes as "extend") and the metapage.
 */
Buffer
hnsw_read_linked_page(Relation index, BlockNumber blkno, BufferAccessStrategy strategy)
{
	check_link_block(index, blkno);
	return ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL, strategy);
}

void
hnsw_check_link_block(Relation index, BlockNumber blkno)
{
	check_link_block(index, blkno);
}

/* A palloc'd copy of element `key`, read under a share lock. */
HnswElementTuple
hnsw_copy_element(const HnswIndexInfo *info, uint64 key,
				  BufferAccessStrategy strategy)
{
	BlockNumber blkno = hnsw_key_block(key);
	Buffer		buf = hnsw_read_linked_page(info->index, blkno, strategy);
	Page		page;
	HnswElementTuple tup;
	HnswElementTuple copy;
	Size		size;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	tup = hnsw_get_linked_element(info, page, blkno, hnsw_key_offset(key));
	size = ItemIdGetLength(PageGetItemId(page, hnsw_key_offset(key)));
	copy = palloc(size);
	memcpy(copy, tup, size);
	UnlockReleaseBuffer(buf);
	return copy;
}

/*
 * Whether a page read by a pass over the whole index holds elements: false
 * for the metapage and for an all-zero page (extended, never initialised:
 * a crash); an error for a page that is not ours.
 */
bool
hnsw_is_element_page(Relation index, Page page, BlockNumber blkno)
{
	if (PageIsNew(page))
		return false;
	hnsw_check_page(index, page, blkno, 0);
	return (HnswPageGetOpaque(page)->flags & HNSW_PAGE_ELEMENT) != 0;
}

/* Copies the vector of element `key`, read under a share lock, into dst. */
void
hnsw_read_vector(const HnswIndexInfo *info, uint64 key,
				 BufferAccessStrategy strategy, void *dst)
{
	BlockNumber blkno = hnsw_key_block(key);
	Buffer		buf = hnsw_read_linked_page(info->index, blkno, strategy);
	HnswElementTuple tup;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	tup = hnsw_get_linked_element(info, BufferGetPage(buf), blkno,
								  hnsw_key_offset(key));
	memcpy(dst, HnswTupleVector(tup, info->m),
		   HnswVectorBytes(info->vectype, tup->dim));
	UnlockReleaseBuffer(buf);
}

/*
 * Element (blkno, off) of a locked page, checked against the index's m and
 * dimension count: everything a reader of its links and vector relies on.
 */
HnswElementTuple
hnsw_get_linked_element(const HnswIndexInfo *info, Page page, BlockNumber blkno,
						OffsetNumber off)
{
	check_page(info->index, page, blkno, HNSW_PAGE_ELEMENT);
	return checked_element(info->index, page, blkno, off, info->m,
						   info->vectype, info->dim);
}

/* hnsw_get_linked_element on an element page checked already */
HnswElementTuple
hnsw_page_linked_element(const HnswIndexInfo *info, Page page, BlockNumber blkno,
						 OffsetNumber off)
{
	return checked_element(info->index, page, blkno, off, info->m,
						   info->vectype, info->dim);
}

/* ---------------------------------------------------------------------
 * Page edits
 * ---------------------------------------------------------------------
 */

void
hnsw_edit_begin(HnswPageEdit *edit, Relation index, bool building)
{
	edit->index = index;
	edit->nbufs = 0;
	edit->xlog = building ? NULL : GenericXLogStart(index);
}

/*
 * Returns the page of an exclusively locked buffer to modify.  `fresh`: the
 * page is being initialised, so log it whole.
 */
Page
hnsw_edit_page(HnswPageEdit *edit, Buffer buf, bool fresh)
{
	if (edit->xlog)
		return GenericXLogRegisterBuffer(edit->xlog, buf,
										 fresh ? GENERIC_XLOG_FULL_IMAGE : 0);
	Assert(edit->nbufs < MAX_GENERIC_XLOG_PAGES);
	edit->bufs[edit->nbufs++] = buf;
	return BufferGetPage(buf);
}

void
hnsw_edit_finish(HnswPageEdit *edit)
{
	int			i;

	if (edit->xlog)
		GenericXLogFinish(edit->xlog);
	for (i = 0; i < edit->nbufs; i++)
		MarkBufferDirty(edit->bufs[i]);
	edit->xlog = NULL;
	edit->nbufs = 0;
}

/* ---------------------------------------------------------------------
 * The page graph, read through the buffer manager
 *
 * Each read pins the element's page, takes a share lock only while it
 * copies what it needs, and keeps the pin for the next read if that falls
 * on the same page (neighbours are often written side by side).
 * ---------------------------------------------------------------------
 */

void
hnsw_disk_graph_init(HnswDiskGraph *g, HnswIndexInfo *info, bool want_tids)
{
	g->info = info;
	g->buf = InvalidBuffer;
	g->locked = false;
	g->want_tids = want_tids;
	g->tids = NULL;
	g->ntids = g->maxtids = 0;
	g->pf_keys = NULL;
	g->pf_n = g->pf_pos = g->pf_next = 0;
}

/* Room for one more element's heap TIDs (HNSW_HEAPTIDS) */
void
hnsw_disk_graph_tid_room(HnswDiskGraph *g)
{
	uint32		want = Max(g->maxtids * 2, HNSW_DISK_FIRST_TIDS);

	if ((Size) want * sizeof(ItemPointerData) > MaxAllocHugeSize ||
		want < g->maxtids)
		elog(ERROR, "too many heap TIDs in one hnsw search");
	if (g->tids == NULL)
		g->tids = palloc(sizeof(ItemPointerData) * want);
	else
		g->tids = repalloc_huge(g->tids, sizeof(ItemPointerData) * want);
	g->maxtids = want;
}

/*
 * Forgets the heap TIDs of the elements visited so far, and their memory,
 * which the caller freed (a scan resets the context they were made in).
 */
void
hnsw_disk_graph_forget_tids(HnswDiskGraph *g)
{
	g->tids = NULL;
	g->ntids = g->maxtids = 0;
}

/*
 * Pins the page of announced element i and prefetches its line pointer.
 * A block that cannot hold an element is left to the visit to report.
 */
static void
disk_pin_ahead(HnswDiskGraph *g, int i)
{
	BlockNumber blkno = hnsw_key_block(g->pf_keys[i]);
	OffsetNumber off = hnsw_key_offset(g->pf_keys[i]);
	Buffer		buf = InvalidBuffer;

	if (blkno != InvalidBlockNumber && blkno != HNSW_METAPAGE_BLKNO)
	{
		Buffer		prev = i > g->pf_pos ? g->pf_bufs[(i - 1) % HNSW_PREFETCH_DEPTH] : InvalidBuffer;

		/*
		 * A page pinned already (the previous announced element's, or the
		 * one last visited) takes one more pin without a buffer-mapping
		 * lookup: announced elements come in block order, and the build
		 * lays neighbours out together.
		 */
		if (BufferIsValid(prev) && BufferGetBlockNumber(prev) == blkno)
		{
			IncrBufferRefCount(prev);
			buf = prev;
		}
		else if (BufferIsValid(g->buf) && BufferGetBlockNumber(g->buf) == blkno)
		{
			IncrBufferRefCount(g->buf);
			buf = g->buf;
		}
		else
			buf = hnsw_read_buffer(g->info->index, blkno);
		/* asked for at the announcement too when the map knew the buffer */
		hnsw_prefetch_element_head((const char *) BufferGetPage(buf), off);
	}
	g->pf_bufs[i % HNSW_PREFETCH_DEPTH] = buf;
}

/*
 * Prefetches the tuple of announced element i (header, links, vector),
 * whose page is pinned and whose line pointer was prefetched a few visits
 * ago.  Reading the line pointer without the content lock is fine for a
 * hint: items never move, and a garbage address or length is never
 * dereferenced, only prefetched (within the page, as checked).
 */
static void
disk_prefetch_tuple(HnswDiskGraph *g, int i)
{
	Buffer		buf = g->pf_bufs[i % HNSW_PREFETCH_DEPTH];
	OffsetNumber off = hnsw_key_offset(g->pf_keys[i]);
	Page		page;
	ItemId		iid;
	const char *p;
	Size		len;

	if (!BufferIsValid(buf) || off < FirstOffsetNumber || off > MaxOffsetNumber)
		return;
	page = BufferGetPage(buf);
	iid = PageGetItemId(page, off);
	if (ItemIdGetOffset(iid) + ItemIdGetLength(iid) > BLCKSZ)
		return;
	p = (const char *) page + ItemIdGetOffset(iid);
	len = ItemIdGetLength(iid);
	/* all of it, in the order the visit reads it (header, then vector) */
	if (len > 0)
		hnsw_prefetch_range(p, len);
}

static void
disk_prefetch(void *ctx, const uint64 *keys, int n)
{
	HnswDiskGraph *g = ctx;

	Assert(g->pf_pos == g->pf_n);	/* the last batch was all visited */
	g->pf_keys = keys;
	g->pf_n = n;
	g->pf_pos = g->pf_next = 0;
	/* buffer headers and pages of all, then pins of the first few */
	for (int i = 0; i < n; i++)
		hnsw_prefetch_block(g->info->index, hnsw_key_block(keys[i]),
							hnsw_key_offset(keys[i]));
	while (g->pf_next < n && g->pf_next < HNSW_PREFETCH_DEPTH)
		disk_pin_ahead(g, g->pf_next++);
	if (n > 0)
		disk_prefetch_tuple(g, 0);
	if (n > 1)
		disk_prefetch_tuple(g, 1);
}

/*
 * The pinned buffer of key if it is the next announced one (its pin moves
 * to g->buf), keeping HNSW_PREFETCH_DEPTH pages pinned ahead.
 */
static bool
disk_take_prefetched(HnswDiskGraph *g, uint64 key)
{
	Buffer		buf;

	if (g->pf_pos >= g->pf_n || g->pf_keys[g->pf_pos] != key)
		return false;
	buf = g->pf_bufs[g->pf_pos % HNSW_PREFETCH_DEPTH];
	g->pf_pos++;
	if (g->pf_next < g->pf_n)
		disk_pin_ahead(g, g->pf_next++);
	if (g->pf_pos + 1 < g->pf_next)
		disk_prefetch_tuple(g, g->pf_pos + 1);
	if (!BufferIsValid(buf))
		return false;
	if (BufferIsValid(g->buf))
		ReleaseBuffer(g->buf);
	g->buf = buf;
	return true;
}

/* The element `key`, on its page share-locked */
static HnswElementTuple
disk_lock_element(HnswDiskGraph *g, uint64 key)
{
	BlockNumber blkno = hnsw_key_block(key);

	/* ReadBuffer would take InvalidBlockNumber (P_NEW) as "extend" */
	check_link_block(g->info->index, blkno);
	if (!disk_take_prefetched(g, key) &&
		(!BufferIsValid(g->buf) || BufferGetBlockNumber(g->buf) != blkno))
	{
		if (BufferIsValid(g->buf))
			ReleaseBuffer(g->buf);
		g->buf = hnsw_read_buffer(g->info->index, blkno);
	}
	g->locked = true;
	LockBuffer(g->buf, BUFFER_LOCK_SHARE);
	return hnsw_get_linked_element(g->info, BufferGetPage(g->buf), blkno,
								   hnsw_key_offset(key));
}

static inline void
disk_unlock_element(HnswDiskGraph *g)
{
	if (g->locked)
		LockBuffer(g->buf, BUFFER_LOCK_UNLOCK);
	g->locked = false;
}

static int
disk_links(void *ctx, uint64 key, int layer, uint64 *out)
{
	HnswDiskGraph *g = ctx;
	HnswElementTuple tup = disk_lock_element(g, key);
	int			n = hnsw_tuple_link_keys(tup, g->info->m, layer, out);

	disk_unlock_element(g);
	return n;
}

static bool
disk_visit(void *ctx, uint64 key, const void *query, HnswNode *node)
{
	HnswDiskGraph *g = ctx;
	HnswElementTuple tup = disk_lock_element(g, key);

	hnsw_tuple_visit(g, tup, query, node);
	disk_unlock_element(g);
	return true;
}

const HnswGraphOps hnsw_disk_ops = {
	.links = disk_links,
	.visit = disk_visit,
	.prefetch = disk_prefetch,
	.visit_in_key_order = true,
};

void
hnsw_disk_graph_release(HnswDiskGraph *g)
{
	/* pins taken ahead for visits that will not happen (an error) */
	while (g->pf_pos < g->pf_next)
	{
		Buffer		buf = g->pf_bufs[g->pf_pos++ % HNSW_PREFETCH_DEPTH];

		if (BufferIsValid(buf))
			ReleaseBuffer(buf);
	}
	g->pf_n = g->pf_pos = g->pf_next = 0;
	if (BufferIsValid(g->buf))
		ReleaseBuffer(g->buf);
	g->buf = InvalidBuffer;
}

/* Drops an edit that changed nothing worth logging. */
void
hnsw_edit_abort(HnswPageEdit *edit)
{
	if (edit->xlog)
		GenericXLogAbort(edit->xlog);
	edit->xlog = NULL;
	edit->nbufs = 0;
}
