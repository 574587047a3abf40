/*
 * test_distance_bit.c
 *	  Standalone test of every bit-string kernel variant this CPU can run
 *	  (src/distance_bit.c).
 *
 *	  make test/unit/test_distance_bit && test/unit/test_distance_bit
 *	  test/unit/test_distance_bit --bench     nanoseconds per call instead
 *
 * For each variant, length (0 to 2099 bytes and some longer) and kind of
 * data (random, sparse, dense, all zeros, all ones, equal strings) it checks
 * hamming and jaccard_counts
 *   - against a bit-by-bit reference and against the portable variant
 *     (counts are exact, so equality is required);
 *   - with the arguments swapped;
 *   - at every byte offset 0..63 of either string, for the lengths up to
 *     300 bytes and a few longer ones;
 *   - with either string ending right before, or starting right after, an
 *     unreadable page (mmap + PROT_NONE), so a kernel that reads a byte
 *     outside its strings crashes here;
 * and vec_bit_jaccard() on the cases the SQL function documents.
 *
 * Prints one line per variant and ends with "N passed, M failed"; exits
 * non-zero on any failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "distance_bit.h"

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#include <unistd.h>
#define HAVE_GUARD_PAGES 1
#endif

#define MAX_VARIANTS 8
#define MAX_BYTES 70000
#define MAX_OFFSET 64
#define FULL_LENGTHS 2100		/* every length below this is tested */
#define OFFSET_LENGTHS 300		/* every offset for the lengths below this */

static const int long_lengths[] = {8191, 8192, 8193, 65535, 65536, 65539};
#define NLONG ((int) (sizeof(long_lengths) / sizeof(long_lengths[0])))

typedef enum
{
	DATA_RANDOM,
	DATA_SPARSE,				/* about one bit in 16 set */
	DATA_DENSE,					/* about one bit in 16 clear */
	DATA_ZEROS,
	DATA_ONES,
	DATA_EQUAL,					/* b a copy of a */
	NDATA
} DataKind;

static long n_passed;
static long n_failed;
static long variant_failed;

/* xorshift64*: fixed seed, same data on every run and machine */
static uint64_t rng_state = 0x2545F4914F6CDD1DULL;

static uint64_t
rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static uint8_t
rng_byte(DataKind kind)
{
	uint8_t		r = 0;
	int			bit;

	switch (kind)
	{
		case DATA_ZEROS:
			return 0;
		case DATA_ONES:
			return 0xff;
		case DATA_SPARSE:
		case DATA_DENSE:
			for (bit = 0; bit < 8; bit++)
				if (rng_next() % 16 == 0)
					r |= (uint8_t) (1 << bit);
			return kind == DATA_SPARSE ? r : (uint8_t) ~r;
		default:
			return (uint8_t) (rng_next() >> 56);
	}
}

static void
fill(uint8_t *a, uint8_t *b, int n, DataKind kind)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		a[i] = rng_byte(kind);
		b[i] = kind == DATA_EQUAL ? a[i] : rng_byte(kind);
	}
}

typedef struct Counts
{
	uint32_t	hamming;
	uint32_t	both;
	uint32_t	either;
} Counts;

/* bit by bit, nothing clever */
static Counts
reference(const uint8_t *a, const uint8_t *b, int n)
{
	Counts		c = {0, 0, 0};
	int			i,
				bit;

	for (i = 0; i < n; i++)
		for (bit = 0; bit < 8; bit++)
		{
			int			x = (a[i] >> bit) & 1;
			int			y = (b[i] >> bit) & 1;

			c.hamming += (uint32_t) (x != y);
			c.both += (uint32_t) (x && y);
			c.either += (uint32_t) (x || y);
		}
	return c;
}

static Counts
run(const VecBitKernels *k, const uint8_t *a, const uint8_t *b, int n)
{
	Counts		c;

	c.hamming = k->hamming(a, b, n);
	k->jaccard_counts(a, b, n, &c.both, &c.either);
	return c;
}

