// Reads a teaclave-file-128 (SGX protected) file sequentially. Every node is authenticated before
// any of its plaintext is released, so a consumer only ever sees verified bytes. Memory: one read
// block plus 32 bytes per MHT node whose parent has been read but which has not (~0.008 % of the
// file).
import { asBuffer, constantTimeEqual, readSafeU64LE } from "./bytes.js";
import { CryptoError } from "./errors.js";
import { type ByteSink, type ByteSource, WriteQueue, readBlocks } from "./io.js";
import {
  CHILD_ENTRIES_OFFSET,
  CHILDREN_PER_MHT,
  DATA_PER_MHT,
  ENCRYPT_FLAG_USER_KEY,
  ENTRY_SIZE,
  FILE_ID,
  FILE_NAME_FIELD,
  HEADER,
  KEY_ID_LENGTH,
  MAJOR_VERSION,
  META,
  META_DATA_SIZE,
  NODE_SIZE,
  deriveMetadataKey,
  nodeCounts,
  openNode,
} from "./pfs-layout.js";

export interface PfsReadOptions {
  userKey: Uint8Array;
  source: ByteSource;
  /** The name the file must be bound to; null skips the check (the caller pins the file by tag). */
  expectedName: Uint8Array | null;
  expectedTag?: Uint8Array | undefined;
  sink: ByteSink;
  onBytes?: (count: number) => void;
}

export interface PfsReadResult {
  tag: Uint8Array;
  size: number;
}

// Nodes per read: 1 MiB.
const READ_NODES = 256;

