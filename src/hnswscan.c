/*
 * hnswscan.c
 *	  Ordered index scans: ORDER BY col <op> query LIMIT n.
 *
 * The first amgettuple call runs the whole search (greedy descent through
 * the upper layers, then a layer-0 search of width hnsw.ef_search) and keeps
 * the results, nearest first, with the heap TIDs copied while each element's
 * page was locked.  Later calls hand those TIDs out; no index page is pinned
 * between calls.  Why that is safe against a concurrent VACUUM is explained
 * in README.hnsw ("Scans and vacuum").
 *
 * With hnsw.iterative_scan on, a scan whose rows ran out before the
 * executor stopped asking (a WHERE clause rejected them) resumes the
 * layer-0 search for another batch of ef_search elements, until
 * hnsw.max_scan_tuples rows were returned or the search holds
 * hnsw.scan_mem_multiplier * work_mem.  Batches are each sorted; a later
 * batch can hold rows nearer than the end of an earlier one, which
 * relaxed_order returns and strict_order skips.
 */
#include "postgres.h"

#include "hnsw_pagegraph.h"
#include "hnswreuse.h"
#include "hnswscan.h"

#include <math.h>

#include "access/relscan.h"
#include "executor/instrument.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "utils/memutils.h"
#include "utils/rel.h"

typedef struct HnswScanOpaqueData
{
	HnswIndexInfo info;
	HnswDiskGraph graph;
	HnswSearch *search;			/* reused by every rescan */
	void	   *query;			/* the search's query (in ctx) */
	MemoryContext ctx;			/* everything one search allocates */
	bool		searched;		/* results are ready */
	HnswNode   *results;		/* found elements, nearest first */
	int			nresults;
	int			pos;			/* next result to return */
	int			tidpos;			/* next heap TID of results[pos] */
	int			iterative;		/* hnsw.iterative_scan at the first call */
	bool		exhausted;		/* no further batch to search */
	int64		returned;		/* heap TIDs returned */
	float		last_dist;		/* distance of the last result returned */
	HnswScanCounters counters;	/* over every rescan (hnswscan.h) */
} HnswScanOpaqueData;

typedef HnswScanOpaqueData *HnswScanOpaque;

IndexScanDesc
hnswbeginscan(Relation index, int nkeys, int norderbys)
{
	IndexScanDesc scan = RelationGetIndexScan(index, nkeys, norderbys);
	HnswScanOpaque so = palloc0(sizeof(HnswScanOpaqueData));

	so->ctx = AllocSetContextCreate(CurrentMemoryContext, "hnsw scan",
									ALLOCSET_DEFAULT_SIZES);
	hnsw_disk_graph_init(&so->graph, &so->info, true);
	hnsw_index_info(index, &so->info, NULL);
	so->search = hnsw_search_create(&hnsw_disk_ops, &so->graph, so->info.m);
	so->search->fixed_ties = true;
	scan->opaque = so;
	hnsw_reuse_watch(scan, so->ctx);
	return scan;
}

void
hnswrescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys,
		   int norderbys)
{
	HnswScanOpaque so = (HnswScanOpaque) scan->opaque;

	if (keys && scan->numberOfKeys > 0)
		memmove(scan->keyData, keys, scan->numberOfKeys * sizeof(ScanKeyData));
	if (orderbys && scan->numberOfOrderBys > 0)
		memmove(scan->orderByData, orderbys,
				scan->numberOfOrderBys * sizeof(ScanKeyData));
	so->searched = false;
	so->results = NULL;
	so->query = NULL;
	so->nresults = so->pos = so->tidpos = 0;
	so->exhausted = false;
	so->returned = 0;
	so->last_dist = -INFINITY;
	MemoryContextReset(so->ctx);	/* also forgets the scan's note */
	hnsw_disk_graph_forget_tids(&so->graph);	/* they were in so->ctx */
	hnsw_reuse_watch(scan, so->ctx);
}

