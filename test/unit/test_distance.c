/*
 * test_distance.c
 *	  Standalone test of every distance-kernel variant this CPU can run.
 *
 *	  make test/unit/test_distance && test/unit/test_distance
 *
 * For each variant and each length it checks the four kernels
 *   - on random real data against a double-precision reference, within a
 *     tolerance suited to single-precision accumulation, and against the
 *     portable variant;
 *   - on small-integer data, where every partial sum is exact in float, so
 *     any variant must return exactly the reference (this is what catches a
 *     dropped or doubled element at large n, which a relative tolerance
 *     cannot);
 *   - on identical vectors (l2 and l1 must be exactly 0);
 *   - at unaligned addresses (a+1, b+3);
 *   - right against an unreadable page on either side (mmap + PROT_NONE), so
 *     a kernel that reads past either end of its vectors crashes here;
 *   - the promises distance.c makes about bits: a result does not depend on
 *     where the vectors are in memory (every pair of float offsets 0..15),
 *     every kernel is symmetric, AVX2 and AVX-512 agree for every n, and all
 *     variants agree for n <= 16.
 *
 * The half-precision and 8-bit variants (distance_half.c, distance_sq8.c)
 * are tested after the float ones, as their sections say.
 *
 * Prints one line per variant and ends with "N passed, M failed"; exits
 * non-zero on any failure.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "distance.h"

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#include <unistd.h>
#define HAVE_GUARD_PAGES 1
#endif

#define MAX_VARIANTS 8

static const int lengths[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
	20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37,
	38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55,
	56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70,
	95, 96, 97, 100, 127, 128, 129, 255, 256, 257, 300, 784, 960, 1000, 1536,
	2000, 4096, 16000
};
#define NLENGTHS ((int) (sizeof(lengths) / sizeof(lengths[0])))
#define MAXLEN 16000

static long n_passed;
static long n_failed;
static long variant_failed;

/* xorshift64*: fixed seed, same data on every run and machine */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t
rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

/* uniform in [-1, 1) */
static float
rng_float(void)
{
	return (float) ((double) (rng_next() >> 40) / (double) (1 << 23) - 1.0);
}

/* integer in [-k, k] */
static float
rng_int(int k)
{
	return (float) ((int) (rng_next() % (uint64_t) (2 * k + 1)) - k);
}

/* ---------------------------------------------------------------------
 * Double-precision references.  *mag receives the sum of the magnitudes of
 * the terms, the scale of the rounding error of any summation order.
 * ---------------------------------------------------------------------
 */
typedef struct Ref
{
	double		l2,
				l2_mag;
	double		ip,
				ip_mag;
	double		l1,
				l1_mag;
	double		ab,
				ab_mag;
	double		aa,
				bb;
} Ref;

static Ref
reference(const float *a, const float *b, int n)
{
	Ref			r;
	int			i;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < n; i++)
	{
		double		x = a[i];
		double		y = b[i];
		double		d = x - y;

		r.l2 += d * d;
		r.ip += x * y;
		r.l1 += fabs(d);
		r.ab += x * y;
		r.aa += x * x;
		r.bb += y * y;
		r.ip_mag += fabs(x * y);
	}
	r.l2_mag = r.l2;
	r.l1_mag = r.l1;
	r.ab_mag = r.ip_mag;
	return r;
}

/* ---------------------------------------------------------------------
 * Checks
 * ---------------------------------------------------------------------
 */
static void
report(int ok, const char *variant, const char *what, const char *kernel,
	   int n, double got, double want, double tol)
{
	if (ok)
	{
		n_passed++;
		return;
	}
	n_failed++;
	variant_failed++;
	if (variant_failed <= 20)
		printf("FAIL %s %s %s n=%d: got %.9g want %.9g (diff %.3g, tol %.3g)\n",
			   variant, what, kernel, n, got, want, fabs(got - want), tol);
}

/*
 * Tolerance for a float sum of n terms whose magnitudes add up to mag:
 * 1e-4 relative to the result plus 1e-6 of the magnitude (covers cancellation
 * in the inner product) plus a tiny absolute term growing with n.
 */
static double
tolerance(double want, double mag, int n)
{
	return 1e-4 * fabs(want) + 1e-6 * mag + 1e-30 * (n + 1);
}

static void
check_close(const char *variant, const char *what, const char *kernel, int n,
			double got, double want, double mag)
{
	double		tol = tolerance(want, mag, n);

	report(isfinite(got) && fabs(got - want) <= tol,
		   variant, what, kernel, n, got, want, tol);
}

static void
check_exact(const char *variant, const char *what, const char *kernel, int n,
			double got, double want)
{
	report(got == want, variant, what, kernel, n, got, want, 0.0);
}

