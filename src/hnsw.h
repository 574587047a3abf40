/*
 * hnsw.h
 *	  What every part of the hnsw access method shares: option limits, the
 *	  run-time settings, what an operation knows about its index, and the
 *	  access method's entry points.  The on-disk format is in hnsw_format.h,
 *	  the graph algorithms in hnsw_graph.h, the page graph in hnsw_pagegraph.h
 *	  and each phase's own declarations in its private header.
 *
 * The design, the byte layout of every page and the locking and WAL rules
 * are described in src/README.hnsw; keep the two in step.
 */
#ifndef VECINDEX_HNSW_H
#define VECINDEX_HNSW_H

#include "access/amapi.h"
#include "nodes/execnodes.h"
#include "utils/relcache.h"

#include "hnsw_format.h"
#include "hnsw_graph.h"
#include "vector.h"

/* ---------------------------------------------------------------------
 * Limits and defaults (the SQL surface matches pgvector's)
 * ---------------------------------------------------------------------
 */
#define HNSW_DEFAULT_M				16
#define HNSW_MIN_M					2
#define HNSW_DEFAULT_EF_CONSTRUCTION 64
#define HNSW_MIN_EF_CONSTRUCTION	4
#define HNSW_MAX_EF_CONSTRUCTION	1000
StaticAssertDecl(HNSW_MAX_EF_CONSTRUCTION <= HNSW_SELECT_MAX_PRUNERS,
				 "a build's candidates must fit the selection's pruner array");
#define HNSW_DEFAULT_EF_SEARCH		40
#define HNSW_MIN_EF_SEARCH			1
#define HNSW_MAX_EF_SEARCH			1000

/*
 * CREATE INDEX's sub-phases, as pg_stat_progress_create_index shows them
 * (hnswbuildphasename), after PROGRESS_CREATEIDX_SUBPHASE_INITIALIZE (1).
 */
#define HNSW_PHASE_BUILD_GRAPH		2	/* inserting into the memory graph */
#define HNSW_PHASE_WRITE_PAGES		3	/* writing the graph to pages */
#define HNSW_PHASE_INSERT_PAGES		4	/* inserting the rest into pages */

/*
 * Support function number of the opclasses: returns the HnswDistanceKind
 * plus the HnswVectorType times HNSW_SUPPORT_TYPE_SHIFT (0 for `vector`).
 */
#define HNSW_DISTANCE_PROC			1
#define HNSW_SUPPORT_TYPE_SHIFT		256

/* ---------------------------------------------------------------------
 * Per-index options and run-time settings
 * ---------------------------------------------------------------------
 */
typedef struct HnswOptions
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int			m;
	int			ef_construction;
} HnswOptions;

extern void hnsw_index_options(Relation index, int *m, int *ef_construction);

extern int	hnsw_ef_search;

/* hnsw.iterative_scan: whether a scan goes on past its first ef_search */
typedef enum HnswIterativeScan
{
	HNSW_ITERATIVE_OFF,			/* one batch of ef_search (pgvector 0.7) */
	HNSW_ITERATIVE_RELAXED,		/* batches; slightly out of order between */
	HNSW_ITERATIVE_STRICT		/* batches; nothing nearer than a row
								 * already returned */
} HnswIterativeScan;

extern int	hnsw_iterative_scan;
extern int	hnsw_max_scan_tuples;
extern double hnsw_scan_mem_multiplier;
extern bool hnsw_build_half_precision;
extern bool hnsw_build_sq8;

/* What an operation needs to know about the index, read once. */
typedef struct HnswIndexInfo
{
	Relation	index;
	HnswDistanceKind kind;
	HnswVectorType vectype;
	HnswDistanceFn distance;
	int			m;
	int			ef_construction;
	int			dim;			/* 0 when not known yet (hnsw_info_set_dim) */
	Size		vecbytes;		/* HnswVectorBytes(vectype, dim); for sparse
								 * vectors, the most any element can take */
	double		ml;				/* level multiplier 1/ln(m) */
} HnswIndexInfo;

/* ---------------------------------------------------------------------
 * Utilities (hnswutils.c)
 * ---------------------------------------------------------------------
 */
extern void hnsw_index_info(Relation index, HnswIndexInfo *info,
							HnswMetaPageData *metap);
extern int	hnsw_random_level(const HnswIndexInfo *info, Size vecbytes);

/* ---------------------------------------------------------------------
 * Vector types and distances (hnswvector.c)
 * ---------------------------------------------------------------------
 */
extern HnswDistanceFn hnsw_distance_fn(HnswVectorType vectype,
									   HnswDistanceKind kind, bool half);
extern void hnsw_index_opclass(Relation index, HnswDistanceKind *kind,
							   HnswVectorType *vectype);
extern const char *hnsw_vector_type_name(HnswVectorType vectype);
extern void hnsw_info_set_dim(HnswIndexInfo *info, int dim);
extern int	hnsw_max_level_for(const HnswIndexInfo *info, Size vecbytes);
extern void hnsw_check_dim(const HnswIndexInfo *info, int dim);
extern void hnsw_check_vector(const HnswIndexInfo *info, const void *vec);
extern void hnsw_check_value_dim(HnswVectorType vectype, int expected, int dim);
extern void *hnsw_prepare_vector(const HnswIndexInfo *info, Datum value,
								 int *dim);

/* The element count of a prepared vector: what its element's dim holds */
static inline int
hnsw_vector_count(const HnswIndexInfo *info, const void *vec)
{
	return HnswVectorCount(info->vectype, info->dim, vec);
}

/* The bytes of a prepared vector */
static inline Size
hnsw_vector_size(const HnswIndexInfo *info, const void *vec)
{
	return info->vectype == HNSW_VEC_SPARSE ?
		HnswVectorBytes(HNSW_VEC_SPARSE, hnsw_vector_count(info, vec)) :
		info->vecbytes;
}

/* ---------------------------------------------------------------------
 * Access method entry points
 * ---------------------------------------------------------------------
 */

/* hnswinsert.c */
extern bool hnswinsert(Relation index, Datum *values, bool *isnull,
					   ItemPointer heap_tid, Relation heap,
					   IndexUniqueCheck checkUnique, bool indexUnchanged,
					   IndexInfo *indexInfo);

/* hnswbuild.c */
extern IndexBuildResult *hnswbuild(Relation heap, Relation index, IndexInfo *indexInfo);
extern void hnswbuildempty(Relation index);

/* hnswscan.c */
extern IndexScanDesc hnswbeginscan(Relation index, int nkeys, int norderbys);
extern void hnswrescan(IndexScanDesc scan, ScanKey keys, int nkeys,
					   ScanKey orderbys, int norderbys);
extern bool hnswgettuple(IndexScanDesc scan, ScanDirection dir);
extern void hnswendscan(IndexScanDesc scan);

/* hnswvacuum.c */
extern IndexBulkDeleteResult *hnswbulkdelete(IndexVacuumInfo *info,
											 IndexBulkDeleteResult *stats,
											 IndexBulkDeleteCallback callback,
											 void *callback_state);
extern IndexBulkDeleteResult *hnswvacuumcleanup(IndexVacuumInfo *info,
												IndexBulkDeleteResult *stats);

#endif							/* VECINDEX_HNSW_H */
