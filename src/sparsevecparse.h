/*
 * sparsevecparse.h
 *	  The sparsevec type's text and binary parsers and its text output, as
 *	  plain C: no palloc, no ereport, no server headers.
 *
 * sparsevec.c's SQL functions call these and turn a SparseParseError into
 * the ereport(ERROR) a user sees; test/fuzz/ runs the very same functions
 * under libFuzzer.  The caller owns all memory and sizes it with the
 * helpers below.
 *
 * Indices are 0-based here and in the binary format, 1-based in the text.
 */
#ifndef VECINDEX_SPARSEVECPARSE_H
#define VECINDEX_SPARSEVECPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Same as SPARSEVEC_MAX_DIM and SPARSEVEC_MAX_NNZ in sparsevec.h. */
#define SPARSE_PARSE_MAX_DIM 1000000000
#define SPARSE_PARSE_MAX_NNZ 16000

/* Why a parse failed. */
typedef enum SparseParseStatus
{
	SPARSE_PARSE_OK = 0,
	SPARSE_PARSE_SYNTAX,		/* invalid input syntax; detail may be set */
	SPARSE_PARSE_TOO_MANY_NNZ,	/* more than SPARSE_PARSE_MAX_NNZ elements */
	SPARSE_PARSE_OUT_OF_RANGE,	/* token overflows float4 or underflows to 0 */
	SPARSE_PARSE_NAN,			/* a value is NaN */
	SPARSE_PARSE_INF,			/* a value is infinite */
	SPARSE_PARSE_NO_DIMS,		/* dimension count below 1: see value */
	SPARSE_PARSE_TOO_MANY_DIMS, /* above SPARSE_PARSE_MAX_DIM: see value */
	SPARSE_PARSE_NEGATIVE_NNZ,	/* binary: element count below 0 */
	SPARSE_PARSE_NNZ_OVER_DIM,	/* binary: more elements than dimensions */
	SPARSE_PARSE_INDEX_RANGE,	/* an index outside 0..dim-1 */
	SPARSE_PARSE_INDEX_ORDER,	/* binary: indices not ascending */
	SPARSE_PARSE_INDEX_DUPLICATE,	/* the same index twice */
	SPARSE_PARSE_BIN_SHORT,		/* the message ends too early */
	SPARSE_PARSE_BIN_UNUSED,	/* reserved field is not 0: see value */
	SPARSE_PARSE_BIN_ZERO		/* a stored value is zero */
} SparseParseStatus;

typedef struct SparseParseError
{
	SparseParseStatus status;
	const char *detail;			/* SYNTAX: detail message, or NULL */
	const char *token;			/* OUT_OF_RANGE: the value's text (not */
	int			token_len;		/* NUL-terminated) and its length */
	int			value;			/* NO_DIMS, TOO_MANY_DIMS: the dimension
								 * count; BIN_UNUSED: the reserved field */
} SparseParseError;

/* One element of the text input before sorting: 0-based index and value. */
typedef struct SparseElement
{
	int32_t		index;
	float		value;
} SparseElement;

/*
 * Text input: "{i1:v1,i2:v2,...}/dim", whitespace allowed around every
 * token, indices in any order as strtol reads them, values as strtof reads
 * them (C locale).  Zero values are dropped; the rest may not be NaN or
 * infinite.
 *
 * SparseTextMaxElements(str) is how many elements SparseParseText may
 * write for str (at least 1, at most SPARSE_PARSE_MAX_NNZ + 1): size elems
 * with it.  SparseParseText returns how many non-zero elements it stored
 * in elems, unsorted (indices converted to 0-based, not yet checked
 * against the dimension count), with the dimension count (1..MAX_DIM) in
 * *dim; or -1 with *err filled in.  Then SparseSortElements sorts them by
 * index, checks each index against dim and its neighbour, and writes them
 * to indices and values; false with *err on the first bad one.
 */
extern int	SparseTextMaxElements(const char *str);
extern int	SparseParseText(const char *str, SparseElement *elems, int *dim,
							SparseParseError *err);
extern bool SparseSortElements(SparseElement *elems, int nnz, int dim,
							   int32_t *indices, float *values,
							   SparseParseError *err);

/*
 * Binary input (the send format): int32 dim, int32 nnz, int32 reserved (0),
 * nnz int32 indices (0-based, strictly increasing), nnz float4 values (all
 * finite and non-zero), all big-endian.
 *
 * SparseParseBinaryHeader reads and checks the dimension and element counts
 * from the len bytes at data.  SparseParseBinaryBody, given the same data
 * and header, checks the reserved field and decodes and checks the
 * elements in message order into indices and values (nnz each); false with
 * *err on the first problem.  The value is the first
 * SPARSE_BINARY_SIZE(nnz) bytes.
 */
typedef struct SparseBinaryHeader
{
	int32_t		dim;
	int32_t		nnz;
	int32_t		unused;
} SparseBinaryHeader;

#define SPARSE_BINARY_HEADER_SIZE 12
#define SPARSE_BINARY_SIZE(nnz) (SPARSE_BINARY_HEADER_SIZE + 8 * (size_t) (nnz))
extern bool SparseParseBinaryHeader(const char *data, int len,
									SparseBinaryHeader *hdr,
									SparseParseError *err);
extern bool SparseParseBinaryBody(const char *data, int len,
								  const SparseBinaryHeader *hdr,
								  int32_t *indices, float *values,
								  SparseParseError *err);

/*
 * Text output: "{i1:v1,...}/dim" with 1-based indices, each value the
 * shortest text that reads back as the same float4 (Ryu, as float4out).
 * buf must hold SPARSE_TEXT_BUFSIZE(nnz) bytes; returns the length written,
 * not counting the NUL.  Per element: an int32 (11 characters with its
 * sign), ':', a value (SPARSE_TEXT_VALUE_MAX with its NUL) and ','; then
 * "{}/", the dimension count and a NUL.
 */
#define SPARSE_TEXT_INT_MAX 11
#define SPARSE_TEXT_VALUE_MAX 16
#define SPARSE_TEXT_BUFSIZE(nnz) \
	(4 + SPARSE_TEXT_INT_MAX + \
	 (size_t) (nnz) * (SPARSE_TEXT_INT_MAX + SPARSE_TEXT_VALUE_MAX + 2))
extern int	SparseFormatText(int dim, int nnz, const int32_t *indices,
							 const float *values, char *buf);

#endif							/* VECINDEX_SPARSEVECPARSE_H */
