/*
 * hnswreuse.h
 *	  The distance of the row an hnsw scan returned last, for the SQL
 *	  distance functions to take instead of fetching a TOASTed vector again
 *	  (hnswreuse.c).
 */
#ifndef VECINDEX_HNSWREUSE_H
#define VECINDEX_HNSWREUSE_H

#include "hnsw.h"

extern void hnsw_reuse_init(void);
extern void hnsw_reuse_watch(IndexScanDesc scan, MemoryContext cxt);
extern void hnsw_reuse_returned(IndexScanDesc scan, HnswDistanceKind kind,
								const void *query, int dim, float dist);
extern void hnsw_reuse_forget(IndexScanDesc scan);
extern bool hnsw_reuse_distance(HnswDistanceKind kind, Datum value,
								const Vector *query, float *dist);

#endif							/* VECINDEX_HNSWREUSE_H */