/* Every kernel on (a, b, n), compared with the reference (and portable). */
static void
check_all(const VecKernels *k, const VecKernels *portable, const char *what,
		  const float *a, const float *b, int n, int exact)
{
	Ref			r = reference(a, b, n);
	float		ab = NAN,
				aa = NAN,
				bb = NAN;
	float		pab,
				paa,
				pbb;
	float		l2 = k->l2_squared(a, b, n);
	float		ip = k->inner_product(a, b, n);
	float		l1 = k->l1(a, b, n);

	k->cosine_parts(a, b, n, &ab, &aa, &bb);

	if (exact)
	{
		check_exact(k->name, what, "l2_squared", n, l2, r.l2);
		check_exact(k->name, what, "inner_product", n, ip, r.ip);
		check_exact(k->name, what, "l1", n, l1, r.l1);
		check_exact(k->name, what, "cosine_parts.ab", n, ab, r.ab);
		check_exact(k->name, what, "cosine_parts.aa", n, aa, r.aa);
		check_exact(k->name, what, "cosine_parts.bb", n, bb, r.bb);
		return;
	}

	check_close(k->name, what, "l2_squared", n, l2, r.l2, r.l2_mag);
	check_close(k->name, what, "inner_product", n, ip, r.ip, r.ip_mag);
	check_close(k->name, what, "l1", n, l1, r.l1, r.l1_mag);
	check_close(k->name, what, "cosine_parts.ab", n, ab, r.ab, r.ab_mag);
	check_close(k->name, what, "cosine_parts.aa", n, aa, r.aa, r.aa);
	check_close(k->name, what, "cosine_parts.bb", n, bb, r.bb, r.bb);

	/* cosine_parts.ab must agree with inner_product of the same variant */
	check_close(k->name, what, "cosine_parts.ab~inner_product", n, ab, ip, r.ab_mag);

	if (k != portable)
	{
		portable->cosine_parts(a, b, n, &pab, &paa, &pbb);
		check_close(k->name, what, "l2_squared~portable", n, l2,
					portable->l2_squared(a, b, n), 2 * r.l2_mag);
		check_close(k->name, what, "inner_product~portable", n, ip,
					portable->inner_product(a, b, n), 2 * r.ip_mag);
		check_close(k->name, what, "l1~portable", n, l1,
					portable->l1(a, b, n), 2 * r.l1_mag);
		check_close(k->name, what, "cosine_parts.ab~portable", n, ab, pab, 2 * r.ab_mag);
		check_close(k->name, what, "cosine_parts.aa~portable", n, aa, paa, 2 * r.aa);
		check_close(k->name, what, "cosine_parts.bb~portable", n, bb, pbb, 2 * r.bb);
	}
}

/* Same inputs twice must give the same bits (no hidden state). */
static void
check_deterministic(const VecKernels *k, const float *a, const float *b, int n)
{
	float		x = k->l2_squared(a, b, n);
	float		y = k->l2_squared(a, b, n);

	report(memcmp(&x, &y, sizeof(float)) == 0, k->name, "repeat", "l2_squared",
		   n, y, x, 0.0);
	x = k->inner_product(a, b, n);
	y = k->inner_product(a, b, n);
	report(memcmp(&x, &y, sizeof(float)) == 0, k->name, "repeat", "inner_product",
		   n, y, x, 0.0);
}

/* Identical vectors: l2 and l1 exactly 0; ab, aa and bb exactly equal. */
static void
check_identical(const VecKernels *k, const float *a, float *copy, int n)
{
	float		ab = NAN,
				aa = NAN,
				bb = NAN;

	memcpy(copy, a, sizeof(float) * n);
	check_exact(k->name, "identical", "l2_squared", n, k->l2_squared(a, copy, n), 0.0);
	check_exact(k->name, "identical", "l1", n, k->l1(a, copy, n), 0.0);
	check_exact(k->name, "same-pointer", "l2_squared", n, k->l2_squared(a, a, n), 0.0);
	check_exact(k->name, "same-pointer", "l1", n, k->l1(a, a, n), 0.0);
	k->cosine_parts(a, copy, n, &ab, &aa, &bb);
	check_exact(k->name, "identical", "cosine_parts.ab==aa", n, ab, aa);
	check_exact(k->name, "identical", "cosine_parts.aa==bb", n, aa, bb);
}

/* The four kernels' results, compared bit for bit. */
typedef struct Bits
{
	float		l2,
				ip,
				l1,
				ab,
				aa,
				bb;
} Bits;

static Bits
run_bits(const VecKernels *k, const float *a, const float *b, int n)
{
	Bits		r;

	r.l2 = k->l2_squared(a, b, n);
	r.ip = k->inner_product(a, b, n);
	r.l1 = k->l1(a, b, n);
	k->cosine_parts(a, b, n, &r.ab, &r.aa, &r.bb);
	return r;
}

