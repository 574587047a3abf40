/*
 * hnswscanstats.c
 *	  What hnsw index scans did: the last statement's scans for the session
 *	  (hnsw_last_scan()), counters per index for the whole cluster when the
 *	  library is preloaded (hnsw_stat_indexes), and a log line for slow
 *	  statements (hnsw.log_min_duration).
 *
 * An index access method cannot add lines to EXPLAIN, and amgettuple does
 * not see the rows the executor then rejects.  So the counters are
 * gathered at ExecutorEnd, from the plan's index scan nodes: the scan's
 * own counters (hnswscan.h) and, from the node's instrumentation, the rows
 * it passed up and the rows its filter removed.  A statement that runs an
 * hnsw scan gets row instrumentation (INSTRUMENT_ROWS, as auto_explain
 * asks for it: no timing, a few additions per row); other statements are
 * left alone.  hnsw.track_scans = off turns all of this off.
 *
 * The shared counters live in a hash table in shared memory keyed by
 * database and index, sized by hnsw.track_max_indexes; when it is full,
 * the entry with the fewest searches gives way.  They start at zero when
 * the server starts and when hnsw_stat_reset() is called.
 */
#include "postgres.h"

#include "hnsw.h"
#include "hnswscan.h"

#include "access/relscan.h"
#include "catalog/pg_class.h"
#include "commands/defrem.h"
#include "executor/executor.h"
#include "executor/instrument.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "nodes/plannodes.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(hnsw_last_scan);
PG_FUNCTION_INFO_V1(hnsw_stat_index_counters);
PG_FUNCTION_INFO_V1(hnsw_stat_reset);

/* The settings */
static bool hnsw_track_scans = true;
static int	hnsw_log_min_duration = -1;
static int	hnsw_track_max_indexes = 1000;

#define HNSW_TRACK_MAX_INDEXES_MIN	100
#define HNSW_TRACK_MAX_INDEXES_MAX	(INT_MAX / 2)

/* What one scan node of a statement did */
typedef struct HnswScanReport
{
	Oid			indexrelid;
	HnswScanCounters c;
	int64		rows;			/* rows the scan node passed up */
	int64		filtered;		/* rows its filter removed */
} HnswScanReport;

/* The last statement that ran hnsw scans: in TopMemoryContext */
typedef struct HnswLastScans
{
	int			n;
	HnswScanReport reports[FLEXIBLE_ARRAY_MEMBER];
} HnswLastScans;

static HnswLastScans *last_scans = NULL;

/* Shared counters: one entry per database and index */
typedef struct HnswStatKey
{
	Oid			dbid;
	Oid			indexrelid;
} HnswStatKey;

typedef struct HnswStatEntry
{
	HnswStatKey key;			/* hash key: must be first */
	slock_t		mutex;			/* protects the counters below */
	int64		scans;			/* scan nodes that searched */
	HnswScanCounters c;
	int64		rows;
	int64		filtered;
} HnswStatEntry;

typedef struct HnswStatShared
{
	LWLock	   *lock;			/* shared: read and update entries;
								 * exclusive: add and remove them */
} HnswStatShared;

static HnswStatShared *stat_shared = NULL;
static HTAB *stat_hash = NULL;

static ExecutorStart_hook_type prev_executor_start = NULL;
static ExecutorEnd_hook_type prev_executor_end = NULL;
static shmem_request_hook_type prev_shmem_request = NULL;
static shmem_startup_hook_type prev_shmem_startup = NULL;

#define HNSW_STAT_TRANCHE	"vecindex hnsw_stat_indexes"

/* ---------------------------------------------------------------------
 * Which plans run an hnsw scan
 * ---------------------------------------------------------------------
 */

/* Whether the index is one of the hnsw access method */
static bool
is_hnsw_index(Oid indexrelid)
{
	Oid			amoid = get_index_am_oid("hnsw", true);
	HeapTuple	tuple;
	bool		result = false;

	if (!OidIsValid(amoid))
		return false;
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(indexrelid));
	if (HeapTupleIsValid(tuple))
	{
		result = ((Form_pg_class) GETSTRUCT(tuple))->relam == amoid;
		ReleaseSysCache(tuple);
	}
	return result;
}

