// teaclave-file-128: the Intel SGX protected-file (PFS v1.0) layout in user-key mode, as Teaclave
// writes it (spec/teaclave-compat.md §4.2, §4.2.1). Pure layout: offsets, node positions, the
// metadata key derivation, and the node cipher. Reading and writing live in pfs-reader/pfs-writer.
import { createCipheriv, createDecipheriv } from "node:crypto";
import { aesCmac } from "./cmac.js";
import { CryptoError } from "./errors.js";
import { MAX_PFS_FILE_NAME_BYTES, TAG_LENGTH } from "./limits.js";

export const NODE_SIZE = 4096;

// Plaintext header of node 0.
export const FILE_ID = 0x5347585f46494c45n; // "ELIF_XGS" little-endian
export const MAJOR_VERSION = 1;
export const MINOR_VERSION = 0;
export const ENCRYPT_FLAG_USER_KEY = 1;
export const HEADER = {
  fileId: 0,
  majorVersion: 8,
  minorVersion: 9,
  encryptFlags: 10,
  updateFlag: 11,
  keyPolicy: 12,
  isvSvn: 14,
  keyId: 16,
  cpuSvn: 48,
  attributeMask: 64,
  gmac: 80,
  size: 96,
} as const;
export const KEY_ID_LENGTH = 32;

// Encrypted metadata, right after the header.
export const META = {
  fileName: 0,
  fileSize: 260,
  mhtKey: 268,
  mhtGmac: 284,
  data: 300,
  size: 3372,
} as const;
export const FILE_NAME_FIELD = 260;
/** Plaintext bytes carried inside the metadata node. */
export const META_DATA_SIZE = 3072;

// MHT nodes: 96 (key, mac) entries for data nodes, then 32 for child MHT nodes.
export const DATA_PER_MHT = 96;
export const CHILDREN_PER_MHT = 32;
export const ENTRY_SIZE = 32;
export const CHILD_ENTRIES_OFFSET = DATA_PER_MHT * ENTRY_SIZE;

const ZERO_IV = new Uint8Array(12);
const KEY_LENGTH = 16;

export interface NodeCounts {
  dataNodes: number;
  mhtNodes: number;
  /** Total physical nodes, metadata included. */
  nodes: number;
}

export function nodeCounts(size: number): NodeCounts {
  if (size <= META_DATA_SIZE) return { dataNodes: 0, mhtNodes: 0, nodes: 1 };
  const dataNodes = Math.ceil((size - META_DATA_SIZE) / NODE_SIZE);
  const mhtNodes = Math.ceil(dataNodes / DATA_PER_MHT);
  return { dataNodes, mhtNodes, nodes: 1 + dataNodes + mhtNodes };
}

/** Physical node of MHT node m (0 = root): each MHT node is followed by its 96 data nodes. */
export function mhtPhysical(m: number): number {
  return 1 + (DATA_PER_MHT + 1) * m;
}

/** Physical node of data node n (0-based, covering plaintext bytes 3072 + 4096n ...). */
export function dataPhysical(n: number): number {
  return 2 + n + Math.floor(n / DATA_PER_MHT);
}

/** The MHT node whose child entries hold MHT node m ≥ 1, and the entry's index there. */
export function mhtParent(m: number): { parent: number; slot: number } {
  return { parent: Math.floor((m - 1) / CHILDREN_PER_MHT), slot: (m - 1) % CHILDREN_PER_MHT };
}

const METADATA_LABEL = "SGX-PROTECTED-FS-METADATA-KEY";

/**
 * Metadata key = AES-CMAC(user key, kdf_input_t) with Intel's 120-byte struct layout: index u32,
 * label[64], (pad), node_number u64, nonce[32] = key_id, output_len u32 (bits), (pad).
 */
export function deriveMetadataKey(userKey: Uint8Array, keyId: Uint8Array): Uint8Array {
  const input = Buffer.alloc(120);
  input.writeUInt32LE(1, 0);
  input.write(METADATA_LABEL, 4, "latin1");
  input.writeBigUInt64LE(0n, 72);
  input.set(keyId, 80);
  input.writeUInt32LE(128, 112);
  return aesCmac(userKey, input);
}

/** AES-128-GCM with the all-zero IV and no AAD, as every PFS node uses; safe only with fresh keys. */
export function sealNode(key: Uint8Array, plaintext: Uint8Array): { ciphertext: Buffer; mac: Buffer } {
  const cipher = createCipheriv("aes-128-gcm", key, ZERO_IV, { authTagLength: TAG_LENGTH });
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  return { ciphertext: tail.byteLength === 0 ? head : Buffer.concat([head, tail]), mac: cipher.getAuthTag() };
}

/** Decrypts a node; undefined when it fails authentication. */
export function openNode(key: Uint8Array, mac: Uint8Array, ciphertext: Uint8Array): Buffer | undefined {
  if (key.byteLength !== KEY_LENGTH) return undefined;
  const decipher = createDecipheriv("aes-128-gcm", key, ZERO_IV, { authTagLength: TAG_LENGTH });
  decipher.setAuthTag(mac);
  const head = decipher.update(ciphertext);
  try {
    const tail = decipher.final();
    return tail.byteLength === 0 ? head : Buffer.concat([head, tail]);
  } catch {
    head.fill(0);
    return undefined;
  }
}

/** The bytes a file name is stored as; checked here so writers and readers agree. */
export function encodeFileName(name: string): Uint8Array {
  const bytes = new TextEncoder().encode(name);
  if (bytes.byteLength === 0 || bytes.byteLength > MAX_PFS_FILE_NAME_BYTES || bytes.includes(0)) {
    throw new CryptoError(
      "INVALID_ARGUMENT",
      `a teaclave-file-128 file name must be 1 to ${MAX_PFS_FILE_NAME_BYTES} UTF-8 bytes without NUL`,
    );
  }
  return bytes;
}