static void
check_same_bits(const char *variant, const char *what, int n, Bits got, Bits want)
{
	report(memcmp(&got.l2, &want.l2, sizeof(float)) == 0, variant, what, "l2_squared", n, got.l2, want.l2, 0);
	report(memcmp(&got.ip, &want.ip, sizeof(float)) == 0, variant, what, "inner_product", n, got.ip, want.ip, 0);
	report(memcmp(&got.l1, &want.l1, sizeof(float)) == 0, variant, what, "l1", n, got.l1, want.l1, 0);
	report(memcmp(&got.ab, &want.ab, sizeof(float)) == 0, variant, what, "cosine_parts.ab", n, got.ab, want.ab, 0);
	report(memcmp(&got.aa, &want.aa, sizeof(float)) == 0, variant, what, "cosine_parts.aa", n, got.aa, want.aa, 0);
	report(memcmp(&got.bb, &want.bb, sizeof(float)) == 0, variant, what, "cosine_parts.bb", n, got.bb, want.bb, 0);
}

/*
 * The same values at other addresses (every float offset 0..15 of a and b
 * from a 64-byte boundary) and in swapped order must give the same bits.
 * pa and pb are 64-byte aligned with room for n + 16 floats.
 */
static void
check_placement(const VecKernels *k, const float *src_a, const float *src_b,
				int n, float *pa, float *pb)
{
	Bits		want;
	Bits		swapped;
	Bits		got;
	int			oa,
				ob;
	float		t;

	memcpy(pa, src_a, sizeof(float) * n);
	memcpy(pb, src_b, sizeof(float) * n);
	want = run_bits(k, pa, pb, n);

	swapped = run_bits(k, pb, pa, n);
	t = swapped.aa;
	swapped.aa = swapped.bb;
	swapped.bb = t;
	check_same_bits(k->name, "symmetric", n, swapped, want);

	for (oa = 0; oa < 16; oa++)
	{
		for (ob = 0; ob < 16; ob++)
		{
			/* all of a's offsets against two of b's, and the diagonal */
			if (ob != 0 && ob != 5 && ob != oa)
				continue;
			memmove(pa + oa, src_a, sizeof(float) * n);
			memmove(pb + ob, src_b, sizeof(float) * n);
			got = run_bits(k, pa + oa, pb + ob, n);
			check_same_bits(k->name, "placement", n, got, want);
		}
	}
}

#ifdef HAVE_GUARD_PAGES
/*
 * Two buffers, each of pages with an inaccessible page before and after, so a
 * vector can be placed flush against either guard.
 */
typedef struct Guarded
{
	char	   *base;
	size_t		total;
	float	   *lo;				/* first float after the leading guard */
	float	   *hi_end;			/* one past the last float before the trailing
								 * guard */
} Guarded;

static int
guarded_alloc(Guarded *g, size_t nfloats)
{
	size_t		page = (size_t) sysconf(_SC_PAGESIZE);
	size_t		body = ((nfloats * sizeof(float) + page - 1) / page) * page;

	g->total = body + 2 * page;
	g->base = mmap(NULL, g->total, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->base == MAP_FAILED)
		return 0;
	if (mprotect(g->base, page, PROT_NONE) != 0 ||
		mprotect(g->base + page + body, page, PROT_NONE) != 0)
		return 0;
	g->lo = (float *) (g->base + page);
	g->hi_end = (float *) (g->base + page + body);
	return 1;
}

static void
check_guarded(const VecKernels *k, const VecKernels *portable,
			  Guarded *ga, Guarded *gb, const float *src_a, const float *src_b,
			  int n)
{
	/* flush against the trailing guard */
	float	   *a = ga->hi_end - n;
	float	   *b = gb->hi_end - n;

	memcpy(a, src_a, sizeof(float) * n);
	memcpy(b, src_b, sizeof(float) * n);
	check_all(k, portable, "end-of-page", a, b, n, 0);

	/* flush against the leading guard */
	a = ga->lo;
	b = gb->lo;
	memcpy(a, src_a, sizeof(float) * n);
	memcpy(b, src_b, sizeof(float) * n);
	check_all(k, portable, "start-of-page", a, b, n, 0);
}
#endif

/* ---------------------------------------------------------------------
 * Half-precision kernels (distance_half.c)
 *
 * For every half variant: from_float agrees with the portable conversion bit
 * for bit (on edge values and at random) and flags values too large; each
 * kernel, on halves widened exactly, matches a double reference (exactly on
 * small integers), is symmetric and deterministic, and reads nothing past
 * the padded length (copies flush against a guard page); the unpadded
 * ("_any") kernels return the padded ones' bits, are symmetric, agree with
 * the portable ones within rounding and read nothing past n.
 * ---------------------------------------------------------------------
 */

/* The padded half copy of in[0..n-1], widened back to floats */
static void
widen(const VecHalf *h, float *out, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		out[i] = vec_half_to_float(h[i]);
}