static bool plan_list_has_hnsw_scan(List *plans);

/*
 * Whether the plan tree holds an index scan of an hnsw index.  Only
 * ordered scans can be hnsw scans (it has no other kind), so only their
 * indexes are looked up.
 */
static bool
plan_has_hnsw_scan(Plan *plan)
{
	if (plan == NULL)
		return false;
	check_stack_depth();
	if (IsA(plan, IndexScan))
	{
		IndexScan  *scan = (IndexScan *) plan;

		if (scan->indexorderby != NIL && is_hnsw_index(scan->indexid))
			return true;
	}
	if (plan_has_hnsw_scan(plan->lefttree) ||
		plan_has_hnsw_scan(plan->righttree))
		return true;
	switch (nodeTag(plan))
	{
		case T_Append:
			return plan_list_has_hnsw_scan(((Append *) plan)->appendplans);
		case T_MergeAppend:
			return plan_list_has_hnsw_scan(((MergeAppend *) plan)->mergeplans);
		case T_BitmapAnd:
			return plan_list_has_hnsw_scan(((BitmapAnd *) plan)->bitmapplans);
		case T_BitmapOr:
			return plan_list_has_hnsw_scan(((BitmapOr *) plan)->bitmapplans);
		case T_SubqueryScan:
			return plan_has_hnsw_scan(((SubqueryScan *) plan)->subplan);
		case T_CustomScan:
			return plan_list_has_hnsw_scan(((CustomScan *) plan)->custom_plans);
		default:
			return false;
	}
}

static bool
plan_list_has_hnsw_scan(List *plans)
{
	ListCell   *lc;

	foreach(lc, plans)
	{
		if (plan_has_hnsw_scan((Plan *) lfirst(lc)))
			return true;
	}
	return false;
}

static bool
statement_has_hnsw_scan(PlannedStmt *stmt)
{
	return stmt != NULL &&
		(plan_has_hnsw_scan(stmt->planTree) ||
		 plan_list_has_hnsw_scan(stmt->subplans));
}

/* ---------------------------------------------------------------------
 * Collecting a statement's scans
 * ---------------------------------------------------------------------
 */
typedef struct HnswCollect
{
	List	   *reports;		/* of HnswScanReport, in CurrentMemoryContext */
} HnswCollect;

static bool
collect_scan(PlanState *ps, void *arg)
{
	HnswCollect *collect = (HnswCollect *) arg;

	if (ps == NULL)
		return false;
	if (IsA(ps, IndexScanState))
	{
		IndexScanState *iss = (IndexScanState *) ps;
		const HnswScanCounters *c = NULL;

		if (iss->iss_ScanDesc != NULL)
			c = hnsw_scan_counters(iss->iss_ScanDesc);
		if (c != NULL && c->searches > 0)
		{
			HnswScanReport *r = palloc0(sizeof(HnswScanReport));

			r->indexrelid = RelationGetRelid(iss->iss_RelationDesc);
			r->c = *c;
			if (ps->instrument)
			{
				/* the running loop is not folded in before ExecutorEnd */
				r->rows = (int64) (ps->instrument->ntuples +
								   ps->instrument->tuplecount);
				r->filtered = (int64) ps->instrument->nfiltered1;
			}
			collect->reports = lappend(collect->reports, r);
		}
	}
	return planstate_tree_walker(ps, collect_scan, arg);
}

static void
remember_last(List *reports)
{
	HnswLastScans *last;
	ListCell   *lc;
	int			i = 0;

	last = MemoryContextAlloc(TopMemoryContext,
							  offsetof(HnswLastScans, reports) +
							  list_length(reports) * sizeof(HnswScanReport));
	last->n = list_length(reports);
	foreach(lc, reports)
		last->reports[i++] = *(HnswScanReport *) lfirst(lc);
	if (last_scans)
		pfree(last_scans);
	last_scans = last;
}

