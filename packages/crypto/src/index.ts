// @mesatee/crypto: file formats (aes-gcm-128/256, teaclave-file-128, raw, mesatee-stream-v1),
// their tags, and AES-CMAC.
export { CryptoError, CRYPTO_ERROR_CODES, isCryptoError, type CryptoErrorCode } from "./errors.js";
export {
  FILE_SCHEMAS,
  type FileSchema,
  type FileCrypto,
  type RandomSource,
  defaultRandom,
  generateFileCrypto,
  isFileSchema,
  ivLengthsFor,
  keyLengthsFor,
  parseFileSchema,
  schemaHasTag,
  validateFileCrypto,
} from "./schema.js";
export {
  type ComputeTagOptions,
  type CryptoResult,
  type DecryptBufferOptions,
  type DecryptFileOptions,
  type EncryptBufferOptions,
  type EncryptFileOptions,
  type Progress,
  type ProgressListener,
  ciphertextSize,
  computeTag,
  decryptBuffer,
  decryptFile,
  encryptBuffer,
  encryptFile,
  readPlaintextSize,
  readTag,
} from "./file-crypto.js";
export { aesCmac } from "./cmac.js";
export { constantTimeEqual, fromHex, toHex } from "./bytes.js";
export {
  DEFAULT_MAX_BUFFER_SIZE,
  DEFAULT_STREAM_CHUNK_SIZE,
  MAX_GCM_PLAINTEXT,
  MAX_PFS_FILE_NAME_BYTES,
  MAX_STREAM_CHUNK_SIZE,
  MIN_STREAM_CHUNK_SIZE,
  TAG_LENGTH,
} from "./limits.js";
