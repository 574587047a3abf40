/*
 * sparsevec.h
 *	  The on-disk and in-memory form of the `sparsevec` type: a vector of up
 *	  to SPARSEVEC_MAX_DIM float4 elements of which at most
 *	  SPARSEVEC_MAX_NNZ are non-zero, stored as (index, value) pairs.
 *
 * The layout matches pgvector's (and the binary send format minus network
 * byte order): a varlena header, the dimension count, the number of stored
 * elements, a reserved int32, then the nnz 0-based indices (strictly
 * increasing) followed by the nnz values (finite, never zero).
 */
#ifndef VECINDEX_SPARSEVEC_H
#define VECINDEX_SPARSEVEC_H

#include "fmgr.h"

#include "distance_sparse.h"

/* Largest dimension count the type accepts (typmod and input). */
#define SPARSEVEC_MAX_DIM 1000000000
/* Largest number of non-zero elements. */
#define SPARSEVEC_MAX_NNZ 16000

typedef struct SparseVector
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	int32		dim;			/* number of dimensions, 1..SPARSEVEC_MAX_DIM */
	int32		nnz;			/* stored elements, 0..Min(dim, MAX_NNZ) */
	int32		unused;			/* reserved for future use, always zero */
	int32		indices[FLEXIBLE_ARRAY_MEMBER]; /* then nnz float4 values */
} SparseVector;

/* nnz is at most SPARSEVEC_MAX_NNZ, so these cannot overflow. */
#define SPARSEVEC_SIZE(_nnz) \
	(offsetof(SparseVector, indices) + (sizeof(int32) + sizeof(float)) * (_nnz))
#define SPARSEVEC_VALUES(_v)	((float *) ((_v)->indices + (_v)->nnz))

#define DatumGetSparseVector(d)		((SparseVector *) PG_DETOAST_DATUM(d))
#define PG_GETARG_SPARSEVEC_P(n)	DatumGetSparseVector(PG_GETARG_DATUM(n))
#define PG_RETURN_SPARSEVEC_P(v)	PG_RETURN_POINTER(v)

/*
 * Allocates a zeroed sparse vector with room for nnz elements (palloc),
 * after checking dim and nnz against the limits.
 */
extern SparseVector *InitSparseVector(int dim, int nnz);

/* The vector as the kernels in distance_sparse.h read it. */
static inline VecSparse
SparseVectorOperand(const SparseVector *v)
{
	VecSparse	s;

	s.nnz = v->nnz;
	s.indices = v->indices;
	s.values = (const float *) (v->indices + v->nnz);
	return s;
}

#endif							/* VECINDEX_SPARSEVEC_H */
