/*
 * hnsw.c
 *	  Module initialisation, the hnsw access method handler, index options,
 *	  the cost model and opclass validation.
 */
#include "postgres.h"

#include "compat.h"
#include "hnsw.h"
#include "hnswrecent.h"
#include "hnswreuse.h"
#include "hnswscan.h"

#include <math.h>

#include "access/amvalidate.h"
#include "access/htup_details.h"
#include "access/reloptions.h"
#include "access/sysattr.h"
#include "catalog/pg_amop.h"
#include "catalog/pg_amproc.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_type.h"
#include "commands/progress.h"
#include "commands/vacuum.h"
#include "distance.h"
#include "distance_bit.h"
#include "optimizer/optimizer.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/selfuncs.h"
#include "utils/syscache.h"

PG_MODULE_MAGIC;

int			hnsw_ef_search = HNSW_DEFAULT_EF_SEARCH;
int			hnsw_iterative_scan = HNSW_ITERATIVE_OFF;
int			hnsw_max_scan_tuples = 20000;
double		hnsw_scan_mem_multiplier = 1.0;
bool		hnsw_build_half_precision = true;
bool		hnsw_build_sq8 = true;

static const struct config_enum_entry hnsw_iterative_scan_options[] = {
	{"off", HNSW_ITERATIVE_OFF, false},
	{"relaxed_order", HNSW_ITERATIVE_RELAXED, false},
	{"strict_order", HNSW_ITERATIVE_STRICT, false},
	{NULL, 0, false}
};

static relopt_kind hnsw_relopt_kind;

void		_PG_init(void);

