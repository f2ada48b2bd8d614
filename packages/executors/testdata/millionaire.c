/* The contract of Teaclave's WAMR unit test payload (wasm_c_millionaire_problem, spec §8.2): the
   arguments name two input files holding each party's wealth and an output file; the function writes
   the file id of the richer party's input to the output and returns the number of bytes written. */
#include "teaclave_context.h"

static int streq(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

static const char *arg(int argc, char **argv, const char *key) {
  for (int i = 0; i + 1 < argc; i += 2)
    if (streq(argv[i], key)) return argv[i + 1];
  return 0;
}

static long long read_number(const char *file_id) {
  char buf[32];
  int fd = teaclave_open_input(file_id);
  if (fd < 0) return -1;
  int n = teaclave_read_file(fd, buf, sizeof buf - 1);
  teaclave_close_file(fd);
  if (n <= 0) return -1;
  long long value = 0;
  for (int i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++) value = value * 10 + (buf[i] - '0');
  return value;
}

int entrypoint(int argc, char **argv) {
  const char *a = arg(argc, argv, "input_file_id1");
  const char *b = arg(argc, argv, "input_file_id2");
  const char *out = arg(argc, argv, "output_file_id");
  if (!a || !b || !out) return -1;
  const char *richer = read_number(a) >= read_number(b) ? a : b;
  int len = 0;
  while (richer[len]) len++;
  int fd = teaclave_create_output(out);
  if (fd < 0) return -1;
  int written = teaclave_write_file(fd, richer, len);
  teaclave_close_file(fd);
  return written;
}
