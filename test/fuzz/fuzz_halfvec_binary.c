/*
 * fuzz_halfvec_binary.c
 *	  libFuzzer target for the halfvec type's binary input (the
 *	  HalfvecParseBinaryHeader + HalfvecParseBinaryElements pair
 *	  halfvec_recv runs), on arbitrary bytes.
 *
 * The input is copied to a buffer of exactly its size.  The expected
 * outcome is computed here from the format (int16 dim, int16 unused = 0,
 * dim big-endian halves) and must match the parser's, error for error:
 *   fewer than 4 bytes -> BIN_SHORT_HEADER; unused != 0 -> BIN_RESERVED
 *   with its value; dim < 1 -> NO_DIMS; dim > 16000 -> TOO_MANY_DIMS (the
 *   order of vector's binary input); fewer than 2 * dim bytes
 *   after the header -> BIN_SHORT_DATA; a half with all exponent bits set
 *   -> NAN or INF (the first one decides); else accepted.
 * Accepted vectors re-encode to exactly the bytes read, and survive the
 * text round trip (widen, format, parse, round) with identical halves: the
 * fuzzer reaches every finite half this way, subnormals and -0 included.
 */
#include "fuzz_common.h"

#include "halfvecparse.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *msg;
	int			len;
	int			dim;
	int			want_dim = 0;
	int			unused = 0;
	VectorParseStatus want;
	VectorParseError err;

	if (size > (size_t) 1 << 20)
		return 0;
	len = (int) size;
	msg = xmalloc(size);
	memcpy(msg, data, size);

	if (len < 4)
		want = VECTOR_PARSE_BIN_SHORT_HEADER;
	else
	{
		want_dim = (int16_t) (uint16_t) ((data[0] << 8) | data[1]);
		unused = (int16_t) (uint16_t) ((data[2] << 8) | data[3]);
		if (unused != 0)
			want = VECTOR_PARSE_BIN_RESERVED;
		else if (want_dim < 1)
			want = VECTOR_PARSE_NO_DIMS;
		else if (want_dim > HALFVEC_PARSE_MAX_DIM)
			want = VECTOR_PARSE_TOO_MANY_DIMS;
		else if (len - 4 < 2 * want_dim)
			want = VECTOR_PARSE_BIN_SHORT_DATA;
		else
			want = VECTOR_PARSE_OK;
	}

	dim = HalfvecParseBinaryHeader(msg, len, &err);
	CHECK(err.status == want, "header status %d, expected %d (len %d)",
		  (int) err.status, (int) want, len);
	if (want != VECTOR_PARSE_OK)
	{
		CHECK(dim == -1, "returned %d on error", dim);
		if (want == VECTOR_PARSE_BIN_RESERVED)
			CHECK(err.value == unused, "unused %d, reported %d", unused, err.value);
		if (want == VECTOR_PARSE_NO_DIMS || want == VECTOR_PARSE_TOO_MANY_DIMS ||
			want == VECTOR_PARSE_BIN_SHORT_DATA)
			CHECK(err.dim == want_dim, "dim %d, reported %d", want_dim, err.dim);
		if (want == VECTOR_PARSE_BIN_SHORT_DATA)
			CHECK(err.avail == len - 4, "avail %d, reported %d", len - 4, err.avail);
	}
	else
	{
		VecHalf    *x = xmalloc(sizeof(VecHalf) * (size_t) dim);
		VectorParseStatus want_el = VECTOR_PARSE_OK;
		bool		ok;
		int			i;

		CHECK(dim == want_dim, "dim %d, expected %d", dim, want_dim);
		CHECK(HALFVEC_BINARY_SIZE(dim) <= size, "vector of %zu bytes in %zu",
			  HALFVEC_BINARY_SIZE(dim), size);
		for (i = 0; i < dim && want_el == VECTOR_PARSE_OK; i++)
		{
			unsigned	h = (unsigned) data[4 + 2 * i] << 8 | data[5 + 2 * i];

			/* IEEE 754 binary16: exponent all ones is infinity or NaN */
			if (((h >> 10) & 0x1f) == 0x1f)
				want_el = (h & 0x3ff) == 0 ? VECTOR_PARSE_INF : VECTOR_PARSE_NAN;
		}

		ok = HalfvecParseBinaryElements(msg, dim, x, &err);
		CHECK(err.status == want_el && ok == (want_el == VECTOR_PARSE_OK),
			  "elements status %d, expected %d", (int) err.status, (int) want_el);
		if (ok)
		{
			size_t		textsize = VECTOR_TEXT_BUFSIZE(dim);
			char	   *text = xmalloc(textsize);
			float	   *f = xmalloc(sizeof(float) * (size_t) dim);
			float	   *scratch;
			VecHalf    *y;

			for (i = 0; i < dim; i++)
			{
				CHECK(x[i] == (VecHalf) ((unsigned) data[4 + 2 * i] << 8 | data[5 + 2 * i]),
					  "element %d decoded as %04x", i, x[i]);
				f[i] = vec_half_to_float(x[i]);
				CHECK(vec_float_to_half(f[i]) == x[i], "element %d does not round-trip", i);
			}
			CHECK((size_t) VectorFormatText(f, dim, text) < textsize, "text too long");
			scratch = xmalloc(sizeof(float) * (size_t) VectorTextMaxElements(text));
			y = xmalloc(sizeof(VecHalf) * (size_t) VectorTextMaxElements(text));
			CHECK(HalfvecParseText(text, scratch, y, &err) == dim,
				  "text \"%.200s\" parsed back with status %d", text, (int) err.status);
			CHECK(memcmp(x, y, sizeof(VecHalf) * (size_t) dim) == 0,
				  "text \"%.200s\" parsed back to other halves", text);
			free(y);
			free(scratch);
			free(f);
			free(text);
		}
		free(x);
	}
	free(msg);
	return 0;
}
