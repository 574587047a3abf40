/*
 * fuzz_halfvec_text.c
 *	  libFuzzer target for the halfvec type's text input (HalfvecParseText,
 *	  what halfvec_in runs) and its text output (the widened halves through
 *	  VectorFormatText, what halfvec_out runs).
 *
 * The input bytes, up to the first NUL, are parsed with scratch and output
 * buffers of exactly VectorTextMaxElements() elements.  Checked:
 *   the outcome agrees with vector's parser on the same text: where that
 *     refuses the text, so does halfvec's with the same status; where it
 *     accepts, halfvec's elements are exactly those floats rounded to half
 *     (vec_float_to_half), unless one rounds beyond +-65504: then the first
 *     such element is refused as out of range, its token pointing into the
 *     input at text that reads back as that float;
 *   accepted vectors have 1..16000 finite halves, and output -> parse gives
 *     the identical halves, the output a fixed point; the binary format,
 *     encoded here, parses to the same halves.
 */
#include "fuzz_common.h"

#include "halfvecparse.h"

/* Encodes dim halves in the binary format (big-endian), independently. */
static void
encode_half_binary(const VecHalf *x, int dim, unsigned char *out)
{
	int			i;

	out[0] = (unsigned char) ((unsigned) dim >> 8);
	out[1] = (unsigned char) dim;
	out[2] = 0;
	out[3] = 0;
	for (i = 0; i < dim; i++)
	{
		out[4 + 2 * i] = (unsigned char) (x[i] >> 8);
		out[5 + 2 * i] = (unsigned char) x[i];
	}
}

/* Output, parse back, format again: the same halves and the same text. */
static void
check_half_round_trip(const VecHalf *x, int dim)
{
	size_t		bufsize = VECTOR_TEXT_BUFSIZE(dim);
	char	   *text = xmalloc(bufsize);
	char	   *text2 = xmalloc(bufsize);
	float	   *f = xmalloc(sizeof(float) * (size_t) dim);
	float	   *scratch;
	VecHalf    *y;
	int			cap;
	int			len;
	int			i;
	VectorParseError err;

	for (i = 0; i < dim; i++)
		f[i] = vec_half_to_float(x[i]);
	len = VectorFormatText(f, dim, text);
	CHECK(len >= 3 && (size_t) len < bufsize, "len %d, buffer %zu", len, bufsize);
	cap = VectorTextMaxElements(text);
	CHECK(cap == dim, "output has room for %d elements, not %d", cap, dim);
	scratch = xmalloc(sizeof(float) * (size_t) cap);
	y = xmalloc(sizeof(VecHalf) * (size_t) cap);
	CHECK(HalfvecParseText(text, scratch, y, &err) == dim,
		  "output \"%.200s\" parsed back with status %d", text, (int) err.status);
	CHECK(memcmp(x, y, sizeof(VecHalf) * (size_t) dim) == 0,
		  "output \"%.200s\" parsed back to different halves", text);
	for (i = 0; i < dim; i++)
		f[i] = vec_half_to_float(y[i]);
	CHECK(VectorFormatText(f, dim, text2) == len && strcmp(text, text2) == 0,
		  "formatting is not a fixed point: \"%.200s\" then \"%.200s\"", text, text2);
	free(y);
	free(scratch);
	free(f);
	free(text2);
	free(text);
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *s = xmalloc(size + 1);
	float	   *scratch;
	float	   *ref;
	VecHalf    *x;
	int			cap;
	int			dim;
	int			ref_dim;
	int			i;
	int			bad = -1;
	VectorParseError err;
	VectorParseError ref_err;

	memcpy(s, data, size);
	s[size] = '\0';

	cap = VectorTextMaxElements(s);
	CHECK(cap >= 1 && cap <= HALFVEC_PARSE_MAX_DIM, "room %d", cap);
	scratch = xmalloc(sizeof(float) * (size_t) cap);
	ref = xmalloc(sizeof(float) * (size_t) cap);
	x = xmalloc(sizeof(VecHalf) * (size_t) cap);

	dim = HalfvecParseText(s, scratch, x, &err);
	ref_dim = VectorParseText(s, ref, &ref_err);
	if (ref_dim < 0)
	{
		CHECK(dim == -1 && err.status == ref_err.status,
			  "vector refuses with status %d, halfvec gives %d (status %d)",
			  (int) ref_err.status, dim, (int) err.status);
		goto done;
	}
	for (i = 0; i < ref_dim && bad < 0; i++)
		if (HalfvecCheckElement(vec_float_to_half(ref[i])) != VECTOR_PARSE_OK)
			bad = i;
	if (bad >= 0)
	{
		char	   *tok;
		char	   *end;

		CHECK(dim == -1 && err.status == VECTOR_PARSE_OUT_OF_RANGE,
			  "element %d rounds beyond 65504 but status %d", bad, (int) err.status);
		CHECK(err.token > s && err.token_len > 0 &&
			  err.token + err.token_len <= s + size, "token outside the input");
		tok = xmalloc((size_t) err.token_len + 1);
		memcpy(tok, err.token, (size_t) err.token_len);
		tok[err.token_len] = '\0';
		CHECK(strtof(tok, &end) == ref[bad] && *end == '\0',
			  "token \"%s\" is not element %d", tok, bad);
		free(tok);
		goto done;
	}
	CHECK(dim == ref_dim && err.status == VECTOR_PARSE_OK,
		  "vector accepts %d elements, halfvec returns %d (status %d)",
		  ref_dim, dim, (int) err.status);
	for (i = 0; i < dim; i++)
	{
		CHECK(x[i] == vec_float_to_half(ref[i]), "element %d: %04x", i, x[i]);
		CHECK(HalfvecCheckElement(x[i]) == VECTOR_PARSE_OK, "element %d not finite", i);
	}
	check_half_round_trip(x, dim);
	{
		size_t		binsize = HALFVEC_BINARY_SIZE(dim);
		unsigned char *bin = xmalloc(binsize);
		VecHalf    *y = xmalloc(sizeof(VecHalf) * (size_t) dim);

		encode_half_binary(x, dim, bin);
		CHECK(HalfvecParseBinaryHeader((const char *) bin, (int) binsize, &err) == dim,
			  "binary header status %d", (int) err.status);
		CHECK(HalfvecParseBinaryElements((const char *) bin, dim, y, &err),
			  "binary elements status %d", (int) err.status);
		CHECK(memcmp(x, y, sizeof(VecHalf) * (size_t) dim) == 0, "binary gave other halves");
		free(y);
		free(bin);
	}
done:
	free(x);
	free(ref);
	free(scratch);
	free(s);
	return 0;
}
