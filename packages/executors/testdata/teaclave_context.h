/* Teaclave's host functions for WebAssembly payloads (spec/teaclave-compat.md §5.4). */
#ifndef TEACLAVE_CONTEXT_H
#define TEACLAVE_CONTEXT_H

#ifdef __wasm__
#define TEACLAVE_IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#else
/* Built natively (benchmarks), a host program provides the same functions. */
#define TEACLAVE_IMPORT(name)
#endif

TEACLAVE_IMPORT(teaclave_open_input) int teaclave_open_input(const char *file_id);
TEACLAVE_IMPORT(teaclave_create_output) int teaclave_create_output(const char *file_id);
TEACLAVE_IMPORT(teaclave_read_file) int teaclave_read_file(int fd, char *out_buf, int buf_size);
TEACLAVE_IMPORT(teaclave_write_file) int teaclave_write_file(int fd, const char *in_buf, int buf_size);
TEACLAVE_IMPORT(teaclave_close_file) int teaclave_close_file(int fd);

#endif
