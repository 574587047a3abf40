/*
 * halfvec.h
 *	  The on-disk and in-memory form of the `halfvec` type: a vector of
 *	  IEEE binary16 (half precision) elements.
 *
 * The layout matches pgvector's (and the binary send format minus network
 * byte order): a varlena header, a dimension count, a reserved int16 and
 * the elements' bit patterns.
 */
#ifndef VECINDEX_HALFVEC_H
#define VECINDEX_HALFVEC_H

#include "fmgr.h"

#include "distance.h"

/* Largest dimension count the type accepts (typmod and input). */
#define HALFVEC_MAX_DIM 16000

typedef struct HalfVector
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	int16		dim;			/* number of elements, 1..HALFVEC_MAX_DIM */
	int16		unused;			/* reserved for future use, always zero */
	VecHalf		x[FLEXIBLE_ARRAY_MEMBER];	/* the elements, all finite */
} HalfVector;

#define HALFVEC_SIZE(_dim)		(offsetof(HalfVector, x) + sizeof(VecHalf) * (_dim))
#define DatumGetHalfVector(d)	((HalfVector *) PG_DETOAST_DATUM(d))
#define PG_GETARG_HALFVEC_P(n)	DatumGetHalfVector(PG_GETARG_DATUM(n))
#define PG_RETURN_HALFVEC_P(v)	PG_RETURN_POINTER(v)

#endif							/* VECINDEX_HALFVEC_H */