static void
expect(const VecBitKernels *k, const char *what, int n, int oa, int ob,
	   Counts got, Counts want)
{
	if (got.hamming == want.hamming && got.both == want.both &&
		got.either == want.either)
	{
		n_passed++;
		return;
	}
	n_failed++;
	variant_failed++;
	if (variant_failed <= 10)
		printf("  FAIL %s %s nbytes=%d offsets=%d,%d: got %u/%u/%u, want %u/%u/%u\n",
			   k->name, what, n, oa, ob, got.hamming, got.both, got.either,
			   want.hamming, want.both, want.either);
}

/* one length: reference, portable, swapped, offsets */
static void
check_length(const VecBitKernels *k, const VecBitKernels *portable,
			 uint8_t *bufa, uint8_t *bufb, int n, int all_offsets)
{
	int			d;

	for (d = 0; d < NDATA; d++)
	{
		uint8_t    *a = bufa;
		uint8_t    *b = bufb;
		Counts		want;
		int			oa,
					ob;

		fill(a, b, n, (DataKind) d);
		want = reference(a, b, n);
		expect(k, "reference", n, 0, 0, run(k, a, b, n), want);
		expect(k, "portable", n, 0, 0, run(k, a, b, n), run(portable, a, b, n));
		expect(k, "swapped", n, 0, 0, run(k, b, a, n), want);
		if (!all_offsets)
			continue;
		for (oa = 1; oa < MAX_OFFSET; oa++)
		{
			ob = (oa * 7) % MAX_OFFSET;
			memmove(bufa + oa, bufa, (size_t) n);
			memmove(bufb + ob, bufb, (size_t) n);
			expect(k, "offset", n, oa, ob, run(k, bufa + oa, bufb + ob, n), want);
			memmove(bufa, bufa + oa, (size_t) n);
			memmove(bufb, bufb + ob, (size_t) n);
		}
	}
}

#ifdef HAVE_GUARD_PAGES
/* A read-write area between two PROT_NONE pages. */
typedef struct Guarded
{
	uint8_t    *base;
	uint8_t    *body;
	size_t		body_len;
	size_t		total;
} Guarded;

static int
guarded_alloc(Guarded *g, size_t len)
{
	size_t		page = (size_t) sysconf(_SC_PAGESIZE);

	g->body_len = (len + page - 1) / page * page;
	g->total = g->body_len + 2 * page;
	g->base = mmap(NULL, g->total, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->base == MAP_FAILED)
		return 0;
	if (mprotect(g->base, page, PROT_NONE) != 0 ||
		mprotect(g->base + page + g->body_len, page, PROT_NONE) != 0)
		return 0;
	g->body = g->base + page;
	return 1;
}

/* Strings flush against the unreadable pages, at the start and at the end. */
static void
check_guarded(const VecBitKernels *k, Guarded *ga, Guarded *gb)
{
	int			n;

	for (n = 0; n <= 300; n++)
	{
		uint8_t    *a_end = ga->body + ga->body_len - n;
		uint8_t    *b_end = gb->body + gb->body_len - n;
		uint8_t    *a_start = ga->body;
		uint8_t    *b_start = gb->body;
		Counts		want;

		fill(a_end, b_end, n, DATA_RANDOM);
		want = reference(a_end, b_end, n);
		expect(k, "guard-end", n, 0, 0, run(k, a_end, b_end, n), want);
		memmove(a_start, a_end, (size_t) n);
		memmove(b_start, b_end, (size_t) n);
		expect(k, "guard-start", n, 0, 0, run(k, a_start, b_start, n), want);
		expect(k, "guard-mixed", n, 0, 0, run(k, a_start, b_end, n),
			   reference(a_start, b_end, n));
	}
}
#endif

