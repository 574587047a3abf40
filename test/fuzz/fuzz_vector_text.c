/*
 * fuzz_vector_text.c
 *	  libFuzzer target for the vector type's text input (VectorParseText,
 *	  what vector_in runs) and text output (VectorFormatText, vector_out).
 *
 * The input bytes, up to the first NUL (a server never passes a NUL inside
 * a cstring), are parsed into a buffer of exactly VectorTextMaxElements()
 * floats.  Besides "no crash, no sanitizer report" it checks:
 *   accepted: 1..16000 elements, all finite, one more than the commas in the
 *     input, first and last non-space characters '[' and ']';
 *     output -> parse gives the identical bits, and formatting is a fixed
 *     point (round trip); the binary send format, encoded here, parses to
 *     the same bits with VectorParseBinary*;
 *   rejected: the status is a real error, and it is the one the input
 *     calls for where that is easy to tell independently (no '[' first,
 *     "[]", too many commas, an out-of-range token that lies in the input).
 */
#include "fuzz_common.h"

static int
is_space_char(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		c == '\v' || c == '\f';
}

static void
check_accepted(const char *s, const float *x, int dim, int cap)
{
	const char *p;
	const char *last = NULL;
	int			commas = 0;
	int			i;
	size_t		binsize;
	unsigned char *bin;
	float	   *y;
	VectorParseError err;

	CHECK(dim >= 1 && dim <= VECTOR_PARSE_MAX_DIM, "dim %d", dim);
	CHECK(dim <= cap, "dim %d > room %d", dim, cap);
	for (i = 0; i < dim; i++)
		CHECK(is_finite_float(x[i]), "element %d is not finite", i);

	for (p = s; *p; p++)
	{
		if (*p == ',')
			commas++;
		if (!is_space_char(*p))
			last = p;
	}
	CHECK(commas == dim - 1, "%d commas but %d elements", commas, dim);
	CHECK(cap == dim, "room for %d elements, %d found", cap, dim);
	for (p = s; is_space_char(*p); p++)
		;
	CHECK(*p == '[' && last != NULL && *last == ']', "accepted \"%.200s\"", s);

	check_text_round_trip(x, dim);

	/* the same vector through the binary format */
	binsize = VECTOR_BINARY_SIZE(dim);
	bin = xmalloc(binsize);
	encode_binary(x, dim, bin);
	CHECK(VectorParseBinaryHeader((const char *) bin, (int) binsize, &err) == dim,
		  "binary header status %d", (int) err.status);
	y = xmalloc(sizeof(float) * (size_t) dim);
	CHECK(VectorParseBinaryElements((const char *) bin, dim, y, &err),
		  "binary elements status %d", (int) err.status);
	CHECK(memcmp(x, y, sizeof(float) * (size_t) dim) == 0, "binary gave other bits");
	free(y);
	free(bin);
}

static void
check_rejected(const char *s, const VectorParseError *err)
{
	const char *p = s;
	int			commas = 0;

	while (is_space_char(*p))
		p++;
	switch (err->status)
	{
		case VECTOR_PARSE_SYNTAX:
			CHECK(err->detail == NULL ||
				  strcmp(err->detail, "Vector contents must start with \"[\".") == 0 ||
				  strcmp(err->detail, "Junk after closing right bracket.") == 0,
				  "detail \"%s\"", err->detail);
			CHECK((*p != '[') == (err->detail != NULL &&
								  err->detail[0] == 'V'),
				  "first character '%c' but detail %s", *p,
				  err->detail ? err->detail : "(none)");
			break;
		case VECTOR_PARSE_NO_DIMS:
			CHECK(*p == '[', "no dims for \"%.200s\"", s);
			for (p++; is_space_char(*p); p++)
				;
			CHECK(*p == ']', "no dims for \"%.200s\"", s);
			CHECK(err->dim == 0, "dim %d", err->dim);
			break;
		case VECTOR_PARSE_TOO_MANY_DIMS:
			for (p = s; *p; p++)
				commas += (*p == ',');
			CHECK(commas >= VECTOR_PARSE_MAX_DIM, "too many dims with %d commas", commas);
			CHECK(err->dim == VECTOR_PARSE_MAX_DIM + 1, "dim %d", err->dim);
			break;
		case VECTOR_PARSE_OUT_OF_RANGE:
			CHECK(err->token != NULL && err->token > s &&
				  err->token_len > 0 &&
				  err->token + err->token_len <= s + strlen(s),
				  "token outside the input");
			break;
		case VECTOR_PARSE_NAN:
		case VECTOR_PARSE_INF:
			break;
		default:
			CHECK(0, "status %d for text input", (int) err->status);
	}
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *s = xmalloc(size + 1);
	float	   *x;
	int			cap;
	int			dim;
	VectorParseError err;

	memcpy(s, data, size);
	s[size] = '\0';

	cap = VectorTextMaxElements(s);
	CHECK(cap >= 1 && cap <= VECTOR_PARSE_MAX_DIM, "room %d", cap);
	x = xmalloc(sizeof(float) * (size_t) cap);
	dim = VectorParseText(s, x, &err);
	if (dim >= 0)
	{
		CHECK(err.status == VECTOR_PARSE_OK, "dim %d with status %d", dim, (int) err.status);
		check_accepted(s, x, dim, cap);
	}
	else
	{
		CHECK(dim == -1, "returned %d", dim);
		check_rejected(s, &err);
	}
	free(x);
	free(s);
	return 0;
}
