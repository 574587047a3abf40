/*
 * fuzz_sparsevec_binary.c
 *	  libFuzzer target for the sparsevec type's binary input (the
 *	  SparseParseBinaryHeader + SparseParseBinaryBody pair sparsevec_recv
 *	  runs), on arbitrary bytes.
 *
 * The input is copied to a buffer of exactly its size (so ASan sees any
 * read past the message).  The expected outcome is computed here from the
 * documented format (int32 dim, int32 nnz, int32 reserved = 0, nnz int32
 * 0-based indices, nnz float4 values, big-endian) and must match the
 * parser's, error for error, in pgvector's order:
 *   fewer than 12 bytes -> BIN_SHORT; dim < 1 -> NO_DIMS; dim > 10^9 ->
 *   TOO_MANY_DIMS; nnz < 0 -> NEGATIVE_NNZ; nnz > 16000 -> TOO_MANY_NNZ;
 *   nnz > dim -> NNZ_OVER_DIM; then reserved != 0 -> BIN_UNUSED; then each
 *   index in turn: missing -> BIN_SHORT, outside 0..dim-1 -> INDEX_RANGE,
 *   below the previous -> INDEX_ORDER, equal -> INDEX_DUPLICATE; then each
 *   value: missing -> BIN_SHORT, NaN -> NAN, infinite -> INF, +-0 ->
 *   BIN_ZERO; else accepted.
 * Accepted vectors are valid, re-encode to exactly the bytes read, and
 * survive the text round trip with identical bits.
 */
#include "fuzz_sparse_common.h"

/* The status the format calls for in the body (header already OK). */
static SparseParseStatus
expected_body(const uint8_t *data, size_t size, int32_t dim, int32_t nnz,
			  int32_t unused)
{
	size_t		pos = SPARSE_BINARY_HEADER_SIZE;
	int32_t		prev = 0;
	int			i;

	if (unused != 0)
		return SPARSE_PARSE_BIN_UNUSED;
	for (i = 0; i < nnz; i++, pos += 4)
	{
		int32_t		idx;

		if (pos > size || size - pos < 4)
			return SPARSE_PARSE_BIN_SHORT;
		idx = (int32_t) get_be32(data + pos);
		if (idx < 0 || idx >= dim)
			return SPARSE_PARSE_INDEX_RANGE;
		if (i > 0 && idx < prev)
			return SPARSE_PARSE_INDEX_ORDER;
		if (i > 0 && idx == prev)
			return SPARSE_PARSE_INDEX_DUPLICATE;
		prev = idx;
	}
	for (i = 0; i < nnz; i++, pos += 4)
	{
		uint32_t	u;

		if (pos > size || size - pos < 4)
			return SPARSE_PARSE_BIN_SHORT;
		u = get_be32(data + pos);
		/* IEEE 754 binary32: exponent all ones is infinity or NaN */
		if (((u >> 23) & 0xff) == 0xff)
			return (u & 0x7fffff) == 0 ? SPARSE_PARSE_INF : SPARSE_PARSE_NAN;
		if ((u & 0x7fffffff) == 0)
			return SPARSE_PARSE_BIN_ZERO;
	}
	return SPARSE_PARSE_OK;
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *msg;
	int			len;
	int32_t		dim = 0;
	int32_t		nnz = 0;
	int32_t		unused = 0;
	SparseParseStatus want;
	SparseBinaryHeader hdr;
	SparseParseError err;
	bool		ok;

	if (size > (size_t) 1 << 20)
		return 0;
	len = (int) size;
	msg = xmalloc(size);
	memcpy(msg, data, size);

	/* what the format says about the header */
	if (size < SPARSE_BINARY_HEADER_SIZE)
		want = SPARSE_PARSE_BIN_SHORT;
	else
	{
		dim = (int32_t) get_be32(data);
		nnz = (int32_t) get_be32(data + 4);
		unused = (int32_t) get_be32(data + 8);
		if (dim < 1)
			want = SPARSE_PARSE_NO_DIMS;
		else if (dim > SPARSE_PARSE_MAX_DIM)
			want = SPARSE_PARSE_TOO_MANY_DIMS;
		else if (nnz < 0)
			want = SPARSE_PARSE_NEGATIVE_NNZ;
		else if (nnz > SPARSE_PARSE_MAX_NNZ)
			want = SPARSE_PARSE_TOO_MANY_NNZ;
		else if (nnz > dim)
			want = SPARSE_PARSE_NNZ_OVER_DIM;
		else
			want = SPARSE_PARSE_OK;
	}

	ok = SparseParseBinaryHeader(msg, len, &hdr, &err);
	CHECK(err.status == want && ok == (want == SPARSE_PARSE_OK),
		  "header status %d, expected %d (len %d)", (int) err.status, (int) want, len);
	if (want == SPARSE_PARSE_NO_DIMS || want == SPARSE_PARSE_TOO_MANY_DIMS)
		CHECK(err.value == dim, "dim %d, reported %d", dim, err.value);
	if (ok)
	{
		/* sized exactly as sparsevec_recv sizes them: nnz of each */
		int32_t    *ix = xmalloc(sizeof(int32_t) * (size_t) nnz);
		float	   *vx = xmalloc(sizeof(float) * (size_t) nnz);

		CHECK(hdr.dim == dim && hdr.nnz == nnz && hdr.unused == unused,
			  "header %d/%d/%d", hdr.dim, hdr.nnz, hdr.unused);
		want = expected_body(data, size, dim, nnz, unused);
		ok = SparseParseBinaryBody(msg, len, &hdr, ix, vx, &err);
		CHECK(err.status == want && ok == (want == SPARSE_PARSE_OK),
			  "body status %d, expected %d", (int) err.status, (int) want);
		if (want == SPARSE_PARSE_BIN_UNUSED)
			CHECK(err.value == unused, "unused %d, reported %d", unused, err.value);
		if (ok)
		{
			unsigned char *again = xmalloc(SPARSE_BINARY_SIZE(nnz));

			CHECK(SPARSE_BINARY_SIZE(nnz) <= size, "value of %zu bytes in %zu",
				  SPARSE_BINARY_SIZE(nnz), size);
			check_valid_sparse(dim, nnz, ix, vx);
			encode_sparse_binary(dim, nnz, ix, vx, again);
			CHECK(memcmp(again, data, SPARSE_BINARY_SIZE(nnz)) == 0,
				  "re-encoding gives other bytes");
			free(again);
			check_sparse_round_trip(dim, nnz, ix, vx);
		}
		free(vx);
		free(ix);
	}
	free(msg);
	return 0;
}