/* Removes the entry with the fewest searches; exclusive lock held */
static void
stat_evict_one(void)
{
	HASH_SEQ_STATUS seq;
	HnswStatEntry *entry;
	HnswStatEntry *victim = NULL;

	hash_seq_init(&seq, stat_hash);
	while ((entry = hash_seq_search(&seq)) != NULL)
	{
		if (victim == NULL || entry->c.searches < victim->c.searches)
			victim = entry;
	}
	if (victim)
		hash_search(stat_hash, &victim->key, HASH_REMOVE, NULL);
}

static void
stat_add(const HnswScanReport *r)
{
	HnswStatKey key;
	HnswStatEntry *entry;
	volatile HnswStatEntry *e;

	memset(&key, 0, sizeof(key));
	key.dbid = MyDatabaseId;
	key.indexrelid = r->indexrelid;

	LWLockAcquire(stat_shared->lock, LW_SHARED);
	entry = hash_search(stat_hash, &key, HASH_FIND, NULL);
	if (entry == NULL)
	{
		bool		found;

		LWLockRelease(stat_shared->lock);
		LWLockAcquire(stat_shared->lock, LW_EXCLUSIVE);
		entry = hash_search(stat_hash, &key, HASH_FIND, NULL);
		if (entry == NULL)
		{
			if (hash_get_num_entries(stat_hash) >= hnsw_track_max_indexes)
				stat_evict_one();
			entry = hash_search(stat_hash, &key, HASH_ENTER, &found);
			Assert(!found);
			memset((char *) entry + sizeof(HnswStatKey), 0,
				   sizeof(HnswStatEntry) - sizeof(HnswStatKey));
			SpinLockInit(&entry->mutex);
		}
	}

	e = entry;
	SpinLockAcquire(&e->mutex);
	e->scans++;
	e->c.searches += r->c.searches;
	e->c.batches += r->c.batches;
	e->c.visited += r->c.visited;
	e->c.distances += r->c.distances;
	e->c.pages_hit += r->c.pages_hit;
	e->c.pages_read += r->c.pages_read;
	e->c.tuples += r->c.tuples;
	e->c.search_ms += r->c.search_ms;
	e->rows += r->rows;
	e->filtered += r->filtered;
	SpinLockRelease(&e->mutex);
	LWLockRelease(stat_shared->lock);
}

static void
log_slow(QueryDesc *qd, List *reports)
{
	double		ms;
	ListCell   *lc;

	if (qd->totaltime == NULL)
		return;
	InstrEndLoop(qd->totaltime);
	ms = qd->totaltime->total * 1000.0;
	if (ms < hnsw_log_min_duration)
		return;
	foreach(lc, reports)
	{
		HnswScanReport *r = lfirst(lc);
		char	   *name = get_rel_name(r->indexrelid);

		ereport(LOG,
				(errmsg("hnsw scan of index \"%s\" in a statement of %.3f ms: "
						"searches %lld, batches %lld, elements visited %lld, "
						"distances %lld, pages hit %lld, pages read %lld, "
						"tuples %lld, rows %lld, rows filtered %lld, "
						"search time %.3f ms",
						name ? name : "?", ms,
						(long long) r->c.searches, (long long) r->c.batches,
						(long long) r->c.visited, (long long) r->c.distances,
						(long long) r->c.pages_hit, (long long) r->c.pages_read,
						(long long) r->c.tuples, (long long) r->rows,
						(long long) r->filtered, r->c.search_ms),
				 errdetail("Statement: %s",
						   qd->sourceText ? qd->sourceText : ""),
				 errhidestmt(true)));
	}
}

/* ---------------------------------------------------------------------
 * Executor hooks
 * ---------------------------------------------------------------------
 */
static void
hnsw_executor_start(QueryDesc *qd, int eflags)
{
	bool		tracked = false;

	if (hnsw_track_scans && (eflags & EXEC_FLAG_EXPLAIN_ONLY) == 0 &&
		statement_has_hnsw_scan(qd->plannedstmt))
	{
		tracked = true;
		qd->instrument_options |= INSTRUMENT_ROWS;
	}

	if (prev_executor_start)
		prev_executor_start(qd, eflags);
	else
		standard_ExecutorStart(qd, eflags);

	/* the statement's duration, for hnsw.log_min_duration */
	if (tracked && hnsw_log_min_duration >= 0 && qd->totaltime == NULL)
	{
		MemoryContext oldctx = MemoryContextSwitchTo(qd->estate->es_query_cxt);

		qd->totaltime = InstrAlloc(1, INSTRUMENT_TIMER, false);
		MemoryContextSwitchTo(oldctx);
	}
}

