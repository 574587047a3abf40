/*
 * hnswstats.c
 *	  hnsw_index_stats(): what an hnsw index holds, as jsonb.
 *
 * It makes the first pass of hnsw_index_check() (hnswcheck.c), so a
 * corrupted page is reported rather than described, and takes the same
 * locks: AccessShareLock, one share-locked buffer at a time.
 */
#include "postgres.h"

#include "hnswcheck.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/fmgrprotos.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(hnsw_index_stats);

static const char *
kind_name(int kind)
{
	switch (kind)
	{
		case HNSW_DIST_L2:
			return "l2";
		case HNSW_DIST_IP:
			return "inner_product";
		case HNSW_DIST_COSINE:
			return "cosine";
		case HNSW_DIST_L1:
			return "l1";
		case HNSW_DIST_HAMMING:
			return "hamming";
		case HNSW_DIST_JACCARD:
			return "jaccard";
	}
	return "unknown";
}

/* The per-layer part of the statistics: elements and out-degrees. */
static void
stats_layers(HnswCheck *st, StringInfo out)
{
	int			top = -1;
	int			l;

	for (l = 0; l <= HNSW_MAX_LEVEL; l++)
		if (st->levelhist[l] > 0)
			top = l;
	appendStringInfoString(out, ", \"level_histogram\": [");
	for (l = 0; l <= top; l++)
		appendStringInfo(out, "%s%lld", l ? ", " : "", (long long) st->levelhist[l]);
	appendStringInfoString(out, "], \"layers\": [");
	for (l = 0; l <= top; l++)
	{
		int64		n = st->layerelems[l];

		appendStringInfo(out, "%s{\"layer\": %d, \"elements\": %lld", l ? ", " : "",
						 l, (long long) n);
		if (n > 0)
			appendStringInfo(out, ", \"avg_out_degree\": %.2f, \"min_out_degree\": %d}",
							 (double) st->degsum[l] / n, st->degmin[l]);
		else
			appendStringInfoString(out, ", \"avg_out_degree\": null, \"min_out_degree\": null}");
	}
	appendStringInfoChar(out, ']');
}

/*
 * hnsw_index_stats(index regclass) RETURNS jsonb
 *
 * One pass over the pages, with the first pass's checks (a corrupted index
 * is reported, not described).
 */
Datum
hnsw_index_stats(PG_FUNCTION_ARGS)
{
	HnswCheck	st;
	HnswMetaPageData *meta = &st.meta;
	StringInfoData out;

	hnsw_check_open(&st, PG_GETARG_OID(0));
	hnsw_check_begin(&st, false);
	hnsw_check_pages(&st);

	initStringInfo(&out);
	appendStringInfo(&out,
					 "{\"elements\": %lld, \"deleted_elements\": %lld, \"live_heap_tids\": %lld",
					 (long long) st.nelem, (long long) st.ndeleted,
					 (long long) st.nlivetids);
	appendStringInfo(&out,
					 ", \"pages\": %u, \"meta_pages\": 1, \"element_pages\": %u, \"unused_pages\": %u",
					 st.nblocks, st.nelempages, st.nnewpages);
	if (meta->entry_level >= 0)
		appendStringInfo(&out,
						 ", \"entry_point\": {\"block\": %u, \"offset\": %u, \"level\": %d}",
						 meta->entry_blkno, meta->entry_offno, meta->entry_level);
	else
		appendStringInfoString(&out, ", \"entry_point\": null");
	appendStringInfo(&out,
					 ", \"m\": %u, \"ef_construction\": %u, \"dimensions\": %u, \"distance\": \"%s\", \"type\": \"%s\"",
					 meta->m, meta->ef_construction, HnswMetaDimensions(meta),
					 kind_name(meta->kind), hnsw_vector_type_name(st.vectype));
	stats_layers(&st, &out);
	if (st.nelem > 0)
		appendStringInfo(&out, ", \"bytes_per_vector\": %.1f",
						 (double) st.nblocks * BLCKSZ / st.nelem);
	else
		appendStringInfoString(&out, ", \"bytes_per_vector\": null");
	appendStringInfo(&out, ", \"free_bytes\": %lld}", (long long) st.freespace);

	hnsw_check_close(&st);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data)));
}
