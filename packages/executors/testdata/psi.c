/* Two-party private set intersection as a WebAssembly function (Teaclave's wasm PSI journey): reads the
   parties' sets (one item per line) from inputs input_data1 and input_data2, writes the common items,
   in sorted order, each on its own line followed by "done", to outputs output_data1 and output_data2,
   and returns the number of common items. Built without libc: clang --target=wasm32 -nostdlib.
   Also builds natively (-DPSI_NATIVE, see bench/executors/psi-native.c) for the benchmark. */
#include "teaclave_context.h"

typedef __SIZE_TYPE__ size_t;

struct item {
  const unsigned char *p;
  int len;
};

#ifdef PSI_NATIVE
void *psi_alloc(size_t n);
#else
static size_t brk, grown_end;

/* sbrk-style: only memory this allocator grew itself is used, never what lies above __heap_base or
   the pages the host added for argv. The function runs once, so nothing is freed. */
static void *psi_alloc(size_t n) {
  size_t start = (brk + 15) & ~(size_t)15;
  if (brk == 0 || start + n > grown_end) {
    size_t pages = (n + 16 + 65535) / 65536;
    size_t old = __builtin_wasm_memory_grow(0, pages);
    if (old == (size_t)-1) __builtin_trap();
    if (brk == 0 || old * 65536 != grown_end) start = old * 65536;
    grown_end = (old + pages) * 65536;
  }
  brk = start + n;
  return (void *)start;
}
#endif

/* Reads a whole input; the buffer grows by doubling. */
static unsigned char *read_all(const char *id, int *out_len) {
  int fd = teaclave_open_input(id);
  if (fd < 0) return 0;
  size_t cap = 1 << 16, len = 0;
  unsigned char *buf = psi_alloc(cap);
  for (;;) {
    if (len == cap) {
      unsigned char *bigger = psi_alloc(cap * 2);
      for (size_t i = 0; i < len; i++) bigger[i] = buf[i];
      buf = bigger;
      cap *= 2;
    }
    int n = teaclave_read_file(fd, (char *)buf + len, (int)(cap - len));
    if (n < 0) return 0;
    if (n == 0) break;
    len += (size_t)n;
  }
  teaclave_close_file(fd);
  *out_len = (int)len;
  return buf;
}

static int split_lines(const unsigned char *buf, int len, struct item **out) {
  int count = 0;
  for (int i = 0; i < len; i++)
    if (buf[i] == '\n') count++;
  if (len > 0 && buf[len - 1] != '\n') count++;
  struct item *items = psi_alloc(sizeof(struct item) * (size_t)(count + 1));
  int n = 0, start = 0;
  for (int i = 0; i <= len; i++) {
    if (i == len || buf[i] == '\n') {
      int end = i;
      if (end > start && buf[end - 1] == '\r') end--;
      if (end > start) items[n++] = (struct item){buf + start, end - start};
      start = i + 1;
    }
  }
  *out = items;
  return n;
}

static int compare(const struct item *a, const struct item *b) {
  int n = a->len < b->len ? a->len : b->len;
  for (int i = 0; i < n; i++)
    if (a->p[i] != b->p[i]) return a->p[i] < b->p[i] ? -1 : 1;
  return a->len - b->len;
}

static void merge_sort(struct item *items, struct item *tmp, int n) {
  for (int width = 1; width < n; width *= 2) {
    for (int lo = 0; lo < n; lo += 2 * width) {
      int mid = lo + width < n ? lo + width : n;
      int hi = lo + 2 * width < n ? lo + 2 * width : n;
      int i = lo, j = mid, k = lo;
      while (i < mid && j < hi) tmp[k++] = compare(&items[j], &items[i]) < 0 ? items[j++] : items[i++];
      while (i < mid) tmp[k++] = items[i++];
      while (j < hi) tmp[k++] = items[j++];
    }
    for (int i = 0; i < n; i++) items[i] = tmp[i];
  }
}

static int write_all(const char *id, const unsigned char *buf, int len) {
  int fd = teaclave_create_output(id);
  if (fd < 0) return -1;
  int done = 0;
  while (done < len) {
    int n = teaclave_write_file(fd, (const char *)buf + done, len - done);
    if (n <= 0) return -1;
    done += n;
  }
  return teaclave_close_file(fd);
}

int entrypoint(int argc, char **argv) {
  (void)argc;
  (void)argv;
  int len1 = 0, len2 = 0;
  unsigned char *set1 = read_all("input_data1", &len1);
  unsigned char *set2 = read_all("input_data2", &len2);
  if (!set1 || !set2) return -1;
  struct item *a, *b;
  int n1 = split_lines(set1, len1, &a);
  int n2 = split_lines(set2, len2, &b);
  struct item *tmp = psi_alloc(sizeof(struct item) * (size_t)(n1 > n2 ? n1 + 1 : n2 + 1));
  merge_sort(a, tmp, n1);
  merge_sort(b, tmp, n2);

  unsigned char *out = psi_alloc((size_t)(len1 < len2 ? len1 : len2) + (size_t)(n1 < n2 ? n1 : n2) + 8);
  int out_len = 0, common = 0, i = 0, j = 0;
  while (i < n1 && j < n2) {
    int c = compare(&a[i], &b[j]);
    if (c < 0) i++;
    else if (c > 0) j++;
    else {
      for (int k = 0; k < a[i].len; k++) out[out_len++] = a[i].p[k];
      out[out_len++] = '\n';
      common++;
      const struct item same = a[i];
      while (i < n1 && compare(&a[i], &same) == 0) i++;
      while (j < n2 && compare(&b[j], &same) == 0) j++;
    }
  }
  const char *done = "done\n";
  for (int k = 0; done[k]; k++) out[out_len++] = (unsigned char)done[k];
  if (write_all("output_data1", out, out_len) < 0 || write_all("output_data2", out, out_len) < 0) return -1;
  return common;
}
