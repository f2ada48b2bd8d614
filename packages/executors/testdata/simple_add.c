/* Teaclave's simple_add journey: the result is the sum of the values of the two arguments
   (argv = [key1, value1, key2, value2], keys sorted). */
static int parse_int(const char *s) {
  int sign = 1, n = 0;
  if (*s == '-') sign = -1, s++;
  while (*s >= '0' && *s <= '9') n = n * 10 + (*s++ - '0');
  return sign * n;
}

int entrypoint(int argc, char **argv) {
  if (argc != 4) return -1;
  return parse_int(argv[1]) + parse_int(argv[3]);
}