static void
check_half_conversion(const VecHalfKernels *k, const VecHalfKernels *portable,
					  VecHalf *hk, VecHalf *hp)
{
	static const float edge[] = {
		0.0f, -0.0f, 1.0f, -1.0f, 65504.0f, -65504.0f, 65519.99f,
		0x1p-24f,				/* smallest subnormal */
		0x1p-25f,				/* tie: rounds to even, 0 */
		0x1.8p-24f,				/* tie: rounds to even, 2^-23 */
		0x1p-14f,				/* smallest normal */
		6.1005354e-05f,			/* just below: subnormal rounding up */
		1.00048828125f,			/* 1 + 2^-11: tie, rounds to 1 */
		1.00146484375f,			/* 1 + 3 * 2^-11: tie, rounds up */
		0.1f, 3.14159265f, 1e-10f, 2047.5f, 2049.0f
	};
	int			ne = (int) (sizeof(edge) / sizeof(edge[0]));
	float		buf[64];
	float		w[64];
	int			i;
	int			r;

	/* edge values one per call (tail path) and all in one call */
	for (i = 0; i < ne; i++)
	{
		k->from_float(&edge[i], hk, 1);
		portable->from_float(&edge[i], hp, 1);
		report(memcmp(hk, hp, sizeof(VecHalf) * VEC_HALF_BLOCK) == 0,
			   k->name, "half-edge", "from_float", i, hk[0], hp[0], 0);
	}
	report(k->from_float(edge, hk, ne) == 1, k->name, "half-in-range",
		   "from_float", ne, 0, 1, 0);
	widen(hk, w, ne);
	report(w[4] == 65504.0f && w[7] == 0x1p-24f && w[8] == 0.0f &&
		   w[9] == 0x1p-23f && w[12] == 1.0f && w[13] == 1.001953125f,
		   k->name, "half-rounding", "from_float", ne, 0, 0, 0);
	report(hk[ne] == 0 && hk[vec_half_padded(ne) - 1] == 0,
		   k->name, "half-padding", "from_float", ne, hk[ne], 0, 0);
	/* too large, at any position */
	for (i = 0; i < 40; i += 13)
	{
		memset(buf, 0, sizeof(buf));
		buf[i] = (i & 1) ? -65520.0f : 1e6f;
		report(k->from_float(buf, hk, 40) == 0, k->name, "half-overflow",
			   "from_float", i, 1, 0, 0);
		/* saturated to +-65504, never infinity */
		report(vec_half_to_float(hk[i]) == ((i & 1) ? -65504.0f : 65504.0f),
			   k->name, "half-saturate", "from_float", i,
			   vec_half_to_float(hk[i]), (i & 1) ? -65504.0 : 65504.0, 0);
	}
	/* random values over many binades, every length up to 64 */
	for (r = 0; r < 2000; r++)
	{
		int			n = 1 + (int) (rng_next() % 64);

		for (i = 0; i < n; i++)
			buf[i] = rng_float() * ldexpf(1.0f, (int) (rng_next() % 40) - 26);
		k->from_float(buf, hk, n);
		portable->from_float(buf, hp, n);
		if (memcmp(hk, hp, sizeof(VecHalf) * vec_half_padded(n)) != 0)
		{
			report(0, k->name, "half-random", "from_float", n, 0, 0, 0);
			return;
		}
	}
	report(1, k->name, "half-random", "from_float", 0, 0, 0, 0);

	/*
	 * to_float: every one of the 65,536 bit patterns that is not a NaN
	 * widens as in software (any length, so the vector body and the tail
	 * both), and nothing past n is written.
	 */
	{
		static VecHalf all[65536];
		static float wide[65536 + 1];
		int			bad = -1;

		for (i = 0; i < 65536; i++)
			all[i] = (VecHalf) i;
		for (r = 0; r < 65536 && bad < 0; r += 4093)
		{
			int			n = 65536 - r < 1 + r % 61 ? 65536 - r : 1 + r % 61;

			wide[n] = 12345.0f;
			k->to_float(all + r, wide, n);
			for (i = 0; i < n && bad < 0; i++)
			{
				float		ref = vec_half_to_float(all[r + i]);

				if (!isnan(ref) && memcmp(&wide[i], &ref, sizeof(float)) != 0)
					bad = r + i;
			}
			if (wide[n] != 12345.0f)
				bad = r + n;
		}
		k->to_float(all, wide, 65536);
		for (i = 0; i < 65536 && bad < 0; i++)
		{
			float		ref = vec_half_to_float(all[i]);

			if (!isnan(ref) && memcmp(&wide[i], &ref, sizeof(float)) != 0)
				bad = i;
		}
		report(bad < 0, k->name, "half-widen", "to_float", bad, 0, 0, 0);
	}
}

/*
 * The unpadded kernels on the first n halves of a and b: the padded
 * kernels' bits, symmetric, and cosine_parts_any's three sums those of
 * inner_product_any.
 */
