/*
 * sparsevecparse.c
 *	  The sparsevec type's text and binary parsers and its text output, free
 *	  of server dependencies so that test/fuzz/ can run them as they are.
 *
 * See sparsevecparse.h for the contracts.  Nothing here allocates memory or
 * throws: an error is a SparseParseStatus in a SparseParseError, which
 * sparsevec.c turns into the ereport a user sees.  The order in which the
 * checks run decides which error a bad input gets; it is pgvector's, and
 * the regression tests pin it.
 */
#include "sparsevecparse.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/shortest_dec.h"

_Static_assert(SPARSE_TEXT_VALUE_MAX == FLOAT_SHORTEST_DECIMAL_LEN,
			   "SPARSE_TEXT_VALUE_MAX must match FLOAT_SHORTEST_DECIMAL_LEN");

static void
set_error(SparseParseError *err, SparseParseStatus status)
{
	memset(err, 0, sizeof(*err));
	err->status = status;
}

static bool
fail(SparseParseError *err, SparseParseStatus status)
{
	set_error(err, status);
	return false;
}

static bool
fail_syntax(SparseParseError *err, const char *detail)
{
	set_error(err, SPARSE_PARSE_SYNTAX);
	err->detail = detail;
	return false;
}

/* The status for a value that is not finite, or SPARSE_PARSE_OK. */
static SparseParseStatus
check_value(float value)
{
	if (isnan(value))
		return SPARSE_PARSE_NAN;
	if (isinf(value))
		return SPARSE_PARSE_INF;
	return SPARSE_PARSE_OK;
}

/* The status for a dimension count outside 1..MAX_DIM, or OK. */
static bool
check_dim(long dim, SparseParseError *err)
{
	if (dim < 1 || dim > SPARSE_PARSE_MAX_DIM)
	{
		set_error(err, dim < 1 ? SPARSE_PARSE_NO_DIMS : SPARSE_PARSE_TOO_MANY_DIMS);
		err->value = (int) dim;
		return false;
	}
	return true;
}

/*
 * Checks indices[i] (0-based) against dim and against indices[i - 1]:
 * strictly increasing, so no duplicates.
 */
static bool
check_index(const int32_t *indices, int i, int dim, SparseParseError *err)
{
	if (indices[i] < 0 || indices[i] >= dim)
		return fail(err, SPARSE_PARSE_INDEX_RANGE);
	if (i > 0 && indices[i] < indices[i - 1])
		return fail(err, SPARSE_PARSE_INDEX_ORDER);
	if (i > 0 && indices[i] == indices[i - 1])
		return fail(err, SPARSE_PARSE_INDEX_DUPLICATE);
	return true;
}

/* ---------------------------------------------------------------------
 * Text input
 * ---------------------------------------------------------------------
 */

static inline bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		c == '\v' || c == '\f';
}