static void
hnsw_executor_end(QueryDesc *qd)
{
	if (hnsw_track_scans && qd->planstate != NULL)
	{
		HnswCollect collect = {NIL};

		collect_scan(qd->planstate, &collect);
		if (collect.reports != NIL)
		{
			ListCell   *lc;

			remember_last(collect.reports);
			if (stat_hash != NULL)
			{
				foreach(lc, collect.reports)
					stat_add(lfirst(lc));
			}
			if (hnsw_log_min_duration >= 0)
				log_slow(qd, collect.reports);
			list_free_deep(collect.reports);
		}
	}

	if (prev_executor_end)
		prev_executor_end(qd);
	else
		standard_ExecutorEnd(qd);
}

/* ---------------------------------------------------------------------
 * Shared memory
 * ---------------------------------------------------------------------
 */
static Size
stat_shmem_size(void)
{
	return add_size(MAXALIGN(sizeof(HnswStatShared)),
					hash_estimate_size(hnsw_track_max_indexes,
									   sizeof(HnswStatEntry)));
}

static void
stat_shmem_request(void)
{
	if (prev_shmem_request)
		prev_shmem_request();
	RequestAddinShmemSpace(stat_shmem_size());
	RequestNamedLWLockTranche(HNSW_STAT_TRANCHE, 1);
}

static void
stat_shmem_startup(void)
{
	bool		found;
	HASHCTL		info;

	if (prev_shmem_startup)
		prev_shmem_startup();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	stat_shared = ShmemInitStruct("vecindex hnsw_stat_indexes",
								  sizeof(HnswStatShared), &found);
	if (!found)
		stat_shared->lock = &(GetNamedLWLockTranche(HNSW_STAT_TRANCHE))->lock;
	memset(&info, 0, sizeof(info));
	info.keysize = sizeof(HnswStatKey);
	info.entrysize = sizeof(HnswStatEntry);
	stat_hash = ShmemInitHash("vecindex hnsw_stat_indexes hash",
							  hnsw_track_max_indexes, hnsw_track_max_indexes,
							  &info, HASH_ELEM | HASH_BLOBS);
	LWLockRelease(AddinShmemInitLock);
}