static void
check_half_any(const VecHalfKernels *k, const char *what,
			   const VecHalf *a, const VecHalf *b, int n)
{
	int			np = vec_half_padded(n);
	float		ip = k->inner_product_any(a, b, n);
	float		ab,
				aa,
				bb;
	float		ab2,
				aa2,
				bb2;

	check_exact(k->name, what, "l2_half_any-padded", n,
				k->l2_squared_any(a, b, n), k->l2_squared(a, b, np));
	check_exact(k->name, what, "ip_half_any-padded", n, ip,
				k->inner_product(a, b, np));
	check_exact(k->name, what, "l1_half_any-padded", n,
				k->l1_any(a, b, n), k->l1(a, b, np));
	check_exact(k->name, what, "l2_half_any-symmetric", n,
				k->l2_squared_any(b, a, n), k->l2_squared_any(a, b, n));
	check_exact(k->name, what, "ip_half_any-symmetric", n,
				k->inner_product_any(b, a, n), ip);
	check_exact(k->name, what, "l1_half_any-symmetric", n,
				k->l1_any(b, a, n), k->l1_any(a, b, n));
	k->cosine_parts_any(a, b, n, &ab, &aa, &bb);
	k->cosine_parts_any(b, a, n, &ab2, &aa2, &bb2);
	check_exact(k->name, what, "cos_half_any-ab", n, ab, ip);
	check_exact(k->name, what, "cos_half_any-aa", n, aa,
				k->inner_product_any(a, a, n));
	check_exact(k->name, what, "cos_half_any-bb", n, bb,
				k->inner_product_any(b, b, n));
	check_exact(k->name, what, "cos_half_any-symmetric", n,
				ab2 == ab && aa2 == bb && bb2 == aa, 1);
}

/*
 * The unpadded kernels against the portable ones (within rounding: they sum
 * in another order) on n halves flush against an unreadable page, so that a
 * kernel reading past n crashes here.
 */
static void
check_half_any_vs_portable(const VecHalfKernels *k,
						   const VecHalfKernels *portable,
						   const VecHalf *a, const VecHalf *b, int n,
						   float *wa, float *wb)
{
	Ref			r;
	float		ab,
				aa,
				bb,
				pab,
				paa,
				pbb;

	widen(a, wa, n);
	widen(b, wb, n);
	r = reference(wa, wb, n);
	check_close(k->name, "any", "l2_half_any-portable", n,
				k->l2_squared_any(a, b, n),
				portable->l2_squared_any(a, b, n), r.l2_mag);
	check_close(k->name, "any", "ip_half_any-portable", n,
				k->inner_product_any(a, b, n),
				portable->inner_product_any(a, b, n), r.ip_mag);
	check_close(k->name, "any", "l1_half_any-portable", n,
				k->l1_any(a, b, n), portable->l1_any(a, b, n), r.l1_mag);
	k->cosine_parts_any(a, b, n, &ab, &aa, &bb);
	portable->cosine_parts_any(a, b, n, &pab, &paa, &pbb);
	check_close(k->name, "any", "cos_half_any-portable-ab", n, ab, pab, r.ab_mag);
	check_close(k->name, "any", "cos_half_any-portable-aa", n, aa, paa, r.aa);
	check_close(k->name, "any", "cos_half_any-portable-bb", n, bb, pbb, r.bb);
	check_close(k->name, "any", "l2_half_any-reference", n,
				k->l2_squared_any(a, b, n), r.l2, r.l2_mag);
}

static void
check_half_kernels(const VecHalfKernels *k, const char *what,
				   const VecHalf *a, const VecHalf *b, int n, int exact,
				   float *wa, float *wb)
{
	int			np = vec_half_padded(n);
	Ref			r;
	float		l2 = k->l2_squared(a, b, np);
	float		ip = k->inner_product(a, b, np);
	float		l1 = k->l1(a, b, np);

	widen(a, wa, n);
	widen(b, wb, n);
	r = reference(wa, wb, n);
	if (exact)
	{
		check_exact(k->name, what, "l2_squared_half", n, l2, r.l2);
		check_exact(k->name, what, "inner_product_half", n, ip, r.ip);
		check_exact(k->name, what, "l1_half", n, l1, r.l1);
	}
	else
	{
		check_close(k->name, what, "l2_squared_half", n, l2, r.l2, r.l2_mag);
		check_close(k->name, what, "inner_product_half", n, ip, r.ip, r.ip_mag);
		check_close(k->name, what, "l1_half", n, l1, r.l1, r.l1_mag);
	}
	check_exact(k->name, what, "l2_half-symmetric", n, k->l2_squared(b, a, np), l2);
	check_exact(k->name, what, "ip_half-symmetric", n, k->inner_product(b, a, np), ip);
	check_exact(k->name, what, "l1_half-symmetric", n, k->l1(b, a, np), l1);
	check_exact(k->name, what, "l2_half-deterministic", n, k->l2_squared(a, b, np), l2);
	check_exact(k->name, what, "l2_half-identical", n, k->l2_squared(a, a, np), 0.0);
	check_half_any(k, what, a, b, n);
}

