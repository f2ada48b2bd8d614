/* One WebAssembly module, many behaviours, chosen by the argument "action": the executor's limits and
   refusals are tested with it. Arguments arrive sorted by key: action, then any others. */
#include "teaclave_context.h"

static int streq(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

static const char *arg(int argc, char **argv, const char *key) {
  for (int i = 0; i + 1 < argc; i += 2)
    if (streq(argv[i], key)) return argv[i + 1];
  return "";
}

static int length(const char *s) {
  int n = 0;
  while (s[n]) n++;
  return n;
}

static char buffer[65536];

/* Not a tail call, and division keeps the compiler from turning it into a loop: overflows the call stack. */
__attribute__((noinline)) static int recurse(int depth) {
  if (depth == -7) return 0;
  return recurse(depth + 1) / 3 + depth;
}

int entrypoint(int argc, char **argv) {
  const char *action = arg(argc, argv, "action");
  if (streq(action, "open")) return teaclave_open_input(arg(argc, argv, "file"));
  if (streq(action, "create")) return teaclave_create_output(arg(argc, argv, "file"));
  if (streq(action, "write_input")) {
    int fd = teaclave_open_input("input");
    if (fd < 0) return -100;
    return teaclave_write_file(fd, "overwritten", 11);
  }
  if (streq(action, "read_output")) {
    int fd = teaclave_create_output("output");
    if (fd < 0) return -100;
    return teaclave_read_file(fd, buffer, 16);
  }
  if (streq(action, "double_close")) {
    int fd = teaclave_open_input("input");
    int first = teaclave_close_file(fd);
    return first * 10 + teaclave_close_file(fd);
  }
  if (streq(action, "bad_pointer")) {
    int fd = teaclave_open_input("input");
    return teaclave_read_file(fd, (char *)0x7ffffff0, 4096);
  }
  if (streq(action, "huge_output")) {
    int fd = teaclave_create_output("output");
    int total = 0;
    for (;;) {
      int n = teaclave_write_file(fd, buffer, sizeof buffer);
      if (n < 0) return -total;
      total += n;
    }
  }
  if (streq(action, "memory_bomb")) {
    /* Grows memory 16 MiB at a time until the host refuses; returns the pages reached. */
    while (__builtin_wasm_memory_grow(0, 256) != (__SIZE_TYPE__)-1) {
    }
    return (int)__builtin_wasm_memory_size(0);
  }
  if (streq(action, "loop")) {
    volatile int spin = 1;
    while (spin) {
    }
  }
  if (streq(action, "stack")) return recurse(0);
  if (streq(action, "trap")) __builtin_trap();
  if (streq(action, "echo_args")) {
    /* Writes each argument on its own line, between brackets; returns argc. */
    int fd = teaclave_create_output("output");
    for (int i = 0; i < argc; i++) {
      teaclave_write_file(fd, "[", 1);
      teaclave_write_file(fd, argv[i], length(argv[i]));
      teaclave_write_file(fd, "]\n", 2);
    }
    teaclave_close_file(fd);
    return argc;
  }
  return -1;
}
