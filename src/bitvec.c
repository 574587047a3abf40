/*
 * bitvec.c
 *	  SQL functions on PostgreSQL's bit strings: the Hamming and Jaccard
 *	  distances (operators <~> and <%>), and binary_quantize(vector), which
 *	  turns a vector into a bit string to compare that way.
 *
 * The distances call the popcount kernels of distance_bit.c directly, over
 * the strings' bytes; an index that calls the same kernels (vec_bit_kernels)
 * and vec_bit_jaccard() gets the very values these functions return.  A bit
 * or varbit value always has its padding bits (those after the last bit in
 * the last byte) clear, which is what the kernels require.
 */
#include "postgres.h"

#include "compat.h"

#include "miscadmin.h"
#include "utils/varbit.h"

#include "distance_bit.h"
#include "vector.h"

/*
 * Long strings are counted in pieces of this many bytes, with a check for
 * interrupts in between (a bit string may be as long as 256 MB).
 */
#define BIT_PIECE_BYTES (1024 * 1024)

/* ERRORs (data_exception) unless a and b have the same number of bits. */
static void
check_bit_lengths(const VarBit *a, const VarBit *b)
{
	if (VARBITLEN(a) != VARBITLEN(b))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different bit lengths %u and %u",
						(uint32) VARBITLEN(a), (uint32) VARBITLEN(b))));
}

#ifdef USE_ASSERT_CHECKING
/* The kernels count whole bytes: the bits after the last one must be 0. */
static bool
bit_padding_clear(const VarBit *v)
{
	int			pad = VARBITPAD(v);

	return pad == 0 ||
		(VARBITS(v)[VARBITBYTES(v) - 1] & ((1 << pad) - 1)) == 0;
}
#endif

/*
 * The counts of the two strings of a distance function, which must be of
 * the same length: for hamming, popcount(a XOR b) in *c0; otherwise
 * popcount(a AND b) in *c0 and popcount(a OR b) in *c1.  Each fits in
 * uint32, as a string has at most VARBITMAXLEN bits.
 */
static void
bit_arg_counts(FunctionCallInfo fcinfo, bool hamming, uint32 *c0, uint32 *c1)
{
	VarBit	   *a = PG_GETARG_VARBIT_P(0);
	VarBit	   *b = PG_GETARG_VARBIT_P(1);
	const uint8 *x = VARBITS(a);
	const uint8 *y = VARBITS(b);
	int			nbytes = VARBITBYTES(a);

	check_bit_lengths(a, b);
	Assert(bit_padding_clear(a) && bit_padding_clear(b));
	*c0 = *c1 = 0;
	while (nbytes > 0)
	{
		int			piece = Min(nbytes, BIT_PIECE_BYTES);
		uint32		p0;
		uint32		p1 = 0;

		CHECK_FOR_INTERRUPTS();
		if (hamming)
			p0 = vec_bit_kernels->hamming(x, y, piece);
		else
			vec_bit_kernels->jaccard_counts(x, y, piece, &p0, &p1);
		*c0 += p0;
		*c1 += p1;
		x += piece;
		y += piece;
		nbytes -= piece;
	}
	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
}

/*
 * The number of bits that differ between a and b.
 */
PG_FUNCTION_INFO_V1(hamming_distance);
Datum
hamming_distance(PG_FUNCTION_ARGS)
{
	uint32		differ;
	uint32		unused;

	bit_arg_counts(fcinfo, true, &differ, &unused);
	PG_RETURN_FLOAT8((double) differ);
}

/*
 * 1 - |a AND b| / |a OR b|; 1 when a and b have no set bit in common
 * (also when neither has a set bit, as in pgvector).
 */
PG_FUNCTION_INFO_V1(jaccard_distance);
Datum
jaccard_distance(PG_FUNCTION_ARGS)
{
	uint32		both;
	uint32		either;

	bit_arg_counts(fcinfo, false, &both, &either);
	PG_RETURN_FLOAT8(vec_bit_jaccard(both, either));
}

/*
 * A bit string of the vector's length whose bit i is set when element i is
 * greater than zero (so 0 and -0 give a clear bit).
 */
PG_FUNCTION_INFO_V1(binary_quantize);
Datum
binary_quantize(PG_FUNCTION_ARGS)
{
	Vector	   *v = PG_GETARG_VECTOR_P(0);
	int			dim = v->dim;
	Size		size = VARBITTOTALLEN(dim);
	VarBit	   *result = (VarBit *) palloc0(size);
	bits8	   *out = VARBITS(result);
	int			i;

	SET_VARSIZE(result, size);
	VARBITLEN(result) = dim;
	/* bit i is bit 7 - i % 8 of byte i / 8; the padding stays clear */
	for (i = 0; i < dim; i++)
	{
		if (v->x[i] > 0)
			out[i / BITS_PER_BYTE] |= (bits8) (1 << (BITS_PER_BYTE - 1 - i % BITS_PER_BYTE));
	}
	PG_FREE_IF_COPY(v, 0);
	PG_RETURN_VARBIT_P(result);
}