void
_PG_init(void)
{
	vec_kernels_init();
	vec_half_kernels_init();
	vec_sq8_kernels_init();
	vec_bit_kernels_init();
	hnsw_reuse_init();
	hnsw_recent_init();
	hnsw_scanstats_init();

	hnsw_relopt_kind = add_reloption_kind();
	add_int_reloption(hnsw_relopt_kind, "m",
					  "Maximum number of links per element on each upper layer (twice that on layer 0)",
					  HNSW_DEFAULT_M, HNSW_MIN_M, HNSW_MAX_M, AccessExclusiveLock);
	add_int_reloption(hnsw_relopt_kind, "ef_construction",
					  "Size of the candidate list while building the graph",
					  HNSW_DEFAULT_EF_CONSTRUCTION, HNSW_MIN_EF_CONSTRUCTION,
					  HNSW_MAX_EF_CONSTRUCTION, AccessExclusiveLock);

	DefineCustomIntVariable("hnsw.ef_search",
							"Sets the size of the candidate list of hnsw index scans.",
							"Larger values find more of the true nearest neighbours, "
							"more slowly, and bound how many rows a scan returns.",
							&hnsw_ef_search, HNSW_DEFAULT_EF_SEARCH,
							HNSW_MIN_EF_SEARCH, HNSW_MAX_EF_SEARCH,
							PGC_USERSET, GUC_EXPLAIN, NULL, NULL, NULL);
	DefineCustomEnumVariable("hnsw.iterative_scan",
							 "Lets an hnsw scan go on past its first ef_search results.",
							 "With a WHERE clause that rejects most of the nearest rows, "
							 "off returns what survives of ef_search candidates; "
							 "relaxed_order and strict_order keep searching until the "
							 "LIMIT is met or a bound is reached.  strict_order never "
							 "returns a row nearer than one already returned.",
							 &hnsw_iterative_scan, HNSW_ITERATIVE_OFF,
							 hnsw_iterative_scan_options,
							 PGC_USERSET, GUC_EXPLAIN, NULL, NULL, NULL);
	DefineCustomIntVariable("hnsw.max_scan_tuples",
							"Sets the most rows an iterative hnsw scan returns.",
							NULL,
							&hnsw_max_scan_tuples, 20000, 1, INT_MAX,
							PGC_USERSET, GUC_EXPLAIN, NULL, NULL, NULL);
	DefineCustomRealVariable("hnsw.scan_mem_multiplier",
							 "Sets the memory an iterative hnsw scan may use, as a multiple of work_mem.",
							 NULL,
							 &hnsw_scan_mem_multiplier, 1.0, 1.0, 1000.0,
							 PGC_USERSET, GUC_EXPLAIN, NULL, NULL, NULL);
	DefineCustomBoolVariable("hnsw.build_half_precision",
							 "Lets an hnsw build choose links with half-precision copies of the vectors.",
							 "Only the build's own graph distances use them (the index "
							 "stores and scans full precision); they cost 2 bytes per "
							 "dimension of maintenance_work_mem, are used only when the "
							 "graph still fits with them, and are given up by themselves "
							 "for data half precision cannot tell apart.",
							 &hnsw_build_half_precision, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("hnsw.build_8bit",
							 "Lets a serial hnsw build under L2 search its graph with 8-bit copies of the vectors.",
							 "Calibrated on the first 1,024 rows (one scale for all "
							 "dimensions) and used on top of the half-precision copies, "
							 "which take over for data the codes cannot tell apart; they "
							 "cost 1 byte per dimension of maintenance_work_mem and are "
							 "used only when the graph still fits with them.",
							 &hnsw_build_sq8, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	VecMarkGUCPrefixReserved("hnsw");
}

static bytea *
hnswoptions(Datum reloptions, bool validate)
{
	static const relopt_parse_elt tab[] = {
		{"m", RELOPT_TYPE_INT, offsetof(HnswOptions, m)},
		{"ef_construction", RELOPT_TYPE_INT, offsetof(HnswOptions, ef_construction)},
	};
	HnswOptions *opts = (HnswOptions *) build_reloptions(reloptions, validate,
														 hnsw_relopt_kind,
														 sizeof(HnswOptions),
														 tab, lengthof(tab));

	if (validate && opts && opts->ef_construction < 2 * opts->m)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ef_construction must be greater than or equal to 2 * m")));
	return (bytea *) opts;
}

/*
 * The index's m and (unless ef_construction is NULL) ef_construction
 * options, the defaults where not given
 */
void
hnsw_index_options(Relation index, int *m, int *ef_construction)
{
	HnswOptions *opts = (HnswOptions *) index->rd_options;

	*m = opts ? opts->m : HNSW_DEFAULT_M;
	if (ef_construction)
		*ef_construction = opts ? opts->ef_construction :
			HNSW_DEFAULT_EF_CONSTRUCTION;
}

/*
 * What the planner charges an index path that may return fewer rows than
 * the query asks for (below): far more than any real plan costs, so the
 * planner takes the exact plan instead, yet below disable_cost, so that
 * with enable_seqscan = off (how users force an index) the index is still
 * chosen.  (PostgreSQL 18 compares the count of disabled nodes before the
 * costs: the outcome is the same.)
 */
#define HNSW_SHORT_SCAN_COST	1.0e9

/* The LIMIT a generic plan of LIMIT $1 is taken to have */
#define HNSW_PLAN_UNKNOWN_LIMIT	10

/*
 * The selectivity of the table's own filters that do not involve the
 * indexed column and that a partial index's predicate does not imply:
 * those reject rows the scan returns, in no relation to their order.  A filter on the distance itself (WHERE v <-> q < r) is left
 * out: the rows it keeps come first, so it never makes the scan run short
 * of rows that exist.
 */
static Selectivity
filter_selectivity(PlannerInfo *root, IndexOptInfo *index)
{
	Bitmapset  *keyattrs = NULL;
	List	   *filters = NIL;
	ListCell   *lc;
	int			i;

	for (i = 0; i < index->ncolumns; i++)
		if (index->indexkeys[i] != 0)
			keyattrs = bms_add_member(keyattrs, index->indexkeys[i] -
									  FirstLowInvalidHeapAttributeNumber);
	pull_varattnos((Node *) index->indexprs, index->rel->relid, &keyattrs);
	/* a partial index's predicate is no filter: its rows all pass it */
	foreach(lc, index->indrestrictinfo)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		Bitmapset  *attrs = NULL;

		pull_varattnos((Node *) rinfo->clause, index->rel->relid, &attrs);
		if (!bms_overlap(attrs, keyattrs))
			filters = lappend(filters, rinfo);
	}
	if (filters == NIL)
		return 1.0;
	return clauselist_selectivity(root, filters, index->rel->relid,
								  JOIN_INNER, NULL);
}

/*
 * Whether a scan may return fewer rows than the query asks for although
 * the table has them: without iterative scans it returns the rows of at
 * most ef_search elements, of which the filters keep their selectivity's
 * share; a LIMIT (or, without one, every row) asking for more is left
 * short.  The planner must then prefer the exact plan.
 */
static bool
scan_may_run_short(PlannerInfo *root, IndexOptInfo *index)
{
	double		yield;
	double		wanted;
	Selectivity sel;

	if (hnsw_iterative_scan != HNSW_ITERATIVE_OFF)
		return false;
	sel = filter_selectivity(root, index);
	yield = hnsw_ef_search * sel;
	if (root->limit_tuples > 0)
		wanted = root->limit_tuples;
	else if (root->parse->limitCount != NULL)
		wanted = HNSW_PLAN_UNKNOWN_LIMIT;
	else
		wanted = index->rel->rows;
	return wanted > yield && index->rel->rows > yield;
}

/*
 * The cost of an ordered scan.
 *
 * All the work happens before the first row comes back, so the startup
 * cost is the whole search: about 2*m*ef_search elements visited on layer 0
 * plus a few per upper layer, each a distance and a page access.  A graph
 * index is only fast when it is cached, and the page accesses of an index
 * that fits in effective_cache_size are charged as cached reads (a tenth
 * of a sequential page); a larger index pays random_page_cost.  Without an
 * ORDER BY on the opclass's operator the index cannot answer at all.
 */
static void
hnswcostestimate(PlannerInfo *root, IndexPath *path, double loop_count,
				 Cost *indexStartupCost, Cost *indexTotalCost,
				 Selectivity *indexSelectivity, double *indexCorrelation,
				 double *indexPages)
{
	IndexOptInfo *index = path->indexinfo;
	double		ntuples = Max(index->tuples, 1.0);
	double		pages = Max(index->pages, 1.0);
	Relation	rel;
	int			m;
	double		layers;
	double		visited;
	double		page_cost;
	double		cost;
	double		batch;
	double		charged;

	if (path->indexorderbys == NIL)
	{
		/* far above disable_cost, so even enable_seqscan=off avoids it */
		VEC_DISABLE_INDEX_PATH(path);
		*indexStartupCost = 1.0e30;
		*indexTotalCost = 1.0e30;
		*indexSelectivity = 0;
		*indexCorrelation = 0;
		*indexPages = 0;
		return;
	}

	rel = index_open(index->indexoid, NoLock);
	hnsw_index_options(rel, &m, NULL);
	index_close(rel, NoLock);

	layers = Max(log(ntuples) / log((double) m), 1.0);
	visited = Min(ntuples, 2.0 * m * hnsw_ef_search + layers * m);
	page_cost = pages <= effective_cache_size ? 0.1 * seq_page_cost :
		random_page_cost;

	/*
	 * The exact plan the index competes with reads every row's vector too,
	 * but of a vector stored out of line (TOAST) the planner charges that
	 * plan nothing beyond the table's main fork.  Charged a page for each
	 * element its search visits, an index of wide vectors lost to an exact
	 * scan that is in truth many times slower (2,000 rows of vector(1536):
	 * 11.6 ms for the scan and sort, about 1 ms through the index).  So the
	 * index's page reads are charged at most as many as the table's main
	 * fork has: what the exact plan is charged for reading the same
	 * vectors.
	 */
	charged = Min(Min(visited, pages), Max(index->rel->pages, 1.0));

	cost = visited * (cpu_index_tuple_cost + cpu_operator_cost) +
		charged * page_cost;

	/*
	 * The search yields about ef_search rows.  Each further ef_search rows
	 * cost a resumed search with hnsw.iterative_scan (it visits new
	 * elements only: 0.4 to 0.7 of a search per batch, measured on
	 * Fashion-MNIST at 1% and 10% selectivity), and never come without it
	 * -- there, charge a whole search per batch.  This keeps the planner from an index scan
	 * when a selective filter would make it read far past the first batch:
	 * a sequential scan and sort is then cheaper, and exact.
	 */
	batch = hnsw_iterative_scan == HNSW_ITERATIVE_OFF ? cost : cost / 2;
	if (scan_may_run_short(root, index))
		cost += HNSW_SHORT_SCAN_COST;
	*indexStartupCost = cost;
	*indexTotalCost = cost + batch * Max(ntuples / Max(hnsw_ef_search, 1) - 1, 0.0);
	*indexSelectivity = 1.0;
	*indexCorrelation = 0;
	*indexPages = charged;
}

/* Checks an opclass: an ORDER BY operator 1 and support function 1. */
static bool
hnswvalidate(Oid opclassoid)
{
	HeapTuple	classtup = SearchSysCache1(CLAOID, ObjectIdGetDatum(opclassoid));
	Form_pg_opclass classform;
	CatCList   *oprlist;
	CatCList   *proclist;
	bool		has_order = false;
	bool		has_proc = false;
	bool		ok = true;
	int			i;

	if (!HeapTupleIsValid(classtup))
		elog(ERROR, "cache lookup failed for operator class %u", opclassoid);
	classform = (Form_pg_opclass) GETSTRUCT(classtup);

	oprlist = SearchSysCacheList1(AMOPSTRATEGY, ObjectIdGetDatum(classform->opcfamily));
	for (i = 0; i < oprlist->n_members; i++)
	{
		Form_pg_amop op = (Form_pg_amop) GETSTRUCT(&oprlist->members[i]->tuple);

		if (op->amopstrategy == 1 && op->amoppurpose == AMOP_ORDER)
			has_order = true;
		else
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("hnsw operator class \"%s\" contains unsupported operator %s",
							NameStr(classform->opcname),
							format_operator(op->amopopr))));
			ok = false;
		}
	}
	proclist = SearchSysCacheList1(AMPROCNUM, ObjectIdGetDatum(classform->opcfamily));
	for (i = 0; i < proclist->n_members; i++)
	{
		Form_pg_amproc proc = (Form_pg_amproc) GETSTRUCT(&proclist->members[i]->tuple);

		if (proc->amprocnum == HNSW_DISTANCE_PROC &&
			check_amproc_signature(proc->amproc, INTERNALOID, true, 1, 1, INTERNALOID))
			has_proc = true;
		else
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("hnsw operator class \"%s\" contains invalid support function %d",
							NameStr(classform->opcname), proc->amprocnum)));
			ok = false;
		}
	}
	if (!has_order || !has_proc)
	{
		ereport(INFO,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("hnsw operator class \"%s\" needs ordering operator 1 and support function 1",
						NameStr(classform->opcname))));
		ok = false;
	}
	ReleaseCatCacheList(proclist);
	ReleaseCatCacheList(oprlist);
	ReleaseSysCache(classtup);
	return ok;
}