void
hnsw_scanstats_init(void)
{
	DefineCustomBoolVariable("hnsw.track_scans",
							 "Collects what hnsw index scans do, for hnsw_last_scan() and hnsw_stat_indexes.",
							 "Statements that run an hnsw scan count the rows "
							 "each plan node returns (as EXPLAIN ANALYZE does, "
							 "without timing).",
							 &hnsw_track_scans, true,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("hnsw.log_min_duration",
							"Logs the counters of the hnsw scans of statements that run at least this long.",
							"Zero logs every statement with an hnsw scan; -1 "
							"logs none.  Needs hnsw.track_scans.",
							&hnsw_log_min_duration, -1, -1, INT_MAX,
							PGC_SUSET, GUC_UNIT_MS, NULL, NULL, NULL);

	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = hnsw_executor_start;
	prev_executor_end = ExecutorEnd_hook;
	ExecutorEnd_hook = hnsw_executor_end;

	/* the shared counters exist only if the library is preloaded */
	if (process_shared_preload_libraries_in_progress)
	{
		DefineCustomIntVariable("hnsw.track_max_indexes",
								"Sets how many indexes hnsw_stat_indexes keeps counters for.",
								"Takes effect at server start, with vecindex in "
								"shared_preload_libraries.",
								&hnsw_track_max_indexes, 1000,
								HNSW_TRACK_MAX_INDEXES_MIN, HNSW_TRACK_MAX_INDEXES_MAX,
								PGC_POSTMASTER, 0, NULL, NULL, NULL);

		prev_shmem_request = shmem_request_hook;
		shmem_request_hook = stat_shmem_request;
		prev_shmem_startup = shmem_startup_hook;
		shmem_startup_hook = stat_shmem_startup;
	}
}

/* ---------------------------------------------------------------------
 * SQL functions
 * ---------------------------------------------------------------------
 */
#define HNSW_SCAN_COLUMNS	10	/* the counters' columns in every function */

/* The counters as the functions' columns, from values[0] on */
static void
counters_values(const HnswScanCounters *c, int64 rows, int64 filtered,
				Datum *values)
{
	values[0] = Int64GetDatum(c->searches);
	values[1] = Int64GetDatum(c->batches);
	values[2] = Int64GetDatum(c->visited);
	values[3] = Int64GetDatum(c->distances);
	values[4] = Int64GetDatum(c->pages_hit);
	values[5] = Int64GetDatum(c->pages_read);
	values[6] = Int64GetDatum(c->tuples);
	values[7] = Int64GetDatum(rows);
	values[8] = Int64GetDatum(filtered);
	values[9] = Float8GetDatum(c->search_ms);
}

/*
 * hnsw_last_scan() RETURNS TABLE (index regclass, searches, batches,
 * elements_visited, distances, pages_hit, pages_read, tuples, rows,
 * rows_filtered, search_time): one row per hnsw scan of the session's
 * last statement that ran one.
 */
Datum
hnsw_last_scan(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; last_scans != NULL && i < last_scans->n; i++)
	{
		const HnswScanReport *r = &last_scans->reports[i];
		Datum		values[1 + HNSW_SCAN_COLUMNS];
		bool		nulls[1 + HNSW_SCAN_COLUMNS] = {0};

		values[0] = ObjectIdGetDatum(r->indexrelid);
		counters_values(&r->c, r->rows, r->filtered, &values[1]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

static void
require_shared(void)
{
	if (stat_hash == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("hnsw_stat_indexes needs vecindex in shared_preload_libraries")));
}

/*
 * hnsw_stat_index_counters() RETURNS TABLE (dbid oid, indexrelid oid,
 * scans, searches, ...): the shared counters of every database's indexes.
 */
Datum
hnsw_stat_index_counters(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HASH_SEQ_STATUS seq;
	HnswStatEntry *entry;

	require_shared();
	InitMaterializedSRF(fcinfo, 0);
	LWLockAcquire(stat_shared->lock, LW_SHARED);
	hash_seq_init(&seq, stat_hash);
	while ((entry = hash_seq_search(&seq)) != NULL)
	{
		volatile HnswStatEntry *e = entry;
		Datum		values[3 + HNSW_SCAN_COLUMNS];
		bool		nulls[3 + HNSW_SCAN_COLUMNS] = {0};
		HnswScanCounters c;
		int64		scans,
					rows,
					filtered;

		SpinLockAcquire(&e->mutex);
		scans = e->scans;
		c = e->c;
		rows = e->rows;
		filtered = e->filtered;
		SpinLockRelease(&e->mutex);

		values[0] = ObjectIdGetDatum(entry->key.dbid);
		values[1] = ObjectIdGetDatum(entry->key.indexrelid);
		values[2] = Int64GetDatum(scans);
		counters_values(&c, rows, filtered, &values[3]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	LWLockRelease(stat_shared->lock);
	return (Datum) 0;
}

/*
 * hnsw_stat_reset(index regclass DEFAULT NULL) RETURNS void: forgets the
 * shared counters of one index of this database, or of every index.
 */
Datum
hnsw_stat_reset(PG_FUNCTION_ARGS)
{
	require_shared();
	LWLockAcquire(stat_shared->lock, LW_EXCLUSIVE);
	if (PG_ARGISNULL(0))
	{
		HASH_SEQ_STATUS seq;
		HnswStatEntry *entry;

		hash_seq_init(&seq, stat_hash);
		while ((entry = hash_seq_search(&seq)) != NULL)
			hash_search(stat_hash, &entry->key, HASH_REMOVE, NULL);
	}
	else
	{
		HnswStatKey key;

		memset(&key, 0, sizeof(key));
		key.dbid = MyDatabaseId;
		key.indexrelid = PG_GETARG_OID(0);
		hash_search(stat_hash, &key, HASH_REMOVE, NULL);
	}
	LWLockRelease(stat_shared->lock);
	PG_RETURN_VOID();
}