/** Shows a stored name in an error message: printable, bounded. */
function showName(bytes: Uint8Array): string {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/** Parses and checks the plaintext header; returns the gmac (the file's tag). */
export function checkPfsHeader(first: Uint8Array): Uint8Array {
  const header = asBuffer(first);
  if (header.byteLength < HEADER.size || header.readBigUInt64LE(HEADER.fileId) !== FILE_ID) {
    throw new CryptoError("CORRUPTED", "not a teaclave-file-128 file (bad file id)");
  }
  const major = header.readUInt8(HEADER.majorVersion);
  if (major !== MAJOR_VERSION) {
    throw new CryptoError("UNSUPPORTED_FORMAT", `unsupported protected-file version ${major}`);
  }
  const flags = header.readUInt8(HEADER.encryptFlags);
  if (flags !== ENCRYPT_FLAG_USER_KEY) {
    throw new CryptoError(
      "UNSUPPORTED_FORMAT",
      `protected file uses encrypt mode ${flags}; only user-key mode (1) is supported`,
    );
  }
  if (header.readUInt8(HEADER.updateFlag) !== 0) {
    throw new CryptoError("CORRUPTED", "protected file was left mid-update and needs recovery");
  }
  return header.subarray(HEADER.gmac, HEADER.gmac + 16);
}

export async function readProtectedFile(options: PfsReadOptions): Promise<PfsReadResult> {
  const { source, userKey } = options;
  if (source.size < NODE_SIZE) {
    throw new CryptoError(
      "TRUNCATED",
      `teaclave-file-128 file is ${source.size} bytes, shorter than one node`,
    );
  }
  if (source.size % NODE_SIZE !== 0) {
    throw new CryptoError("CORRUPTED", "teaclave-file-128 file size is not a multiple of 4096");
  }
  const first = await source.read(0, NODE_SIZE);
  const gmac = checkPfsHeader(first);
  // The gmac authenticates the metadata, which pins the whole tree: checking it first refuses a
  // substituted file before any plaintext exists.
  if (options.expectedTag !== undefined && !constantTimeEqual(gmac, options.expectedTag)) {
    throw new CryptoError("TAG_MISMATCH", "file tag does not match the expected tag");
  }
  const keyId = first.subarray(HEADER.keyId, HEADER.keyId + KEY_ID_LENGTH);
  const metadataKey = deriveMetadataKey(userKey, keyId);
  const metadata = openNode(metadataKey, gmac, first.subarray(HEADER.size, HEADER.size + META.size));
  metadataKey.fill(0);
  if (metadata === undefined) {
    throw new CryptoError("CORRUPTED", "file metadata failed authentication: wrong key or tampered file");
  }
  try {
    return await readBody(options, metadata, gmac);
  } finally {
    metadata.fill(0);
  }
}

async function readBody(options: PfsReadOptions, metadata: Buffer, gmac: Uint8Array): Promise<PfsReadResult> {
  const { source } = options;
  if (options.expectedName !== null) {
    const field = metadata.subarray(META.fileName, META.fileName + FILE_NAME_FIELD);
    const end = field.indexOf(0);
    const stored = field.subarray(0, end === -1 ? FILE_NAME_FIELD : end);
    if (!constantTimeEqual(stored, options.expectedName)) {
      throw new CryptoError(
        "NAME_MISMATCH",
        `file is bound to the name ${showName(stored)}, not ${showName(options.expectedName)}`,
      );
    }
  }
  const size = readSafeU64LE(metadata, META.fileSize);
  if (size === undefined) throw new CryptoError("CORRUPTED", "file size in the metadata is out of range");
  const counts = nodeCounts(size);
  const expectedLength = counts.nodes * NODE_SIZE;
  if (source.size < expectedLength) {
    throw new CryptoError(
      "TRUNCATED",
      `file has ${source.size / NODE_SIZE} nodes, its metadata needs ${counts.nodes}`,
    );
  }
  if (source.size > expectedLength) {
    throw new CryptoError("CORRUPTED", "file has nodes beyond the end its metadata records");
  }

  const queue = new WriteQueue(options.sink);
  const head = Math.min(size, META_DATA_SIZE);
  await queue.push(Buffer.from(metadata.subarray(META.data, META.data + head)));
  options.onBytes?.(head);

  const { dataNodes, mhtNodes } = counts;
  // (key ‖ mac) of MHT nodes whose parent has been read; the root's comes from the metadata.
  const pendingMht = new Map<number, Uint8Array>();
  pendingMht.set(0, new Uint8Array(metadata.subarray(META.mhtKey, META.mhtKey + ENTRY_SIZE)));
  let mht: Buffer | undefined;
  let m = -1;
  let n = 0;
  let physical = 1;
  const released: Uint8Array[] = [];
  let releasedBytes = 0;
  for await (const block of readBlocks(source, NODE_SIZE, expectedLength, READ_NODES * NODE_SIZE)) {
    for (let offset = 0; offset < block.byteLength; offset += NODE_SIZE, physical++) {
      const ciphertext = block.subarray(offset, offset + NODE_SIZE);
      if ((physical - 1) % (DATA_PER_MHT + 1) === 0) {
        m++;
        const entry = pendingMht.get(m)!;
        pendingMht.delete(m);
        mht?.fill(0);
        mht = openNode(entry.subarray(0, 16), entry.subarray(16, 32), ciphertext);
        entry.fill(0);
        if (mht === undefined)
          throw new CryptoError("CORRUPTED", `MHT node ${m} failed authentication: tampered file`);
        for (let slot = 0; slot < CHILDREN_PER_MHT; slot++) {
          const child = m * CHILDREN_PER_MHT + 1 + slot;
          if (child >= mhtNodes) break;
          const at = CHILD_ENTRIES_OFFSET + slot * ENTRY_SIZE;
          // A copy: this MHT node is wiped when the next one is read.
          pendingMht.set(child, new Uint8Array(mht.subarray(at, at + ENTRY_SIZE)));
        }
        continue;
      }
      const at = (n % DATA_PER_MHT) * ENTRY_SIZE;
      const plaintext = openNode(mht!.subarray(at, at + 16), mht!.subarray(at + 16, at + 32), ciphertext);
      if (plaintext === undefined)
        throw new CryptoError("CORRUPTED", `data node ${n} failed authentication: tampered file`);
      const length = n === dataNodes - 1 ? size - META_DATA_SIZE - n * NODE_SIZE : NODE_SIZE;
      released.push(length === NODE_SIZE ? plaintext : plaintext.subarray(0, length));
      releasedBytes += length;
      n++;
    }
    // Hand over a block's verified nodes at once: one queue call per block, not per node.
    for (const part of released) await queue.push(part);
    options.onBytes?.(releasedBytes);
    released.length = 0;
    releasedBytes = 0;
  }
  mht?.fill(0);
  await queue.flush();
  return { tag: new Uint8Array(gmac), size };
}