static char *
hnswbuildphasename(int64 phasenum)
{
	switch (phasenum)
	{
		case PROGRESS_CREATEIDX_SUBPHASE_INITIALIZE:
			return "initializing";
		case HNSW_PHASE_BUILD_GRAPH:
			return "building graph";
		case HNSW_PHASE_WRITE_PAGES:
			return "writing pages";
		case HNSW_PHASE_INSERT_PAGES:
			return "inserting into pages";
		default:
			return NULL;
	}
}

PG_FUNCTION_INFO_V1(hnswhandler);
Datum
hnswhandler(PG_FUNCTION_ARGS)
{
	IndexAmRoutine *am = makeNode(IndexAmRoutine);

	am->amstrategies = 0;
	am->amsupport = 1;
	am->amoptsprocnum = 0;
	am->amcanorder = false;
	am->amcanorderbyop = true;
	am->amcanbackward = false;
	am->amcanunique = false;
	am->amcanmulticol = false;
	am->amoptionalkey = true;
	am->amsearcharray = false;
	am->amsearchnulls = false;
	am->amstorage = false;
	am->amclusterable = false;
	am->ampredlocks = false;
	am->amcanparallel = false;
	am->amcaninclude = false;
	/* VACUUM sizes its lists, vector cache and walk by it: parallel
	 * VACUUM then shares maintenance_work_mem among the workers */
	am->amusemaintenanceworkmem = true;
	am->amparallelvacuumoptions = VACUUM_OPTION_PARALLEL_BULKDEL;
	am->amkeytype = InvalidOid;

	am->ambuild = hnswbuild;
	am->ambuildempty = hnswbuildempty;
	am->aminsert = hnswinsert;
	am->ambulkdelete = hnswbulkdelete;
	am->amvacuumcleanup = hnswvacuumcleanup;
	am->amcanreturn = NULL;
	am->amcostestimate = hnswcostestimate;
	am->amoptions = hnswoptions;
	am->amproperty = NULL;
	am->ambuildphasename = hnswbuildphasename;
	am->amvalidate = hnswvalidate;
	am->amadjustmembers = NULL;
	am->ambeginscan = hnswbeginscan;
	am->amrescan = hnswrescan;
	am->amgettuple = hnswgettuple;
	am->amgetbitmap = NULL;
	am->amendscan = hnswendscan;
	am->ammarkpos = NULL;
	am->amrestrpos = NULL;
	am->amestimateparallelscan = NULL;
	am->aminitparallelscan = NULL;
	am->amparallelrescan = NULL;
	VEC_AM_SET_NEWER_FIELDS(am);

	PG_RETURN_POINTER(am);
}

