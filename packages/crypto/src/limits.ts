// Every limit the package enforces, with its default and the reason for it.

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** AES-GCM's authentication tag and the Teaclave "cmac" are always 16 bytes. */
export const TAG_LENGTH = 16;

/**
 * GCM can encrypt at most 2^39 - 256 bits under one key and IV (NIST SP 800-38D §5.2.1.1), which
 * bounds a whole-file aes-gcm-128/256 file.
 */
export const MAX_GCM_PLAINTEXT = 2 ** 36 - 32;

/** Size of the reads and writes the file paths batch into; cipher updates use 64 KiB slices. */
export const IO_BLOCK = 1 * MiB;
export const CIPHER_SLICE = 64 * KiB;

/** mesatee-stream-v1 chunk sizes: the default, and the range accepted on write and on read. */
export const DEFAULT_STREAM_CHUNK_SIZE = 1 * MiB;
export const MIN_STREAM_CHUNK_SIZE = 1 * KiB;
/** Readers hold one chunk in memory; a hostile header must not make that unbounded. */
export const MAX_STREAM_CHUNK_SIZE = 16 * MiB;
/** Nonces are derived from a 64-bit chunk index; 2^32 chunks is far beyond any real file. */
export const MAX_STREAM_CHUNKS = 2 ** 32;

/** encryptBuffer/decryptBuffer hold everything in memory; larger data must use the file API. */
export const DEFAULT_MAX_BUFFER_SIZE = 256 * MiB;

/** teaclave-file-128 stores the file name NUL-terminated in 260 bytes. */
export const MAX_PFS_FILE_NAME_BYTES = 259;