static void
run_half_tests(const float *ra, const float *rb, const float *ia, const float *ib)
{
	const VecHalfKernels *hv[MAX_VARIANTS];
	int			nhv = vec_half_kernel_variants(hv, MAX_VARIANTS);
	VecHalf    *ha = malloc(sizeof(VecHalf) * (MAXLEN + 64));
	VecHalf    *hb = malloc(sizeof(VecHalf) * (MAXLEN + 64));
	float	   *wa = malloc(sizeof(float) * (MAXLEN + 64));
	float	   *wb = malloc(sizeof(float) * (MAXLEN + 64));
	int			v;

	report(nhv >= 1 && strcmp(hv[0]->name, "portable") == 0 && !hv[0]->native,
		   "api", "half-portable-first", "vec_half_kernel_variants", 0, nhv, 1, 0);
	/* the half variant follows the float variant in use */
	vec_kernels_select("portable");
	vec_half_kernels_init();
	report(vec_half_kernels == hv[0], "api", "half-follows-portable",
		   "vec_half_kernels_init", 0, 0, 0, 0);
	vec_kernels_select("auto");
	vec_half_kernels_init();
	report(strcmp(vec_half_kernels->name, vec_kernels->name) == 0 ||
		   vec_half_kernels == hv[0], "api", "half-follows-auto",
		   "vec_half_kernels_init", 0, 0, 0, 0);

	for (v = 0; v < nhv; v++)
	{
		const VecHalfKernels *k = hv[v];
		long		passed_before = n_passed;
		int			li;

		variant_failed = 0;
		check_half_conversion(k, hv[0], ha, hb);
		for (li = 0; li < NLENGTHS; li++)
		{
			int			n = lengths[li];

			k->from_float(ra, ha, n);
			k->from_float(rb, hb, n);
			check_half_kernels(k, "random", ha, hb, n, 0, wa, wb);
			/* |x| <= 8 integers: exact in half, every sum exact in float */
			k->from_float(ia, ha, n);
			k->from_float(ib, hb, n);
			check_half_kernels(k, "integer", ha, hb, n, 1, wa, wb);
#ifdef HAVE_GUARD_PAGES
			{
				Guarded		g;
				int			np = vec_half_padded(n);

				if (guarded_alloc(&g, (size_t) np))
				{
					VecHalf    *end = (VecHalf *) g.hi_end - np;

					k->from_float(ra, end, n);
					check_half_kernels(k, "end-of-page", end, hb, n, 0, wa, wb);
					munmap(g.base, g.total);
				}
				/* unpadded: exactly n halves before the guard page */
				if (guarded_alloc(&g, (size_t) np))
				{
					VecHalf    *end = (VecHalf *) g.hi_end - n;

					k->from_float(ra, ha, n);
					memcpy(end, ha, sizeof(VecHalf) * n);
					k->from_float(rb, hb, n);
					check_half_any_vs_portable(k, hv[0], end, hb, n, wa, wb);
					check_half_any_vs_portable(k, hv[0], hb, end, n, wa, wb);
					munmap(g.base, g.total);
				}
			}
#endif
		}
		printf("%-8s %ld passed, %ld failed (half precision)\n", k->name,
			   n_passed - passed_before, variant_failed);
	}
	free(ha);
	free(hb);
	free(wa);
	free(wb);
}

/* ---------------------------------------------------------------------
 * 8-bit copies (distance_sq8.c)
 *
 * The kernel's sum is an exact integer: every variant must return exactly
 * the portable loop's, which is checked against a sum in 64 bits, for every
 * length (padded), on random codes and on the extremes 0 against 255 at the
 * largest length (the sum must not overflow).  The encoding: exact for
 * integers at step 1, ties to even, clamping and the excess it reports,
 * zero padding.
 * ---------------------------------------------------------------------
 */
static void
check_sq8_encode(void)
{
	float		in[40];
	VecSq8		out[64];
	float		excess;
	int			i;

	for (i = 0; i < 40; i++)
		in[i] = (float) (i * 6);	/* 0 .. 234 */
	memset(out, 0xee, sizeof(out));
	excess = vec_sq8_encode(in, out, 40, 0.0f, 1.0f);
	for (i = 0; i < 40; i++)
		report(out[i] == i * 6, "sq8", "encode-integers", "vec_sq8_encode", i,
			   out[i], i * 6, 0);
	report(excess == 0.0f, "sq8", "encode-inside", "vec_sq8_encode", 40, excess, 0, 0);
	for (i = 40; i < vec_sq8_padded(40); i++)
		report(out[i] == 0, "sq8", "encode-padding", "vec_sq8_encode", i, out[i], 0, 0);

	/* -10 + 0.5 * k: ties round to even codes */
	in[0] = -9.75f;				/* 0.5 steps: code 0 */
	in[1] = -9.25f;				/* 1.5 steps: code 2 */
	in[2] = -8.75f;				/* 2.5 steps: code 2 */
	in[3] = -20.0f;				/* 20 steps below: 0, excess 20 */
	in[4] = -10.0f + 0.5f * 255 + 5.0f;	/* 10 steps above: 255 */
	excess = vec_sq8_encode(in, out, 5, -10.0f, 0.5f);
	report(out[0] == 0 && out[1] == 2 && out[2] == 2, "sq8", "encode-ties",
		   "vec_sq8_encode", 3, out[0] * 100 + out[1] * 10 + out[2], 22, 0);
	report(out[3] == 0 && out[4] == 255, "sq8", "encode-clamp", "vec_sq8_encode",
		   5, out[3] * 1000 + out[4], 255, 0);
	report(excess == 20.0f, "sq8", "encode-excess", "vec_sq8_encode", 5, excess,
		   20, 0);
}

