/* Reference for bench/psi-1m.js: a plain (not side-channel hardened) sort-merge set intersection of two
 * files of 32-byte identifiers, in C with qsort and memcmp. Prints the time of sort + merge in ms and
 * writes one '0'/'1' per identifier of each input, like builtin-psi's flags output.
 * Usage: psi-reference in1 in2 out1 out2 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const unsigned char *base;

static int by_key(const void *x, const void *y) {
  return memcmp(base + 32 * (size_t)*(const unsigned *)x, base + 32 * (size_t)*(const unsigned *)y, 32);
}

static unsigned char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(1); }
  fseek(f, 0, SEEK_END);
  *len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *data = malloc(*len);
  if (fread(data, 1, *len, f) != *len) { perror(path); exit(1); }
  fclose(f);
  return data;
}

static unsigned *sorted_order(const unsigned char *keys, size_t n) {
  unsigned *order = malloc(n * sizeof *order);
  for (size_t i = 0; i < n; i++) order[i] = (unsigned)i;
  base = keys;
  qsort(order, n, sizeof *order, by_key);
  return order;
}

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: %s in1 in2 out1 out2\n", argv[0]); return 2; }
  size_t la, lb;
  unsigned char *a = slurp(argv[1], &la), *b = slurp(argv[2], &lb);
  size_t na = la / 32, nb = lb / 32;
  char *fa = malloc(na), *fb = malloc(nb);
  memset(fa, '0', na);
  memset(fb, '0', nb);

  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  unsigned *oa = sorted_order(a, na), *ob = sorted_order(b, nb);
  size_t i = 0, j = 0;
  while (i < na && j < nb) {
    int c = memcmp(a + 32 * (size_t)oa[i], b + 32 * (size_t)ob[j], 32);
    if (c < 0) i++;
    else if (c > 0) j++;
    else {
      /* mark every copy on both sides */
      size_t i2 = i, j2 = j;
      while (i2 < na && memcmp(a + 32 * (size_t)oa[i2], b + 32 * (size_t)ob[j], 32) == 0) fa[oa[i2++]] = '1';
      while (j2 < nb && memcmp(b + 32 * (size_t)ob[j2], a + 32 * (size_t)oa[i], 32) == 0) fb[ob[j2++]] = '1';
      i = i2;
      j = j2;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("%.1f\n", (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);

  FILE *o1 = fopen(argv[3], "wb"), *o2 = fopen(argv[4], "wb");
  fwrite(fa, 1, na, o1);
  fwrite(fb, 1, nb, o2);
  fclose(o1);
  fclose(o2);
  return 0;
}
