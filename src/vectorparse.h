/*
 * vectorparse.h
 *	  The parsers of the vector type's text and binary input, and its text
 *	  output, as plain C: no palloc, no ereport, no server headers.
 *
 * vector.c's SQL functions (vector_in, vector_recv, vector_out) call these
 * and turn a VectorParseError into the ereport(ERROR) a user sees;
 * test/fuzz/ runs the very same functions under libFuzzer.  The caller
 * owns all memory: it sizes the output buffers with the helpers below.
 */
#ifndef VECINDEX_VECTORPARSE_H
#define VECINDEX_VECTORPARSE_H

#include <stdbool.h>
#include <stddef.h>

/* Same as VECTOR_MAX_DIM in vector.h (vector.c checks that they agree). */
#define VECTOR_PARSE_MAX_DIM 16000

/* Why a parse failed. */
typedef enum VectorParseStatus
{
	VECTOR_PARSE_OK = 0,
	VECTOR_PARSE_SYNTAX,		/* invalid input syntax; detail may be set */
	VECTOR_PARSE_NO_DIMS,		/* "[]": fewer than 1 dimension */
	VECTOR_PARSE_TOO_MANY_DIMS, /* more than VECTOR_PARSE_MAX_DIM */
	VECTOR_PARSE_OUT_OF_RANGE,	/* token overflows float4 or underflows to 0 */
	VECTOR_PARSE_NAN,			/* an element is NaN */
	VECTOR_PARSE_INF,			/* an element is infinite */
	VECTOR_PARSE_BIN_SHORT_HEADER,	/* fewer than 4 bytes */
	VECTOR_PARSE_BIN_RESERVED,	/* reserved field is not 0: see value */
	VECTOR_PARSE_BIN_SHORT_DATA /* dim elements need more than avail bytes */
} VectorParseStatus;

typedef struct VectorParseError
{
	VectorParseStatus status;
	const char *detail;			/* SYNTAX: detail message, or NULL */
	const char *token;			/* OUT_OF_RANGE: the element's text (not */
	int			token_len;		/* NUL-terminated) and its length */
	int			dim;			/* NO_DIMS, TOO_MANY_DIMS, BIN_SHORT_DATA: the
								 * dimension count (text: 0 or MAX_DIM + 1) */
	int			value;			/* BIN_RESERVED: the reserved field */
	int			avail;			/* BIN_SHORT_DATA: bytes left after header */
} VectorParseError;

/*
 * Text input: "[e1,e2,...]", whitespace allowed around brackets and elements,
 * each element as strtof reads it (C locale).
 *
 * VectorTextMaxElements(str) is how many floats VectorParseText may write
 * for str (at least 1, at most VECTOR_PARSE_MAX_DIM): size x with it.
 * VectorParseText returns the dimension count (1..VECTOR_PARSE_MAX_DIM) and
 * the elements in x, all finite; or -1 with *err filled in.
 */
extern int	VectorTextMaxElements(const char *str);
extern int	VectorParseText(const char *str, float *x, VectorParseError *err);

/*
 * Binary input (the send format): int16 dim, int16 reserved (0), then dim
 * IEEE float4, all big-endian.
 *
 * VectorParseBinaryHeader reads the header from the len bytes at data and
 * returns dim (1..VECTOR_PARSE_MAX_DIM), having checked that len holds the
 * header and dim elements; or -1 with *err filled in.
 * VectorParseBinaryElements, given the same data and that dim, decodes the
 * elements after the header into x (dim floats); false (with *err) if one
 * is not finite.  The vector is the first VECTOR_BINARY_SIZE(dim) bytes.
 */
#define VECTOR_BINARY_HEADER_SIZE 4
#define VECTOR_BINARY_SIZE(dim) (VECTOR_BINARY_HEADER_SIZE + 4 * (size_t) (dim))
extern int	VectorParseBinaryHeader(const char *data, int len,
									VectorParseError *err);

/*
 * The same header check for a format of elem_size-byte elements (the
 * halfvec type's binary input): dim elements must follow the header.
 */
extern int	VectorParseBinaryHeaderSized(const char *data, int len,
										 int elem_size, VectorParseError *err);
extern bool VectorParseBinaryElements(const char *data, int dim, float *x,
									  VectorParseError *err);

/*
 * Text output: "[e1,e2,...]", each element the shortest text that reads
 * back as the same float4 (Ryu, as float4out).  buf must hold
 * VECTOR_TEXT_BUFSIZE(dim) bytes; returns the length written, not counting
 * the terminating NUL.  VECTOR_TEXT_ELEMENT_MAX is common/shortest_dec.h's
 * FLOAT_SHORTEST_DECIMAL_LEN (an element's text plus a NUL; vectorparse.c
 * checks that they agree), so per element there is room for it and a ','.
 */
#define VECTOR_TEXT_ELEMENT_MAX 16
#define VECTOR_TEXT_BUFSIZE(dim) (3 + (size_t) (dim) * (VECTOR_TEXT_ELEMENT_MAX + 1))
extern int	VectorFormatText(const float *x, int dim, char *buf);

#endif							/* VECINDEX_VECTORPARSE_H */