static void
run_sq8_tests(void)
{
	const VecSq8Kernels *sv[MAX_VARIANTS];
	int			nsv = vec_sq8_kernel_variants(sv, MAX_VARIANTS);
	int			np = vec_sq8_padded(MAXLEN);
	VecSq8	   *a = malloc(np);
	VecSq8	   *b = malloc(np);
	int			v;
	int			li;
	int			i;

	report(nsv >= 1 && strcmp(sv[0]->name, "portable") == 0, "api",
		   "sq8-portable-first", "vec_sq8_kernel_variants", 0, nsv, 1, 0);
	vec_kernels_select("portable");
	vec_sq8_kernels_init();
	report(vec_sq8_kernels == sv[0], "api", "sq8-follows-portable",
		   "vec_sq8_kernels_init", 0, 0, 0, 0);
	vec_kernels_select("auto");
	vec_sq8_kernels_init();
	check_sq8_encode();

	for (i = 0; i < np; i++)
	{
		a[i] = (VecSq8) (rng_next() >> 56);
		b[i] = (VecSq8) (rng_next() >> 56);
	}
	for (v = 0; v < nsv; v++)
	{
		const VecSq8Kernels *k = sv[v];
		long		passed_before = n_passed;

		variant_failed = 0;
		for (li = 0; li < NLENGTHS; li++)
		{
			int			n = vec_sq8_padded(lengths[li]);
			uint64_t	want = 0;

			for (i = 0; i < n; i++)
				want += (uint64_t) ((a[i] - b[i]) * (a[i] - b[i]));
			report(k->l2_squared(a, b, n) == want, k->name, "random",
				   "l2_squared_sq8", n, k->l2_squared(a, b, n), (double) want, 0);
			report(k->l2_squared(b, a, n) == k->l2_squared(a, b, n), k->name,
				   "symmetric", "l2_squared_sq8", n, 0, 0, 0);
			report(k->l2_squared(a, a, n) == 0, k->name, "identical",
				   "l2_squared_sq8", n, k->l2_squared(a, a, n), 0, 0);
		}
		/* the largest sum there can be: 16,000 x 255^2 */
		{
			VecSq8	   *lo = calloc(np, 1);
			VecSq8	   *hi = malloc(np);

			memset(hi, 255, np);
			report(k->l2_squared(lo, hi, np) == (uint32_t) np * 65025u, k->name,
				   "extreme", "l2_squared_sq8", np, k->l2_squared(lo, hi, np),
				   (double) np * 65025, 0);
			free(lo);
			free(hi);
		}
		printf("%-8s %ld passed, %ld failed (8-bit)\n", k->name,
			   n_passed - passed_before, variant_failed);
	}
	free(a);
	free(b);
}

