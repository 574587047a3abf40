/*
 * fuzz_sparse_common.h
 *	  Helpers shared by the sparsevec fuzz targets: an encoder of the binary
 *	  format written independently of the parser, and the round trip of an
 *	  accepted sparse vector through the text and binary formats.
 */
#ifndef VECINDEX_FUZZ_SPARSE_COMMON_H
#define VECINDEX_FUZZ_SPARSE_COMMON_H

#include "fuzz_common.h"
#include "sparsevecparse.h"

static inline void
put_be32(unsigned char *out, uint32_t u)
{
	out[0] = (unsigned char) (u >> 24);
	out[1] = (unsigned char) (u >> 16);
	out[2] = (unsigned char) (u >> 8);
	out[3] = (unsigned char) u;
}

static inline uint32_t
get_be32(const unsigned char *b)
{
	return (uint32_t) b[0] << 24 | (uint32_t) b[1] << 16 |
		(uint32_t) b[2] << 8 | (uint32_t) b[3];
}

/* The binary send format; out must hold SPARSE_BINARY_SIZE(nnz) bytes. */
static inline void
encode_sparse_binary(int dim, int nnz, const int32_t *indices,
					 const float *values, unsigned char *out)
{
	int			i;

	put_be32(out, (uint32_t) dim);
	put_be32(out + 4, (uint32_t) nnz);
	put_be32(out + 8, 0);
	for (i = 0; i < nnz; i++)
	{
		uint32_t	u;

		put_be32(out + 12 + 4 * i, (uint32_t) indices[i]);
		memcpy(&u, &values[i], 4);
		put_be32(out + 12 + 4 * (nnz + i), u);
	}
}

/* Every property a stored sparse vector must have. */
static inline void
check_valid_sparse(int dim, int nnz, const int32_t *indices,
				   const float *values)
{
	int			i;

	CHECK(dim >= 1 && dim <= SPARSE_PARSE_MAX_DIM, "dim %d", dim);
	CHECK(nnz >= 0 && nnz <= SPARSE_PARSE_MAX_NNZ && nnz <= dim,
		  "nnz %d, dim %d", nnz, dim);
	for (i = 0; i < nnz; i++)
	{
		CHECK(indices[i] >= 0 && indices[i] < dim, "index %d of %d", indices[i], dim);
		CHECK(i == 0 || indices[i] > indices[i - 1], "indices not increasing at %d", i);
		CHECK(is_finite_float(values[i]) && values[i] != 0.0f,
			  "value %d is zero or not finite", i);
	}
}

/*
 * Formats the vector into a buffer of exactly the promised size, parses
 * the text back, and checks that the same bits come back, that formatting
 * again gives the same text, and that the binary format parses to the same
 * bits too.
 */
static inline void
check_sparse_round_trip(int dim, int nnz, const int32_t *indices,
						const float *values)
{
	size_t		bufsize = SPARSE_TEXT_BUFSIZE(nnz);
	char	   *text = xmalloc(bufsize);
	char	   *text2 = xmalloc(bufsize);
	size_t		binsize = SPARSE_BINARY_SIZE(nnz);
	unsigned char *bin = xmalloc(binsize);
	SparseElement *elems;
	int32_t    *ix = xmalloc(sizeof(int32_t) * (size_t) (nnz + 1));
	float	   *vx = xmalloc(sizeof(float) * (size_t) (nnz + 1));
	SparseBinaryHeader hdr;
	SparseParseError err;
	int			len;
	int			cap;
	int			dim2 = 0;
	int			nnz2;

	len = SparseFormatText(dim, nnz, indices, values, text);
	/* the formatter's Ryu code is not instrumented: check its length here */
	CHECK(len >= 4 && (size_t) len < bufsize, "len %d, buffer %zu", len, bufsize);
	CHECK(strlen(text) == (size_t) len, "strlen %zu, returned %d", strlen(text), len);
	CHECK(strpbrk(text, " \t\n\r\v\f") == NULL, "whitespace in output \"%.200s\"", text);

	cap = SparseTextMaxElements(text);
	CHECK(cap == (nnz > 0 ? nnz : 1), "output \"%.200s\": room %d, nnz %d", text, cap, nnz);
	elems = xmalloc(sizeof(SparseElement) * (size_t) cap);
	nnz2 = SparseParseText(text, elems, &dim2, &err);
	CHECK(nnz2 == nnz && dim2 == dim,
		  "output \"%.200s\" parsed back as %d/%d (status %d), not %d/%d",
		  text, nnz2, dim2, (int) err.status, nnz, dim);
	CHECK(SparseSortElements(elems, nnz, dim, ix, vx, &err),
		  "output \"%.200s\" fails its index checks (status %d)", text, (int) err.status);
	CHECK(nnz == 0 || (memcmp(ix, indices, sizeof(int32_t) * (size_t) nnz) == 0 &&
					   memcmp(vx, values, sizeof(float) * (size_t) nnz) == 0),
		  "output \"%.200s\" parsed back to other bits", text);
	CHECK(SparseFormatText(dim, nnz, ix, vx, text2) == len && strcmp(text, text2) == 0,
		  "formatting is not a fixed point: \"%.200s\" then \"%.200s\"", text, text2);

	encode_sparse_binary(dim, nnz, indices, values, bin);
	CHECK(SparseParseBinaryHeader((const char *) bin, (int) binsize, &hdr, &err),
		  "binary header status %d", (int) err.status);
	CHECK(hdr.dim == dim && hdr.nnz == nnz, "binary header %d/%d", hdr.dim, hdr.nnz);
	CHECK(SparseParseBinaryBody((const char *) bin, (int) binsize, &hdr, ix, vx, &err),
		  "binary body status %d", (int) err.status);
	CHECK(nnz == 0 || (memcmp(ix, indices, sizeof(int32_t) * (size_t) nnz) == 0 &&
					   memcmp(vx, values, sizeof(float) * (size_t) nnz) == 0),
		  "binary gave other bits");

	free(elems);
	free(vx);
	free(ix);
	free(bin);
	free(text2);
	free(text);
}

#endif							/* VECINDEX_FUZZ_SPARSE_COMMON_H */
