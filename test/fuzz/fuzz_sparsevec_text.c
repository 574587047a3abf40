/*
 * fuzz_sparsevec_text.c
 *	  libFuzzer target for the sparsevec type's text input (SparseParseText
 *	  then SparseSortElements, what sparsevec_in runs) and text output
 *	  (SparseFormatText, sparsevec_out).
 *
 * The input bytes, up to the first NUL, are parsed into a buffer of exactly
 * SparseTextMaxElements() elements.  Besides "no crash, no sanitizer
 * report" it checks:
 *   accepted: a valid sparse vector (dimension count in range, indices in
 *     range and strictly increasing, values finite and non-zero, no more
 *     elements than commas + 1), first non-space character '{'; and the
 *     round trip through the text and binary formats gives the same bits;
 *   rejected by the index checks: some index really is out of range or
 *     repeated (recomputed here from the sorted elements);
 *   rejected by the parser: a status text input can have, the detail that
 *     goes with it, and for a few the reason checked independently (no '{'
 *     first, more than 16000 commas, an out-of-range token inside the
 *     input).
 */
#include "fuzz_sparse_common.h"

static int
is_space_char(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		c == '\v' || c == '\f';
}

static int
count_commas(const char *s)
{
	int			n = 0;

	for (; *s; s++)
		n += (*s == ',');
	return n;
}

static void
check_rejected(const char *s, const SparseParseError *err)
{
	const char *p = s;

	while (is_space_char(*p))
		p++;
	switch (err->status)
	{
		case SPARSE_PARSE_SYNTAX:
			CHECK(err->detail == NULL ||
				  strcmp(err->detail, "Vector contents must start with \"{\".") == 0 ||
				  strcmp(err->detail, "Unexpected end of input.") == 0 ||
				  strcmp(err->detail, "Junk after closing.") == 0,
				  "detail \"%s\"", err->detail);
			CHECK((*p != '{') == (err->detail != NULL && err->detail[0] == 'V'),
				  "first character '%c' but detail %s", *p,
				  err->detail ? err->detail : "(none)");
			break;
		case SPARSE_PARSE_TOO_MANY_NNZ:
			CHECK(count_commas(s) >= SPARSE_PARSE_MAX_NNZ, "too many elements with %d commas",
				  count_commas(s));
			break;
		case SPARSE_PARSE_OUT_OF_RANGE:
			CHECK(err->token != NULL && err->token > s && err->token_len > 0 &&
				  err->token + err->token_len <= s + strlen(s),
				  "token outside the input");
			break;
		case SPARSE_PARSE_NAN:
		case SPARSE_PARSE_INF:
			break;
		case SPARSE_PARSE_NO_DIMS:
			CHECK(err->value < 1, "no dims with %d", err->value);
			break;
		case SPARSE_PARSE_TOO_MANY_DIMS:
			CHECK(err->value > SPARSE_PARSE_MAX_DIM, "too many dims with %d", err->value);
			break;
		default:
			CHECK(0, "status %d for text input", (int) err->status);
	}
	if (err->status != SPARSE_PARSE_TOO_MANY_NNZ)
		CHECK(count_commas(s) < SPARSE_PARSE_MAX_NNZ, "%d commas accepted", count_commas(s));
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *s = xmalloc(size + 1);
	SparseElement *elems;
	int			cap;
	int			dim = 0;
	int			nnz;
	SparseParseError err;

	memcpy(s, data, size);
	s[size] = '\0';

	cap = SparseTextMaxElements(s);
	CHECK(cap >= 1 && cap <= SPARSE_PARSE_MAX_NNZ + 1, "room %d", cap);
	elems = xmalloc(sizeof(SparseElement) * (size_t) cap);
	nnz = SparseParseText(s, elems, &dim, &err);
	if (nnz >= 0)
	{
		int32_t    *ix = xmalloc(sizeof(int32_t) * (size_t) (nnz + 1));
		float	   *vx = xmalloc(sizeof(float) * (size_t) (nnz + 1));
		const char *p = s;
		int			i;

		CHECK(err.status == SPARSE_PARSE_OK, "nnz %d with status %d", nnz, (int) err.status);
		CHECK(nnz <= cap && cap <= SPARSE_PARSE_MAX_NNZ, "nnz %d, room %d", nnz, cap);
		CHECK(dim >= 1 && dim <= SPARSE_PARSE_MAX_DIM, "dim %d", dim);
		while (is_space_char(*p))
			p++;
		CHECK(*p == '{', "accepted \"%.200s\"", s);
		for (i = 0; i < nnz; i++)
			CHECK(is_finite_float(elems[i].value) && elems[i].value != 0.0f,
				  "element %d zero or not finite", i);

		if (SparseSortElements(elems, nnz, dim, ix, vx, &err))
		{
			check_valid_sparse(dim, nnz, ix, vx);
			check_sparse_round_trip(dim, nnz, ix, vx);
		}
		else
		{
			int			bad = 0;

			/* elems is sorted now: a bad index is out of range or repeated */
			for (i = 0; i < nnz; i++)
				bad |= elems[i].index < 0 || elems[i].index >= dim ||
					(i > 0 && elems[i].index == elems[i - 1].index);
			CHECK(bad, "index checks failed (status %d) on good indices", (int) err.status);
			CHECK(err.status == SPARSE_PARSE_INDEX_RANGE ||
				  err.status == SPARSE_PARSE_INDEX_DUPLICATE,
				  "index status %d", (int) err.status);
		}
		free(vx);
		free(ix);
	}
	else
	{
		CHECK(nnz == -1, "returned %d", nnz);
		check_rejected(s, &err);
	}
	free(elems);
	free(s);
	return 0;
}