static inline const char *
skip_spaces(const char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

/*
 * Elements are separated by commas, which neither strtol nor strtof
 * consumes, so a string holds at most (its commas + 1) elements.
 */
int
SparseTextMaxElements(const char *str)
{
	int			n = 1;
	const char *p;

	for (p = str; *p != '\0' && n <= SPARSE_PARSE_MAX_NNZ; p++)
	{
		if (*p == ',')
			n++;
	}
	return n;
}

/* A decimal integer as strtol reads it, clamped into [lo, hi]. */
static bool
parse_long(const char **p, long lo, long hi, long *out)
{
	char	   *end;
	long		v;

	v = strtol(*p, &end, 10);
	if (end == *p)
		return false;
	*p = end;
	*out = v < lo ? lo : (v > hi ? hi : v);
	return true;
}

/* One value, as float4in reads it: strtof, then the range checks. */
static bool
parse_value(const char **p, float *out, SparseParseError *err)
{
	const char *start = *p;
	char	   *end;
	float		value;
	SparseParseStatus st;

	errno = 0;
	value = strtof(start, &end);
	if (end == start)
		return fail_syntax(err, NULL);
	if (errno == ERANGE && (value == 0.0f || isinf(value)))
	{
		set_error(err, SPARSE_PARSE_OUT_OF_RANGE);
		err->token = start;
		err->token_len = (int) (end - start);
		return false;
	}
	st = check_value(value);
	if (st != SPARSE_PARSE_OK)
		return fail(err, st);
	*p = end;
	*out = value;
	return true;
}

int
SparseParseText(const char *str, SparseElement *elems, int *dim,
				SparseParseError *err)
{
	const char *p;
	int			nnz = 0;
	long		n;

	set_error(err, SPARSE_PARSE_OK);
	if (SparseTextMaxElements(str) > SPARSE_PARSE_MAX_NNZ)
	{
		set_error(err, SPARSE_PARSE_TOO_MANY_NNZ);
		return -1;
	}

	p = skip_spaces(str);
	if (*p != '{')
	{
		fail_syntax(err, "Vector contents must start with \"{\".");
		return -1;
	}
	p = skip_spaces(p + 1);
	if (*p == '}')
		p++;
	else
	{
		for (;;)
		{
			long		index;
			float		value;

			/* clamped so that index - 1 cannot overflow */
			p = skip_spaces(p);
			if (!parse_long(&p, INT_MIN + 1L, INT_MAX, &index))
			{
				fail_syntax(err, NULL);
				return -1;
			}
			p = skip_spaces(p);
			if (*p != ':')
			{
				fail_syntax(err, NULL);
				return -1;
			}
			p = skip_spaces(p + 1);
			if (!parse_value(&p, &value, err))
				return -1;
			/* zeros are not stored; 1-based in the text, 0-based stored */
			if (value != 0.0f)
			{
				elems[nnz].index = (int32_t) (index - 1);
				elems[nnz].value = value;
				nnz++;
			}
			p = skip_spaces(p);
			if (*p == '}')
			{
				p++;
				break;
			}
			if (*p != ',')
			{
				fail_syntax(err, NULL);
				return -1;
			}
			p++;
		}
	}

	p = skip_spaces(p);
	if (*p != '/')
	{
		fail_syntax(err, "Unexpected end of input.");
		return -1;
	}
	p = skip_spaces(p + 1);
	if (!parse_long(&p, INT_MIN, INT_MAX, &n))
	{
		fail_syntax(err, NULL);
		return -1;
	}
	p = skip_spaces(p);
	if (*p != '\0')
	{
		fail_syntax(err, "Junk after closing.");
		return -1;
	}
	if (!check_dim(n, err))
		return -1;
	*dim = (int) n;
	return nnz;
}

static int
compare_elements(const void *a, const void *b)
{
	int32_t		ia = ((const SparseElement *) a)->index;
	int32_t		ib = ((const SparseElement *) b)->index;

	return (ia > ib) - (ia < ib);
}

bool
SparseSortElements(SparseElement *elems, int nnz, int dim,
				   int32_t *indices, float *values, SparseParseError *err)
{
	int			i;

	set_error(err, SPARSE_PARSE_OK);
	if (nnz > 1)
		qsort(elems, nnz, sizeof(SparseElement), compare_elements);
	for (i = 0; i < nnz; i++)
	{
		indices[i] = elems[i].index;
		values[i] = elems[i].value;
		if (!check_index(indices, i, dim, err))
			return false;
	}
	return true;
}

/* ---------------------------------------------------------------------
 * Binary input
 * ---------------------------------------------------------------------
 */

static int32_t
read_be32(const char *data)
{
	const unsigned char *b = (const unsigned char *) data;

	return (int32_t) (((uint32_t) b[0] << 24) | ((uint32_t) b[1] << 16) |
					  ((uint32_t) b[2] << 8) | (uint32_t) b[3]);
}

bool
SparseParseBinaryHeader(const char *data, int len, SparseBinaryHeader *hdr,
						SparseParseError *err)
{
	set_error(err, SPARSE_PARSE_OK);
	if (len < SPARSE_BINARY_HEADER_SIZE)
		return fail(err, SPARSE_PARSE_BIN_SHORT);
	hdr->dim = read_be32(data);
	hdr->nnz = read_be32(data + 4);
	hdr->unused = read_be32(data + 8);
	if (!check_dim(hdr->dim, err))
		return false;
	if (hdr->nnz < 0)
		return fail(err, SPARSE_PARSE_NEGATIVE_NNZ);
	if (hdr->nnz > SPARSE_PARSE_MAX_NNZ)
		return fail(err, SPARSE_PARSE_TOO_MANY_NNZ);
	if (hdr->nnz > hdr->dim)
		return fail(err, SPARSE_PARSE_NNZ_OVER_DIM);
	return true;
}

bool
SparseParseBinaryBody(const char *data, int len,
					  const SparseBinaryHeader *hdr,
					  int32_t *indices, float *values, SparseParseError *err)
{
	const char *p = data + SPARSE_BINARY_HEADER_SIZE;
	const char *end = data + len;
	int			i;

	set_error(err, SPARSE_PARSE_OK);
	if (hdr->unused != 0)
	{
		set_error(err, SPARSE_PARSE_BIN_UNUSED);
		err->value = hdr->unused;
		return false;
	}
	for (i = 0; i < hdr->nnz; i++, p += 4)
	{
		if (end - p < 4)
			return fail(err, SPARSE_PARSE_BIN_SHORT);
		indices[i] = read_be32(p);
		if (!check_index(indices, i, hdr->dim, err))
			return false;
	}
	for (i = 0; i < hdr->nnz; i++, p += 4)
	{
		int32_t		bits;
		SparseParseStatus st;

		if (end - p < 4)
			return fail(err, SPARSE_PARSE_BIN_SHORT);
		bits = read_be32(p);
		memcpy(&values[i], &bits, sizeof(float));
		st = check_value(values[i]);
		if (st != SPARSE_PARSE_OK)
			return fail(err, st);
		if (values[i] == 0.0f)
			return fail(err, SPARSE_PARSE_BIN_ZERO);
	}
	return true;
}

/* ---------------------------------------------------------------------
 * Text output
 * ---------------------------------------------------------------------
 */

/* Writes v in decimal at p (no NUL); returns the number of characters. */
static int
format_int(int32_t v, char *p)
{
	char		digits[SPARSE_TEXT_INT_MAX];
	int			n = 0;
	int			len = 0;
	/* in unsigned arithmetic, so that INT32_MIN negates */
	uint32_t	u = v < 0 ? 0u - (uint32_t) v : (uint32_t) v;

	do
	{
		digits[n++] = (char) ('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		p[len++] = '-';
	while (n > 0)
		p[len++] = digits[--n];
	return len;
}

int
SparseFormatText(int dim, int nnz, const int32_t *indices,
				 const float *values, char *buf)
{
	char	   *p = buf;
	int			i;

	*p++ = '{';
	for (i = 0; i < nnz; i++)
	{
		if (i > 0)
			*p++ = ',';
		p += format_int(indices[i] + 1, p);
		*p++ = ':';
		p += float_to_shortest_decimal_bufn(values[i], p);
	}
	*p++ = '}';
	*p++ = '/';
	p += format_int(dim, p);
	*p = '\0';
	return (int) (p - buf);
}
