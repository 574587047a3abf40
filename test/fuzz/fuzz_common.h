/*
 * fuzz_common.h
 *	  Helpers shared by the libFuzzer targets in test/fuzz/.
 *
 * A property that does not hold is a crash: CHECK prints what failed and
 * aborts, so libFuzzer saves the input as an artifact.  Buffers handed to
 * the parser are malloc'd at exactly the size its contract promises is
 * enough, so AddressSanitizer reports any write or read past them.
 */
#ifndef VECINDEX_FUZZ_COMMON_H
#define VECINDEX_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vectorparse.h"

#define CHECK(cond, ...) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "%s:%d: property failed: %s\n  ", \
					__FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			abort(); \
		} \
	} while (0)

static inline void *
xmalloc(size_t n)
{
	void	   *p = malloc(n > 0 ? n : 1);

	if (p == NULL)
	{
		fprintf(stderr, "out of memory\n");
		abort();
	}
	return p;
}

static inline int
is_finite_float(float f)
{
	return f == f && f - f == 0.0f;
}

/* Encodes dim floats in the binary send format (big-endian), written here
 * independently of the parser; out must hold VECTOR_BINARY_SIZE(dim). */
static inline void
encode_binary(const float *x, int dim, unsigned char *out)
{
	int			i;

	out[0] = (unsigned char) ((unsigned) dim >> 8);
	out[1] = (unsigned char) dim;
	out[2] = 0;
	out[3] = 0;
	for (i = 0; i < dim; i++)
	{
		uint32_t	u;

		memcpy(&u, &x[i], 4);
		out[4 + 4 * i] = (unsigned char) (u >> 24);
		out[5 + 4 * i] = (unsigned char) (u >> 16);
		out[6 + 4 * i] = (unsigned char) (u >> 8);
		out[7 + 4 * i] = (unsigned char) u;
	}
}

/*
 * Formats x with VectorFormatText into a buffer of exactly the promised
 * size, parses the text back with VectorParseText, and checks that the same
 * bits come back and that formatting them again gives the same text.
 * Returns nothing; aborts on any difference.
 */
static inline void
check_text_round_trip(const float *x, int dim)
{
	size_t		bufsize = VECTOR_TEXT_BUFSIZE(dim);
	char	   *text = xmalloc(bufsize);
	char	   *text2;
	float	   *y;
	int			len;
	int			dim2;
	int			cap;
	VectorParseError err;

	len = VectorFormatText(x, dim, text);
	/* the formatter's Ryu code is not instrumented: check its length here */
	CHECK(len >= 3 && (size_t) len < bufsize, "len %d, buffer %zu", len, bufsize);
	CHECK(strlen(text) == (size_t) len, "strlen %zu, returned %d", strlen(text), len);
	CHECK(text[0] == '[' && text[len - 1] == ']', "output \"%s\"", text);
	CHECK(strpbrk(text, " \t\n\r\v\f") == NULL, "whitespace in output \"%s\"", text);

	cap = VectorTextMaxElements(text);
	CHECK(cap == dim, "output \"%.200s\" has room for %d elements, not %d", text, cap, dim);
	y = xmalloc(sizeof(float) * (size_t) cap);
	dim2 = VectorParseText(text, y, &err);
	CHECK(dim2 == dim, "output \"%.200s\" parsed back as %d elements (status %d), not %d",
		  text, dim2, (int) err.status, dim);
	CHECK(memcmp(x, y, sizeof(float) * (size_t) dim) == 0,
		  "output \"%.200s\" parsed back to different bits", text);

	text2 = xmalloc(bufsize);
	CHECK(VectorFormatText(y, dim, text2) == len && strcmp(text, text2) == 0,
		  "formatting is not a fixed point: \"%.200s\" then \"%.200s\"", text, text2);

	free(text2);
	free(y);
	free(text);
}

#endif							/* VECINDEX_FUZZ_COMMON_H */