/*
 * What a search step is measured against: the search's running counts,
 * the backend's buffer usage and the clock, read before the step and
 * added to the scan's counters after it (counting_end).
 */
typedef struct HnswScanMark
{
	int64		expanded;
	int64		distances;
	int64		hits;
	int64		reads;
	instr_time	start;
} HnswScanMark;

static inline int64
buffers_hit(void)
{
	return pgBufferUsage.shared_blks_hit + pgBufferUsage.local_blks_hit;
}

static inline int64
buffers_read(void)
{
	return pgBufferUsage.shared_blks_read + pgBufferUsage.local_blks_read;
}

static void
counting_begin(HnswScanOpaque so, HnswScanMark *mark)
{
	mark->expanded = so->search->nexpanded;
	mark->distances = so->search->ndistances;
	mark->hits = buffers_hit();
	mark->reads = buffers_read();
	INSTR_TIME_SET_CURRENT(mark->start);
}

static void
counting_end(HnswScanOpaque so, const HnswScanMark *mark)
{
	instr_time	elapsed;

	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, mark->start);
	so->counters.search_ms += INSTR_TIME_GET_MILLISEC(elapsed);
	so->counters.visited += so->search->nexpanded - mark->expanded;
	so->counters.distances += so->search->ndistances - mark->distances;
	so->counters.pages_hit += buffers_hit() - mark->hits;
	so->counters.pages_read += buffers_read() - mark->reads;
}

const HnswScanCounters *
hnsw_scan_counters(IndexScanDesc scan)
{
	if (scan->indexRelation->rd_indam->amgettuple != hnswgettuple ||
		scan->opaque == NULL)
		return NULL;
	return &((HnswScanOpaque) scan->opaque)->counters;
}

/*
 * The query vector of the scan, in the form the index stores vectors.
 * A NULL query (possible only through a parameter) orders every row at a
 * NULL distance, so any order is right: a zero vector serves.
 */
static void *
scan_query(IndexScanDesc scan, HnswScanOpaque so)
{
	ScanKey		key = &scan->orderByData[0];
	void	   *query = NULL;
	int			dim;

	if (!(key->sk_flags & SK_ISNULL))
	{
		/* prepared unchecked, for the message the distance function gives */
		HnswIndexInfo unchecked = so->info;

		unchecked.dim = 0;
		query = hnsw_prepare_vector(&unchecked, key->sk_argument, &dim);
		if (dim != so->info.dim)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 so->info.vectype == HNSW_VEC_BIT ?
					 errmsg("different bit lengths %d and %d",
							so->info.dim, dim) :
					 errmsg("different %s dimensions %d and %d",
							hnsw_vector_type_name(so->info.vectype),
							so->info.dim, dim)));
	}
	/* a zero vector under cosine has no direction: every distance ties */
	if (query == NULL)
		query = palloc0(so->info.vecbytes);
	return query;
}

/* The first search of a scan (or rescan): descent, then layer 0 */
static void
search_graph(IndexScanDesc scan, HnswScanOpaque so)
{
	HnswMetaPageData meta;
	void	   *query;
	int			l;

	/* the entry point (and, once, the dimension count) may have changed */
	hnsw_index_info(scan->indexRelation, &so->info, &meta);
	if (meta.entry_level < 0)
		return;					/* empty index */

	query = scan_query(scan, so);
	so->query = query;

	hnsw_search_begin(so->search, query);
	if (hnsw_search_seed(so->search, hnsw_tid_key(meta.entry_blkno, meta.entry_offno)))
	{
		for (l = meta.entry_level; l > 0; l--)
			hnsw_search_layer(so->search, 1, l);
		hnsw_search_add_entry(so->search);
		if (so->iterative == HNSW_ITERATIVE_OFF)
		{
			hnsw_search_layer(so->search, hnsw_ef_search, 0);
			so->nresults = hnsw_search_sorted(so->search, &so->results);
		}
		else
		{
			hnsw_search_iter_start(so->search);
			so->nresults = hnsw_search_iter_next(so->search, hnsw_ef_search,
												 &so->results);
		}
		so->counters.batches++;
	}
	hnsw_disk_graph_release(&so->graph);
}

