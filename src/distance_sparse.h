/*
 * distance_sparse.h
 *	  Distance kernels over sparse vectors: merges of two sorted index lists,
 *	  called directly from C (no fmgr per distance).
 *
 * Plain C with no PostgreSQL dependency, like distance.h, so the unit test
 * (test/unit/test_sparse.c) builds them standalone.
 *
 * A sparse operand is nnz strictly increasing indices and nnz values; every
 * position missing from the index list holds 0.  The sums visit the union
 * of both index lists in increasing index order and add one term per
 * position, so:
 *   - the result is the same bits whichever operand comes first (each term
 *     is symmetric in its two values and the order of the terms depends on
 *     the union only);
 *   - the result is the same bits as the dense sum over all positions in
 *     index order (the zero terms of positions neither operand holds leave a
 *     sum unchanged), which is how the unit test checks them.
 * The float variants accumulate in float4 (as the dense kernels' portable
 * variant does, and as pgvector's sparse functions do); the double
 * variants are the slow path for when a float sum is not finite.
 *
 * The work is a sequential merge with a data-dependent branch per step, so
 * there is no vector-instruction variant to dispatch to.
 */
#ifndef VECINDEX_DISTANCE_SPARSE_H
#define VECINDEX_DISTANCE_SPARSE_H

#include <stdint.h>

/* One sparse operand, as the kernels read it. */
typedef struct VecSparse
{
	int			nnz;			/* number of stored (non-zero) elements */
	const int32_t *indices;		/* nnz strictly increasing indices */
	const float *values;		/* their values */
} VecSparse;

/* sum(a[i] * b[i]) */
extern float vec_sparse_inner_product(const VecSparse *a, const VecSparse *b);
extern double vec_sparse_inner_product_double(const VecSparse *a,
											  const VecSparse *b);

/* sum((a[i] - b[i])^2) */
extern float vec_sparse_l2_squared(const VecSparse *a, const VecSparse *b);
extern double vec_sparse_l2_squared_double(const VecSparse *a,
										   const VecSparse *b);

/* sum(|a[i] - b[i]|) */
extern float vec_sparse_l1(const VecSparse *a, const VecSparse *b);
extern double vec_sparse_l1_double(const VecSparse *a, const VecSparse *b);

/* sum(a[i]^2), in index order */
extern float vec_sparse_sum_squares(const VecSparse *a);
extern double vec_sparse_sum_squares_double(const VecSparse *a);

#endif							/* VECINDEX_DISTANCE_SPARSE_H */
