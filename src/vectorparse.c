/*
 * vectorparse.c
 *	  The vector type's text and binary parsers and its text output, free of
 *	  server dependencies so that test/fuzz/ can run them as they are.
 *
 * See vectorparse.h for the contracts.  Nothing here allocates memory or
 * throws: an error is a VectorParseStatus in a VectorParseError, which
 * vector.c turns into the ereport a user sees.  The order in which the
 * checks run decides which error a bad input gets, and is part of the
 * behaviour (the regression tests pin it).
 */
#include "vectorparse.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/shortest_dec.h"

_Static_assert(VECTOR_TEXT_ELEMENT_MAX == FLOAT_SHORTEST_DECIMAL_LEN,
			   "VECTOR_TEXT_ELEMENT_MAX must match FLOAT_SHORTEST_DECIMAL_LEN");

static void
set_error(VectorParseError *err, VectorParseStatus status)
{
	memset(err, 0, sizeof(*err));
	err->status = status;
}

/* The status for a float that is not finite, or VECTOR_PARSE_OK. */
static VectorParseStatus
check_element(float value)
{
	if (isnan(value))
		return VECTOR_PARSE_NAN;
	if (isinf(value))
		return VECTOR_PARSE_INF;
	return VECTOR_PARSE_OK;
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

/*
 * Elements are separated by commas and strtof never consumes one, so a
 * string holds at most (its commas + 1) elements.
 */
int
VectorTextMaxElements(const char *str)
{
	int			n = 1;
	const char *p;

	for (p = str; *p != '\0' && n < VECTOR_PARSE_MAX_DIM; p++)
	{
		if (*p == ',')
			n++;
	}
	return n;
}

/*
 * Parses one element at *p, which points at a non-space character; leaves
 * *p after it.  Mirrors float4in: strtof, then out-of-range only when the
 * result overflowed or underflowed to zero (denormals are kept).
 */
static bool
parse_element(const char **p, float *out, VectorParseError *err)
{
	const char *start = *p;
	char	   *end;
	float		value;
	VectorParseStatus st;

	errno = 0;
	value = strtof(start, &end);
	if (end == start)
	{
		set_error(err, VECTOR_PARSE_SYNTAX);
		return false;
	}
	if (errno == ERANGE && (value == 0.0f || isinf(value)))
	{
		set_error(err, VECTOR_PARSE_OUT_OF_RANGE);
		err->token = start;
		err->token_len = (int) (end - start);
		return false;
	}
	st = check_element(value);
	if (st != VECTOR_PARSE_OK)
	{
		set_error(err, st);
		return false;
	}
	*p = end;
	*out = value;
	return true;
}

int
VectorParseText(const char *str, float *x, VectorParseError *err)
{
	const char *p = str;
	int			dim = 0;

	set_error(err, VECTOR_PARSE_OK);
	while (is_space(*p))
		p++;
	if (*p != '[')
	{
		set_error(err, VECTOR_PARSE_SYNTAX);
		err->detail = "Vector contents must start with \"[\".";
		return -1;
	}
	p++;
	while (is_space(*p))
		p++;
	if (*p == ']')
	{
		set_error(err, VECTOR_PARSE_NO_DIMS);
		err->dim = 0;
		return -1;
	}

	for (;;)
	{
		while (is_space(*p))
			p++;
		if (dim == VECTOR_PARSE_MAX_DIM)
		{
			set_error(err, VECTOR_PARSE_TOO_MANY_DIMS);
			err->dim = dim + 1;
			return -1;
		}
		if (!parse_element(&p, &x[dim], err))
			return -1;
		dim++;
		while (is_space(*p))
			p++;
		if (*p == ']')
			break;
		if (*p != ',')
		{
			set_error(err, VECTOR_PARSE_SYNTAX);
			return -1;
		}
		p++;
	}
	p++;
	while (is_space(*p))
		p++;
	if (*p != '\0')
	{
		set_error(err, VECTOR_PARSE_SYNTAX);
		err->detail = "Junk after closing right bracket.";
		return -1;
	}
	return dim;
}

/* ---------------------------------------------------------------------
 * Binary input
 * ---------------------------------------------------------------------
 */

static uint32_t
read_be32(const char *data)
{
	const unsigned char *b = (const unsigned char *) data;

	return ((uint32_t) b[0] << 24) | ((uint32_t) b[1] << 16) |
		((uint32_t) b[2] << 8) | (uint32_t) b[3];
}

static int
read_be16_signed(const char *data)
{
	const unsigned char *b = (const unsigned char *) data;

	return (int16_t) (uint16_t) (((unsigned) b[0] << 8) | (unsigned) b[1]);
}

int
VectorParseBinaryHeader(const char *data, int len, VectorParseError *err)
{
	return VectorParseBinaryHeaderSized(data, len, sizeof(float), err);
}

int
VectorParseBinaryHeaderSized(const char *data, int len, int elem_size,
							 VectorParseError *err)
{
	int			dim;
	int			reserved;

	set_error(err, VECTOR_PARSE_OK);
	if (len < VECTOR_BINARY_HEADER_SIZE)
	{
		set_error(err, VECTOR_PARSE_BIN_SHORT_HEADER);
		return -1;
	}
	dim = read_be16_signed(data);
	reserved = read_be16_signed(data + 2);
	if (reserved != 0)
	{
		set_error(err, VECTOR_PARSE_BIN_RESERVED);
		err->value = reserved;
		return -1;
	}
	if (dim < 1 || dim > VECTOR_PARSE_MAX_DIM)
	{
		set_error(err, dim < 1 ? VECTOR_PARSE_NO_DIMS : VECTOR_PARSE_TOO_MANY_DIMS);
		err->dim = dim;
		return -1;
	}
	if (len - VECTOR_BINARY_HEADER_SIZE < dim * elem_size)
	{
		set_error(err, VECTOR_PARSE_BIN_SHORT_DATA);
		err->dim = dim;
		err->avail = len - VECTOR_BINARY_HEADER_SIZE;
		return -1;
	}
	return dim;
}

bool
VectorParseBinaryElements(const char *data, int dim, float *x,
						  VectorParseError *err)
{
	int			i;

	set_error(err, VECTOR_PARSE_OK);
	for (i = 0; i < dim; i++)
	{
		uint32_t	u = read_be32(data + VECTOR_BINARY_HEADER_SIZE + 4 * i);
		float		f;
		VectorParseStatus st;

		memcpy(&f, &u, sizeof(f));
		st = check_element(f);
		if (st != VECTOR_PARSE_OK)
		{
			set_error(err, st);
			return false;
		}
		x[i] = f;
	}
	return true;
}

/* ---------------------------------------------------------------------
 * Text output
 * ---------------------------------------------------------------------
 */

int
VectorFormatText(const float *x, int dim, char *buf)
{
	char	   *p = buf;
	int			i;

	*p++ = '[';
	for (i = 0; i < dim; i++)
	{
		if (i > 0)
			*p++ = ',';
		p += float_to_shortest_decimal_bufn(x[i], p);
	}
	*p++ = ']';
	*p = '\0';
	return (int) (p - buf);
}