/*
 * Opclass support function 1: tells the index which distance it orders by
 * and what its vectors are made of (hnsw_index_opclass).  The index then
 * calls the matching kernel directly, never through fmgr.  The `vector`
 * opclasses of version 0.1.0 return the kind alone, which still means float.
 */
#define HNSW_SUPPORT_FUNCTION(name, vectype, kind) \
	PG_FUNCTION_INFO_V1(name); \
	Datum name(PG_FUNCTION_ARGS); \
	Datum name(PG_FUNCTION_ARGS) \
	{ PG_RETURN_INT32((vectype) * HNSW_SUPPORT_TYPE_SHIFT + (kind)); }

HNSW_SUPPORT_FUNCTION(hnsw_l2_support, 0, HNSW_DIST_L2)
HNSW_SUPPORT_FUNCTION(hnsw_ip_support, 0, HNSW_DIST_IP)
HNSW_SUPPORT_FUNCTION(hnsw_cosine_support, 0, HNSW_DIST_COSINE)
HNSW_SUPPORT_FUNCTION(hnsw_l1_support, 0, HNSW_DIST_L1)
HNSW_SUPPORT_FUNCTION(hnsw_halfvec_l2_support, HNSW_VEC_HALF, HNSW_DIST_L2)
HNSW_SUPPORT_FUNCTION(hnsw_halfvec_ip_support, HNSW_VEC_HALF, HNSW_DIST_IP)
HNSW_SUPPORT_FUNCTION(hnsw_halfvec_cosine_support, HNSW_VEC_HALF, HNSW_DIST_COSINE)
HNSW_SUPPORT_FUNCTION(hnsw_halfvec_l1_support, HNSW_VEC_HALF, HNSW_DIST_L1)
HNSW_SUPPORT_FUNCTION(hnsw_sparsevec_l2_support, HNSW_VEC_SPARSE, HNSW_DIST_L2)
HNSW_SUPPORT_FUNCTION(hnsw_sparsevec_ip_support, HNSW_VEC_SPARSE, HNSW_DIST_IP)
HNSW_SUPPORT_FUNCTION(hnsw_sparsevec_cosine_support, HNSW_VEC_SPARSE, HNSW_DIST_COSINE)
HNSW_SUPPORT_FUNCTION(hnsw_sparsevec_l1_support, HNSW_VEC_SPARSE, HNSW_DIST_L1)
HNSW_SUPPORT_FUNCTION(hnsw_bit_hamming_support, HNSW_VEC_BIT, HNSW_DIST_HAMMING)
HNSW_SUPPORT_FUNCTION(hnsw_bit_jaccard_support, HNSW_VEC_BIT, HNSW_DIST_JACCARD)
