/* A compute-bound Teaclave-ABI function for the WebAssembly benchmark: SHA-256 (FIPS 180-4) of the input
   "input" read `rounds` times over (argument "rounds"), written in hex to output "output"; returns
   the number of bytes hashed divided by 1024. No libc: builds to wasm32 with -nostdlib and natively. */
#include "../../packages/executors/testdata/teaclave_context.h"

typedef unsigned int u32;
typedef unsigned long long u64;

static const u32 K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

struct sha256 {
  u32 h[8];
  unsigned char block[64];
  int used;
  u64 bytes;
};

static u32 rotr(u32 x, int n) { return (x >> n) | (x << (32 - n)); }

static void compress(struct sha256 *s, const unsigned char *p) {
  u32 w[64];
  for (int i = 0; i < 16; i++) w[i] = (u32)p[4 * i] << 24 | (u32)p[4 * i + 1] << 16 | (u32)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    u32 s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    u32 s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  u32 a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
  for (int i = 0; i < 64; i++) {
    u32 t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    u32 t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
  }
  s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d, s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void init(struct sha256 *s) {
  static const u32 iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  for (int i = 0; i < 8; i++) s->h[i] = iv[i];
  s->used = 0;
  s->bytes = 0;
}

static void update(struct sha256 *s, const unsigned char *p, int n) {
  s->bytes += (u64)n;
  while (n > 0) {
    if (s->used == 0 && n >= 64) {
      compress(s, p);
      p += 64, n -= 64;
      continue;
    }
    s->block[s->used++] = *p++;
    n--;
    if (s->used == 64) compress(s, s->block), s->used = 0;
  }
}

static void finish(struct sha256 *s, unsigned char out[32]) {
  u64 bits = s->bytes * 8;
  unsigned char pad = 0x80, zero = 0, len[8];
  update(s, &pad, 1);
  while (s->used != 56) update(s, &zero, 1);
  for (int i = 0; i < 8; i++) len[i] = (unsigned char)(bits >> (56 - 8 * i));
  update(s, len, 8);
  for (int i = 0; i < 32; i++) out[i] = (unsigned char)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}

static int parse_int(const char *s) {
  int n = 0;
  while (*s >= '0' && *s <= '9') n = n * 10 + (*s++ - '0');
  return n;
}

static unsigned char buffer[1 << 16];

int entrypoint(int argc, char **argv) {
  int rounds = 1;
  for (int i = 0; i + 1 < argc; i += 2)
    if (argv[i][0] == 'r') rounds = parse_int(argv[i + 1]);
  struct sha256 s;
  init(&s);
  for (int r = 0; r < rounds; r++) {
    int fd = teaclave_open_input("input");
    if (fd < 0) return -1;
    int n;
    while ((n = teaclave_read_file(fd, (char *)buffer, sizeof buffer)) > 0) update(&s, buffer, n);
    teaclave_close_file(fd);
  }
  unsigned char digest[32];
  char hex[64];
  finish(&s, digest);
  for (int i = 0; i < 32; i++) hex[2 * i] = "0123456789abcdef"[digest[i] >> 4], hex[2 * i + 1] = "0123456789abcdef"[digest[i] & 15];
  int fd = teaclave_create_output("output");
  if (fd < 0 || teaclave_write_file(fd, hex, 64) != 64) return -1;
  teaclave_close_file(fd);
  return (int)(s.bytes / 1024);
}
