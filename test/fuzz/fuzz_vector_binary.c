/*
 * fuzz_vector_binary.c
 *	  libFuzzer target for the vector type's binary input (the
 *	  VectorParseBinaryHeader + VectorParseBinaryElements pair vector_recv
 *	  runs), on arbitrary bytes.
 *
 * The input is copied to a buffer of exactly its size (so ASan sees any
 * read past the message).  The expected outcome is computed here from the
 * documented format (int16 dim, int16 reserved = 0, dim big-endian float4)
 * and must match the parser's, error for error:
 *   fewer than 4 bytes -> BIN_SHORT_HEADER; reserved != 0 -> BIN_RESERVED
 *   with its value; dim < 1 -> NO_DIMS; dim > 16000 -> TOO_MANY_DIMS; fewer
 *   than 4 * dim bytes after the header -> BIN_SHORT_DATA; a NaN or
 *   infinite element -> NAN / INF (the first one decides); else accepted.
 * Accepted vectors have 1..16000 finite elements, encode back to exactly
 * the bytes read, and survive the text round trip (format, parse) with
 * identical bits: the fuzzer reaches every float4 bit pattern this way,
 * denormals and -0 included.
 */
#include "fuzz_common.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *msg;
	int			len;
	int			dim;
	int			want_dim = 0;
	int			reserved = 0;
	VectorParseStatus want;
	VectorParseError err;

	if (size > (size_t) 1 << 20)
		return 0;
	len = (int) size;
	msg = xmalloc(size);
	memcpy(msg, data, size);

	/* what the format says */
	if (len < 4)
		want = VECTOR_PARSE_BIN_SHORT_HEADER;
	else
	{
		want_dim = (int16_t) (uint16_t) ((data[0] << 8) | data[1]);
		reserved = (int16_t) (uint16_t) ((data[2] << 8) | data[3]);
		if (reserved != 0)
			want = VECTOR_PARSE_BIN_RESERVED;
		else if (want_dim < 1)
			want = VECTOR_PARSE_NO_DIMS;
		else if (want_dim > VECTOR_PARSE_MAX_DIM)
			want = VECTOR_PARSE_TOO_MANY_DIMS;
		else if (len - 4 < 4 * want_dim)
			want = VECTOR_PARSE_BIN_SHORT_DATA;
		else
			want = VECTOR_PARSE_OK;
	}

	dim = VectorParseBinaryHeader(msg, len, &err);
	CHECK(err.status == want, "header status %d, expected %d (len %d)",
		  (int) err.status, (int) want, len);
	if (want != VECTOR_PARSE_OK)
	{
		CHECK(dim == -1, "returned %d on error", dim);
		if (want == VECTOR_PARSE_BIN_RESERVED)
			CHECK(err.value == reserved, "reserved %d, reported %d", reserved, err.value);
		if (want == VECTOR_PARSE_NO_DIMS || want == VECTOR_PARSE_TOO_MANY_DIMS ||
			want == VECTOR_PARSE_BIN_SHORT_DATA)
			CHECK(err.dim == want_dim, "dim %d, reported %d", want_dim, err.dim);
		if (want == VECTOR_PARSE_BIN_SHORT_DATA)
			CHECK(err.avail == len - 4, "avail %d, reported %d", len - 4, err.avail);
	}
	else
	{
		float	   *x = xmalloc(sizeof(float) * (size_t) dim);
		VectorParseStatus want_el = VECTOR_PARSE_OK;
		bool		ok;
		int			i;

		CHECK(dim == want_dim && dim >= 1 && dim <= VECTOR_PARSE_MAX_DIM,
			  "dim %d, expected %d", dim, want_dim);
		CHECK(VECTOR_BINARY_SIZE(dim) <= size, "vector of %zu bytes in %zu",
			  VECTOR_BINARY_SIZE(dim), size);
		for (i = 0; i < dim && want_el == VECTOR_PARSE_OK; i++)
		{
			const uint8_t *b = data + 4 + 4 * i;
			uint32_t	u = (uint32_t) b[0] << 24 | (uint32_t) b[1] << 16 |
				(uint32_t) b[2] << 8 | (uint32_t) b[3];

			/* IEEE 754 binary32: exponent all ones is infinity or NaN */
			if (((u >> 23) & 0xff) == 0xff)
				want_el = (u & 0x7fffff) == 0 ? VECTOR_PARSE_INF : VECTOR_PARSE_NAN;
		}

		ok = VectorParseBinaryElements(msg, dim, x, &err);
		CHECK(err.status == want_el && ok == (want_el == VECTOR_PARSE_OK),
			  "elements status %d, expected %d", (int) err.status, (int) want_el);
		if (ok)
		{
			unsigned char *again = xmalloc(VECTOR_BINARY_SIZE(dim));

			for (i = 0; i < dim; i++)
				CHECK(is_finite_float(x[i]), "element %d is not finite", i);
			encode_binary(x, dim, again);
			CHECK(memcmp(again, data, VECTOR_BINARY_SIZE(dim)) == 0,
				  "re-encoding gives other bytes");
			free(again);
			check_text_round_trip(x, dim);
		}
		free(x);
	}
	free(msg);
	return 0;
}
