/* A native host for Teaclave-ABI functions, for the WebAssembly benchmark: the same five host functions
   over files loaded into memory before the clock starts, so that native and WebAssembly runs do the
   same work. Usage:
     native-host [-a KEY VALUE]... [-i ID PATH]... [-o ID PATH]...
   Arguments must be given sorted by key. Prints {"ms": <entrypoint time>, "result": <return value>}. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int entrypoint(int argc, char **argv);

/* psi.c's allocator when built natively. */
void *psi_alloc(size_t n) { return malloc(n); }

struct file {
  const char *id, *path;
  unsigned char *data;
  size_t len, cap, pos;
  int output, open;
};

static struct file files[64];
static int nfiles;

static struct file *find(const char *id, int output) {
  for (int i = 0; i < nfiles; i++)
    if (files[i].output == output && strcmp(files[i].id, id) == 0) return &files[i];
  return 0;
}

int teaclave_open_input(const char *id) {
  struct file *f = find(id, 0);
  if (!f) return -1;
  f->pos = 0;
  f->open = 1;
  return (int)(f - files) + 1;
}

int teaclave_create_output(const char *id) {
  struct file *f = find(id, 1);
  if (!f) return -1;
  f->len = 0;
  f->open = 1;
  return ((int)(f - files) + 1) | 0x40000000;
}

static struct file *handle(int fd) {
  int i = (fd & ~0x40000000) - 1;
  if (i < 0 || i >= nfiles || !files[i].open || files[i].output != ((fd & 0x40000000) != 0)) return 0;
  return &files[i];
}

int teaclave_read_file(int fd, char *buf, int size) {
  struct file *f = handle(fd);
  if (!f || f->output || size < 0) return -1;
  size_t n = f->len - f->pos < (size_t)size ? f->len - f->pos : (size_t)size;
  memcpy(buf, f->data + f->pos, n);
  f->pos += n;
  return (int)n;
}

int teaclave_write_file(int fd, const char *buf, int size) {
  struct file *f = handle(fd);
  if (!f || !f->output || size < 0) return -1;
  if (f->len + (size_t)size > f->cap) {
    f->cap = (f->len + (size_t)size) * 2;
    f->data = realloc(f->data, f->cap);
  }
  memcpy(f->data + f->len, buf, (size_t)size);
  f->len += (size_t)size;
  return size;
}

int teaclave_close_file(int fd) {
  struct file *f = handle(fd);
  if (!f) return -1;
  f->open = 0;
  return 0;
}

static unsigned char *slurp(const char *path, size_t *len) {
  FILE *in = fopen(path, "rb");
  if (!in) {
    perror(path);
    exit(2);
  }
  fseek(in, 0, SEEK_END);
  *len = (size_t)ftell(in);
  fseek(in, 0, SEEK_SET);
  unsigned char *data = malloc(*len + 1);
  if (fread(data, 1, *len, in) != *len) exit(2);
  fclose(in);
  return data;
}

int main(int argc, char **argv) {
  char *args[128];
  int nargs = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-a") == 0 && i + 2 < argc) {
      args[nargs++] = argv[i + 1];
      args[nargs++] = argv[i + 2];
      i += 2;
    } else if ((strcmp(argv[i], "-i") == 0 || strcmp(argv[i], "-o") == 0) && i + 2 < argc) {
      struct file *f = &files[nfiles++];
      f->id = argv[i + 1];
      f->path = argv[i + 2];
      f->output = argv[i][1] == 'o';
      if (!f->output) f->data = slurp(f->path, &f->len);
      i += 2;
    } else {
      fprintf(stderr, "usage: native-host [-a KEY VALUE]... [-i ID PATH]... [-o ID PATH]...\n");
      return 2;
    }
  }
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  int result = entrypoint(nargs, args);
  clock_gettime(CLOCK_MONOTONIC, &end);
  for (int i = 0; i < nfiles; i++) {
    if (!files[i].output) continue;
    FILE *out = fopen(files[i].path, "wb");
    if (!out || fwrite(files[i].data, 1, files[i].len, out) != files[i].len) return 2;
    fclose(out);
  }
  double ms = (double)(end.tv_sec - start.tv_sec) * 1e3 + (double)(end.tv_nsec - start.tv_nsec) / 1e6;
  printf("{\"ms\": %.3f, \"result\": %d}\n", ms, result);
  return 0;
}
