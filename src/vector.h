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

#include "compat.h"
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

/* ERRORs unless a vector of dim elements fits typmod (-1: any). */
extern void CheckVectorTypmod(int dim, int32 typmod);

/*
 * What the vector types (vector, halfvec) share, with typname the SQL type
 * named in the messages and max_dim its dimension limit:
 *   CheckDimCountOf: ERRORs unless dim is within 1..max_dim;
 *   ReportNonFiniteElement: the ERROR for a NaN (is_nan) or an infinity;
 *   ReportVectorParseError: the ERROR for a failed parse (vectorparse.h),
 *     str the text input (NULL for binary input), elem_size the binary
 *     format's bytes per element;
 *   VectorTypmodIn: the typmod input function's checks, returning it;
 *   VectorArrayElements: the elements of a cast's array argument (palloc),
 *     after checking it is 1-D without NULLs and its length against max_dim
 *     and typmod.
 */
struct ArrayType;
struct VectorParseError;
extern void CheckDimCountOf(int dim, const char *typname, int max_dim);
extern void ReportNonFiniteElement(bool is_nan, const char *typname)
			pg_attribute_noreturn();
extern void ReportVectorParseError(const struct VectorParseError *err,
								   const char *str, const char *typname,
								   int max_dim, int elem_size)
			pg_attribute_noreturn();
extern int32 VectorTypmodIn(struct ArrayType *ta, const char *typname,
							int max_dim);
extern Datum *VectorArrayElements(struct ArrayType *array, int32 typmod,
								  const char *typname, int max_dim, int *n);

/* Euclidean norm, accumulated in double. */
extern double VectorNorm(const Vector *v);

/* The same over n floats (the elements of other types, widened) */
extern double FloatArrayNorm(const float *x, int n);

/*
 * avg's transition state, a float8[] {count, sum_1, ..., sum_dim}, which
 * avg(halfvec) shares (vectorfuncs.c).  CheckAggState returns its values
 * and their count (dim + 1) after checking its shape; WritableAggState
 * returns the state to add a dim-element vector into (the input itself
 * inside an aggregate, else a copy; a zeroed one for the initial {0}).
 */
extern float8 *CheckAggState(struct ArrayType *state, int *n);
extern struct ArrayType *WritableAggState(FunctionCallInfo fcinfo,
										  struct ArrayType *state, int dim);

#endif							/* VECINDEX_VECTOR_H */