static void
scan_search(IndexScanDesc scan, HnswScanOpaque so)
{
	HnswScanMark mark;

	counting_begin(so, &mark);
	so->counters.searches++;
	search_graph(scan, so);
	counting_end(so, &mark);
}

/*
 * The next batch of an iterative scan, unless a bound is reached: the rows
 * returned (hnsw.max_scan_tuples) or the search's memory
 * (hnsw.scan_mem_multiplier times work_mem).  Returns false when done.
 */
static bool
scan_next_batch(HnswScanOpaque so)
{
	MemoryContext oldctx;
	double		mem_limit = hnsw_scan_mem_multiplier * work_mem * 1024.0;
	HnswScanMark mark;

	if (so->iterative == HNSW_ITERATIVE_OFF || so->exhausted ||
		so->returned >= hnsw_max_scan_tuples ||
		(double) (hnsw_search_mem(so->search) +
				  hnsw_disk_graph_mem(&so->graph)) >= mem_limit)
		return false;

	counting_begin(so, &mark);
	so->counters.batches++;
	oldctx = MemoryContextSwitchTo(so->ctx);
	if (so->results)
		pfree(so->results);
	so->results = NULL;
	so->nresults = hnsw_search_iter_next(so->search, hnsw_ef_search, &so->results);
	so->pos = so->tidpos = 0;
	hnsw_disk_graph_release(&so->graph);
	MemoryContextSwitchTo(oldctx);
	counting_end(so, &mark);
	if (so->nresults == 0)
		so->exhausted = true;
	return so->nresults > 0;
}

bool
hnswgettuple(IndexScanDesc scan, ScanDirection dir)
{
	HnswScanOpaque so = (HnswScanOpaque) scan->opaque;

	if (!ScanDirectionIsForward(dir))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("hnsw index scans can only go forward")));

	if (!so->searched)
	{
		MemoryContext oldctx;

		if (scan->numberOfOrderBys == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("an hnsw index can only be scanned with ORDER BY a distance operator")));
		so->iterative = hnsw_iterative_scan;
		/* pg_stat_*_indexes.idx_scan, as other index AMs count it */
		pgstat_count_index_scan(scan->indexRelation);
		oldctx = MemoryContextSwitchTo(so->ctx);
		scan_search(scan, so);
		MemoryContextSwitchTo(oldctx);
		so->searched = true;
	}

	for (;;)
	{
		while (so->pos < so->nresults)
		{
			HnswNode   *node = &so->results[so->pos];

			/* strict order: drop what a later batch found nearer */
			if (so->tidpos == 0 && so->iterative == HNSW_ITERATIVE_STRICT &&
				node->dist < so->last_dist)
			{
				so->pos++;
				continue;
			}
			if (so->tidpos < node->ntids)
			{
				scan->xs_heaptid = hnsw_disk_node_tid(&so->graph, node,
													  so->tidpos++);
				scan->xs_recheck = false;
				scan->xs_recheckorderby = false;
				so->last_dist = Max(so->last_dist, node->dist);
				so->returned++;
				so->counters.tuples++;
				/* only `vector`'s distance functions take the note */
				if (so->info.vectype == HNSW_VEC_FLOAT)
					hnsw_reuse_returned(scan, so->info.kind, so->query,
										so->info.dim, node->dist);
				return true;
			}
			so->pos++;
			so->tidpos = 0;
		}
		if (!scan_next_batch(so))
		{
			hnsw_reuse_forget(scan);
			return false;
		}
	}
}

void
hnswendscan(IndexScanDesc scan)
{
	HnswScanOpaque so = (HnswScanOpaque) scan->opaque;

	hnsw_disk_graph_release(&so->graph);
	hnsw_search_free(so->search);
	MemoryContextDelete(so->ctx);
	pfree(so);
	scan->opaque = NULL;
}
