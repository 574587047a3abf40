/*
 * vector.h
 *	  The on-disk and in-memory form of the `vector` type.
 *
 * A vector is a varlena holding a dimension count and that many float4
 * elements.  The layout is the same as the binary send format minus the
 * network byte order, so recv/send are a byte swap per element.
 */
#ifndef VECINDEX_VECTOR_H
#define VECINDEX_VECTOR_H

#include "fmgr.h"

/* Largest dimension count the type accepts (typmod and input). */
#define VECTOR_MAX_DIM 16000

typedef struct Vector
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	int16		dim;			/* number of elements, 1..VECTOR_MAX_DIM */
	int16		unused;			/* reserved for future use, always zero */
	float		x[FLEXIBLE_ARRAY_MEMBER];	/* the elements, all finite */
} Vector;

#define VECTOR_SIZE(_dim)		(offsetof(Vector, x) + sizeof(float) * (_dim))
#define DatumGetVector(d)		((Vector *) PG_DETOAST_DATUM(d))
#define PG_GETARG_VECTOR_P(n)	DatumGetVector(PG_GETARG_DATUM(n))
#define PG_RETURN_VECTOR_P(v)	PG_RETURN_POINTER(v)

/* Allocates a zero-filled vector of the given dimension (palloc). */
extern Vector *InitVector(int dim);

/* ERRORs (data_exception) unless a and b have the same dimension count. */
extern void CheckVectorDims(const Vector *a, const Vector *b);

/* ERRORs unless dim is within 1..VECTOR_MAX_DIM. */
extern void CheckVectorDimCount(int dim);

/* Euclidean norm, accumulated in double. */
extern double VectorNorm(const Vector *v);

/*
 * avg's transition state, a float8[] {count, sum_1, ..., sum_dim}, which
 * avg(halfvec) shares (vectorfuncs.c).  CheckAggState returns its values
 * and their count (dim + 1) after checking its shape; WritableAggState
 * returns the state to add a dim-element vector into (the input itself
 * inside an aggregate, else a copy; a zeroed one for the initial {0}).
 */
struct ArrayType;
extern float8 *CheckAggState(struct ArrayType *state, int *n);
extern struct ArrayType *WritableAggState(FunctionCallInfo fcinfo,
										  struct ArrayType *state, int dim);

#endif							/* VECINDEX_VECTOR_H */
