/*
 * halfvecparse.c
 *	  The halfvec type's text and binary parsers, free of server
 *	  dependencies so that test/fuzz/ can run them as they are.
 *
 * See halfvecparse.h for the contracts.  The text syntax is vector's, so
 * the text is read by VectorParseText and only the rounding to half
 * precision is added here.
 */
#include "halfvecparse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A half's exponent field, all ones for infinities and NaNs */
#define HALF_EXP_MASK 0x7c00
#define HALF_MAN_MASK 0x03ff

static void
set_error(VectorParseError *err, VectorParseStatus status)
{
	memset(err, 0, sizeof(*err));
	err->status = status;
}

VectorParseStatus
HalfvecCheckElement(VecHalf h)
{
	if ((h & HALF_EXP_MASK) != HALF_EXP_MASK)
		return VECTOR_PARSE_OK;
	return (h & HALF_MAN_MASK) != 0 ? VECTOR_PARSE_NAN : VECTOR_PARSE_INF;
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
 * Points err->token at the text of element k (0-based) of str, which
 * VectorParseText has accepted: elements are separated by commas, which no
 * element's text contains.
 */
static void
locate_token(const char *str, int k, VectorParseError *err)
{
	const char *p = strchr(str, '[') + 1;
	char	   *end;

	for (; k > 0; k--)
		p = strchr(p, ',') + 1;
	while (is_space(*p))
		p++;
	(void) strtof(p, &end);
	err->token = p;
	err->token_len = (int) (end - p);
}

int
HalfvecParseText(const char *str, float *scratch, VecHalf *x,
				 VectorParseError *err)
{
	int			dim = VectorParseText(str, scratch, err);
	int			i;

	if (dim < 0)
		return -1;
	for (i = 0; i < dim; i++)
	{
		x[i] = vec_float_to_half(scratch[i]);
		/* the float is finite, so an infinity means it was too large */
		if (HalfvecCheckElement(x[i]) != VECTOR_PARSE_OK)
		{
			set_error(err, VECTOR_PARSE_OUT_OF_RANGE);
			locate_token(str, i, err);
			return -1;
		}
	}
	return dim;
}

/* ---------------------------------------------------------------------
 * Binary input
 * ---------------------------------------------------------------------
 */

static unsigned
read_be16(const char *data)
{
	const unsigned char *b = (const unsigned char *) data;

	return ((unsigned) b[0] << 8) | (unsigned) b[1];
}

int
HalfvecParseBinaryHeader(const char *data, int len, VectorParseError *err)
{
	return VectorParseBinaryHeaderSized(data, len, sizeof(VecHalf), err);
}

bool
HalfvecParseBinaryElements(const char *data, int dim, VecHalf *x,
						   VectorParseError *err)
{
	int			i;

	set_error(err, VECTOR_PARSE_OK);
	for (i = 0; i < dim; i++)
	{
		VecHalf		h = (VecHalf) read_be16(data + VECTOR_BINARY_HEADER_SIZE +
										   sizeof(VecHalf) * i);
		VectorParseStatus st = HalfvecCheckElement(h);

		if (st != VECTOR_PARSE_OK)
		{
			set_error(err, st);
			return false;
		}
		x[i] = h;
	}
	return true;
}
