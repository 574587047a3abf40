/*
 * halfvecparse.h
 *	  The halfvec type's text and binary parsers, as plain C like
 *	  vectorparse.h (no palloc, no ereport, no server headers), so that
 *	  test/fuzz/ runs exactly what halfvec_in and halfvec_recv run.
 *
 * Text input is vector's (VectorParseText) followed by the rounding of each
 * element to half precision; text output is vector's formatter applied to
 * the widened elements (VectorFormatText), whose shortest float4 text reads
 * back as the same half.  Errors are reported in a VectorParseError.
 */
#ifndef VECINDEX_HALFVECPARSE_H
#define VECINDEX_HALFVECPARSE_H

#include "distance.h"
#include "vectorparse.h"

/*
 * Text input: as VectorParseText (the same syntax and checks), then each
 * element rounded to the nearest half (ties to even).  An element that
 * rounds beyond +-65504 fails with VECTOR_PARSE_OUT_OF_RANGE, its text in
 * err->token.  scratch must hold VectorTextMaxElements(str) floats, x as
 * many halves.  Returns the dimension count, or -1 with *err filled in.
 */
extern int	HalfvecParseText(const char *str, float *scratch, VecHalf *x,
							 VectorParseError *err);

/*
 * Binary input (the send format): int16 dim, int16 reserved (0), then dim
 * halves' bit patterns, all big-endian.
 *
 * HalfvecParseBinaryHeader reads the header from the len bytes at data and
 * returns dim (1..HALFVEC_PARSE_MAX_DIM), having checked the reserved field
 * and that len holds dim elements, as VectorParseBinaryHeader does; or -1
 * with *err filled in.  HalfvecParseBinaryElements then decodes the
 * elements into x; false (with *err: VECTOR_PARSE_NAN or _INF) if one is
 * not finite.  The vector is the first HALFVEC_BINARY_SIZE(dim) bytes.
 */
#define HALFVEC_PARSE_MAX_DIM VECTOR_PARSE_MAX_DIM
#define HALFVEC_BINARY_SIZE(dim) (VECTOR_BINARY_HEADER_SIZE + sizeof(VecHalf) * (size_t) (dim))
extern int	HalfvecParseBinaryHeader(const char *data, int len,
									 VectorParseError *err);
extern bool HalfvecParseBinaryElements(const char *data, int dim, VecHalf *x,
									   VectorParseError *err);

/* The status for one half that is not finite, or VECTOR_PARSE_OK. */
extern VectorParseStatus HalfvecCheckElement(VecHalf h);

#endif							/* VECINDEX_HALFVECPARSE_H */