static void
check_jaccard_formula(void)
{
	struct
	{
		uint32_t	both;
		uint32_t	either;
		double		want;
	}			cases[] = {
		{0, 0, 1.0},			/* two strings without a set bit */
		{0, 5, 1.0},
		{4, 4, 0.0},
		{3, 4, 0.25},
		{1, 2, 0.5},
		{1, 3, 1.0 - 1.0 / 3.0},
	};
	int			i;

	for (i = 0; i < (int) (sizeof(cases) / sizeof(cases[0])); i++)
	{
		double		got = vec_bit_jaccard(cases[i].both, cases[i].either);

		if (got == cases[i].want)
			n_passed++;
		else
		{
			n_failed++;
			printf("  FAIL vec_bit_jaccard(%u, %u) = %.17g, want %.17g\n",
				   cases[i].both, cases[i].either, got, cases[i].want);
		}
	}
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

/* ns per call of each variant on random strings of a few typical sizes */
static int
bench(const VecBitKernels **variants, int nvariants, uint8_t *a, uint8_t *b)
{
	static const int sizes[] = {8, 32, 96, 128, 192, 512, 1024, 8192};
	int			v,
				s;
	volatile uint32_t sink = 0;

	fill(a, b, MAX_BYTES, DATA_RANDOM);
	printf("%-10s %-8s", "variant", "kernel");
	for (s = 0; s < (int) (sizeof(sizes) / sizeof(sizes[0])); s++)
		printf(" %7dB", sizes[s]);
	printf("   (ns per call)\n");
	for (v = 0; v < nvariants; v++)
	{
		int			kernel;

		for (kernel = 0; kernel < 2; kernel++)
		{
			printf("%-10s %-8s", variants[v]->name, kernel ? "jaccard" : "hamming");
			for (s = 0; s < (int) (sizeof(sizes) / sizeof(sizes[0])); s++)
			{
				int			n = sizes[s];
				long		reps = 20000000L / (n + 16);
				long		r;
				double		t0 = now_ns();

				for (r = 0; r < reps; r++)
				{
					/* vary the start so the calls are not hoisted */
					int			off = (int) (r & 7);

					if (kernel == 0)
						sink += variants[v]->hamming(a + off, b, n);
					else
					{
						uint32_t	x,
									y;

						variants[v]->jaccard_counts(a + off, b, n, &x, &y);
						sink += x + y;
					}
				}
				printf(" %8.1f", (now_ns() - t0) / (double) reps);
			}
			printf("\n");
		}
	}
	(void) sink;
	return 0;
}

int
main(int argc, char **argv)
{
	const VecBitKernels *variants[MAX_VARIANTS];
	int			nvariants = vec_bit_kernel_variants(variants, MAX_VARIANTS);
	uint8_t    *bufa = malloc(MAX_BYTES + MAX_OFFSET);
	uint8_t    *bufb = malloc(MAX_BYTES + MAX_OFFSET);
	int			v,
				n,
				i;

	if (bufa == NULL || bufb == NULL)
	{
		printf("out of memory\n");
		return 1;
	}
	if (argc > 1 && strcmp(argv[1], "--bench") == 0)
		return bench(variants, nvariants, bufa, bufb);

	vec_bit_kernels_init();
	printf("bit kernels: %d variant(s), in use: %s\n", nvariants,
		   vec_bit_kernels->name);
	for (v = 0; v < nvariants; v++)
	{
		const VecBitKernels *k = variants[v];

		variant_failed = 0;
		for (n = 0; n < FULL_LENGTHS; n++)
			check_length(k, variants[0], bufa, bufb, n,
						 n < OFFSET_LENGTHS || n % 512 == 0 || n % 512 == 511);
		for (i = 0; i < NLONG; i++)
			check_length(k, variants[0], bufa, bufb, long_lengths[i], 1);
#ifdef HAVE_GUARD_PAGES
		{
			Guarded		ga,
						gb;

			if (!guarded_alloc(&ga, 4096) || !guarded_alloc(&gb, 4096))
			{
				printf("mmap failed\n");
				return 1;
			}
			check_guarded(k, &ga, &gb);
			munmap(ga.base, ga.total);
			munmap(gb.base, gb.total);
		}
#endif
		printf("  %-10s %s\n", k->name, variant_failed ? "FAILED" : "ok");
	}
	check_jaccard_formula();

	printf("%ld passed, %ld failed\n", n_passed, n_failed);
	free(bufa);
	free(bufb);
	return n_failed > 0;
}