int
main(void)
{
	const VecKernels *variants[MAX_VARIANTS];
	const VecKernels *before = vec_kernels;
	const VecKernels *after;
	int			nvariants;
	int			v;
	float	   *ra = malloc(sizeof(float) * (MAXLEN + 8));
	float	   *rb = malloc(sizeof(float) * (MAXLEN + 8));
	float	   *ia = malloc(sizeof(float) * (MAXLEN + 8));
	float	   *ib = malloc(sizeof(float) * (MAXLEN + 8));
	float	   *big = malloc(sizeof(float) * (MAXLEN + 8));
	float	   *huge = malloc(sizeof(float) * (MAXLEN + 8));
	float	   *copy = malloc(sizeof(float) * (MAXLEN + 8));
	float	   *place_a = aligned_alloc(64, sizeof(float) * (MAXLEN + 64));
	float	   *place_b = aligned_alloc(64, sizeof(float) * (MAXLEN + 64));
	int			i;

#ifdef HAVE_GUARD_PAGES
	Guarded		ga,
				gb;

	if (!guarded_alloc(&ga, MAXLEN + 8) || !guarded_alloc(&gb, MAXLEN + 8))
	{
		printf("mmap failed\n");
		return 2;
	}
#endif

	if (!ra || !rb || !ia || !ib || !big || !huge || !copy || !place_a || !place_b)
	{
		printf("out of memory\n");
		return 2;
	}

	for (i = 0; i < MAXLEN + 8; i++)
	{
		ra[i] = rng_float();
		rb[i] = rng_float();
		/* |x| <= 8: every product <= 64 and every sum <= 16000 * 256 < 2^24 */
		ia[i] = rng_int(8);
		ib[i] = rng_int(8);
		/* spread over many binades */
		big[i] = rng_float() * ldexpf(1.0f, (int) (rng_next() % 24) - 12);
		/* over more: summation order changes the bits of nearly every sum */
		huge[i] = rng_float() * ldexpf(1.0f, (int) (rng_next() % 60) - 30);
	}

	/* vec_kernels is usable before init, and init is idempotent */
	nvariants = vec_kernel_variants(variants, MAX_VARIANTS);
	report(before != NULL && strcmp(before->name, "portable") == 0,
		   "api", "static-init", "vec_kernels", 0, 0, 0, 0);
	report(nvariants >= 1 && variants[0] == before,
		   "api", "portable-first", "vec_kernel_variants", 0, nvariants, 1, 0);
	report(vec_kernel_variants(variants, 0) == 0,
		   "api", "max=0", "vec_kernel_variants", 0, 0, 0, 0);
	nvariants = vec_kernel_variants(variants, MAX_VARIANTS);
	vec_kernels_init();
	after = vec_kernels;
	vec_kernels_init();
	report(after == vec_kernels && after == variants[nvariants - 1],
		   "api", "init-idempotent-best", "vec_kernels_init", 0, 0, 0, 0);
	/* vec_kernels_select: every variant by name, nonsense refused */
	for (v = 0; v < nvariants; v++)
		report(vec_kernels_select(variants[v]->name) == 1 &&
			   vec_kernels == variants[v],
			   variants[v]->name, "select", "vec_kernels_select", 0, 0, 0, 0);
	report(vec_kernels_select("no-such-variant") == 0 &&
		   vec_kernels == variants[nvariants - 1],
		   "api", "select-unknown", "vec_kernels_select", 0, 0, 0, 0);
	report(vec_kernels_select("auto") == 1 && vec_kernels == after,
		   "api", "select-auto", "vec_kernels_select", 0, 0, 0, 0);
	vec_kernels_select("portable");
	report(vec_kernels_select(NULL) == 1 && vec_kernels == after,
		   "api", "select-null", "vec_kernels_select", 0, 0, 0, 0);

	printf("variants on this CPU:");
	for (v = 0; v < nvariants; v++)
		printf(" %s", variants[v]->name);
	printf("; selected: %s\n", vec_kernels->name);

	for (v = 0; v < nvariants; v++)
	{
		const VecKernels *k = variants[v];
		long		passed_before = n_passed;
		int			li;

		variant_failed = 0;
		for (li = 0; li < NLENGTHS; li++)
		{
			int			n = lengths[li];

			check_all(k, variants[0], "random", ra, rb, n, 0);
			check_all(k, variants[0], "random-unaligned", ra + 1, rb + 3, n, 0);
			check_all(k, variants[0], "wide-range", big, rb, n, 0);
			check_all(k, variants[0], "integer", ia, ib, n, 1);
			check_all(k, variants[0], "integer-unaligned", ia + 1, ib + 2, n, 1);
			check_deterministic(k, ra, rb, n);
			check_identical(k, ra, copy, n);
			check_identical(k, big + 1, copy + 1, n);
			check_placement(k, ra, rb, n, place_a, place_b);
			check_placement(k, big, ib, n, place_a, place_b);
			check_placement(k, huge, rb, n, place_a, place_b);

			/*
			 * Bits across variants: every variant as the portable one while
			 * n <= 16, and AVX2 and AVX-512 (and any later pair of x86
			 * variants) always.
			 */
			if (v > 0 && n <= 16)
			{
				check_same_bits(k->name, "same-as-portable", n,
								run_bits(k, ra + 1, rb, n),
								run_bits(variants[0], ra + 1, rb, n));
				check_same_bits(k->name, "same-as-portable", n,
								run_bits(k, huge, huge + 7, n),
								run_bits(variants[0], huge, huge + 7, n));
			}
			if (v > 1)
			{
				check_same_bits(k->name, "same-as-previous", n,
								run_bits(k, ra, rb + 1, n),
								run_bits(variants[v - 1], ra, rb + 1, n));
				check_same_bits(k->name, "same-as-previous", n,
								run_bits(k, big + 3, rb, n),
								run_bits(variants[v - 1], big + 3, rb, n));
				check_same_bits(k->name, "same-as-previous", n,
								run_bits(k, huge + 5, huge + 2, n),
								run_bits(variants[v - 1], huge + 5, huge + 2, n));
			}
#ifdef HAVE_GUARD_PAGES
			check_guarded(k, variants[0], &ga, &gb, ra, rb, n);
#endif
		}

		/* n = 0 must write 0 to every output */
		{
			float		ab = NAN,
						aa = NAN,
						bb = NAN;

			k->cosine_parts(ra, rb, 0, &ab, &aa, &bb);
			check_exact(k->name, "empty", "cosine_parts", 0, ab + aa + bb, 0.0);
		}

		printf("%-8s %ld passed, %ld failed\n", k->name,
			   n_passed - passed_before, variant_failed);
	}

	run_half_tests(ra, rb, ia, ib);
	run_sq8_tests();
	free(ra);
	free(rb);
	free(ia);
	free(ib);
	free(big);
	free(huge);
	free(copy);
	free(place_a);
	free(place_b);
#ifdef HAVE_GUARD_PAGES
	munmap(ga.base, ga.total);
	munmap(gb.base, gb.total);
#endif

	printf("%ld passed, %ld failed\n", n_passed, n_failed);
	return n_failed == 0 ? 0 : 1;
}
