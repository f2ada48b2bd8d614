// Writes a teaclave-file-128 (SGX protected) file from a plaintext stream of unknown length.
//
// Layout constraint: MHT node m precedes its 96 data nodes and holds the (key, mac) of its 32
// child MHT nodes, which come later in the file, so MHT nodes can only be sealed at the end. To
// keep memory small whatever the file size, each MHT node's data entries are parked in its own
// slot in the output, encrypted under a per-file in-memory spill key; at the end the MHT nodes are
// sealed from the last to the first (children before parents) and the metadata node last.
// Memory: one group of 97 nodes being written plus 48 bytes per MHT node (~0.012 % of the file).
import { createCipheriv, createDecipheriv } from "node:crypto";
import { CryptoError } from "./errors.js";
import type { PositionalSink } from "./io.js";
import {
  CHILD_ENTRIES_OFFSET,
  CHILDREN_PER_MHT,
  DATA_PER_MHT,
  ENCRYPT_FLAG_USER_KEY,
  ENTRY_SIZE,
  FILE_ID,
  HEADER,
  KEY_ID_LENGTH,
  MAJOR_VERSION,
  META,
  META_DATA_SIZE,
  MINOR_VERSION,
  NODE_SIZE,
  deriveMetadataKey,
  mhtPhysical,
  sealNode,
} from "./pfs-layout.js";
import type { RandomSource } from "./schema.js";
import { TAG_LENGTH } from "./limits.js";

export interface PfsWriteOptions {
  userKey: Uint8Array;
  /** The stored name, already validated by encodeFileName. */
  fileName: Uint8Array;
  input: AsyncIterable<Uint8Array>;
  sink: PositionalSink;
  random: RandomSource;
  onBytes?: (count: number) => void;
}

export interface PfsWriteResult {
  /** The metadata gmac (Teaclave's "cmac"). */
  tag: Uint8Array;
  /** Plaintext size. */
  size: number;
}

const GROUP_NODES = DATA_PER_MHT + 1;

/** Hands out fresh random 16-byte node keys, drawing from the random source in batches. */
class KeyPool {
  private pool: Uint8Array = new Uint8Array(0);
  private offset = 0;
  constructor(private readonly random: RandomSource) {}
  take(): Uint8Array {
    if (this.offset + 16 > this.pool.byteLength) {
      this.pool = this.random(4096);
      this.offset = 0;
    }
    // A copy (Buffer#slice would be a view), so wiping the pool cannot touch the key.
    const key = new Uint8Array(this.pool.subarray(this.offset, this.offset + 16));
    this.pool.fill(0, this.offset, this.offset + 16);
    this.offset += 16;
    return key;
  }
}

/** Authenticated parking of MHT data entries inside the output file while it is being written. */
class Spill {
  private readonly tags: Uint8Array[] = [];
  constructor(private readonly key: Uint8Array) {}

  private static nonce(m: number): Uint8Array {
    const nonce = Buffer.alloc(12);
    nonce.writeUIntBE(m, 6, 6);
    return nonce;
  }

  seal(m: number, entries: Uint8Array): Buffer {
    const cipher = createCipheriv("aes-128-gcm", this.key, Spill.nonce(m), { authTagLength: TAG_LENGTH });
    const sealed = Buffer.concat([cipher.update(entries), cipher.final()]);
    this.tags[m] = cipher.getAuthTag();
    return sealed;
  }

  open(m: number, sealed: Uint8Array): Buffer {
    const decipher = createDecipheriv("aes-128-gcm", this.key, Spill.nonce(m), { authTagLength: TAG_LENGTH });
    decipher.setAuthTag(this.tags[m]!);
    try {
      return Buffer.concat([decipher.update(sealed), decipher.final()]);
    } catch {
      throw new CryptoError("IO_ERROR", "the output file was modified while it was being written");
    }
  }
}

export async function writeProtectedFile(options: PfsWriteOptions): Promise<PfsWriteResult> {
  const { userKey, fileName, sink, random } = options;
  const keys = new KeyPool(random);
  const spill = new Spill(random(16));

  const metaData = Buffer.alloc(META_DATA_SIZE);
  let metaFill = 0;
  const node = Buffer.alloc(NODE_SIZE);
  let nodeFill = 0;
  let size = 0;
  let dataNodes = 0;

  // Two group buffers, so one can be written while the next is filled.
  const groups = [Buffer.alloc(GROUP_NODES * NODE_SIZE), Buffer.alloc(GROUP_NODES * NODE_SIZE)];
  let group = groups[0]!;
  let groupIndex = 0;
  const entries = Buffer.alloc(CHILD_ENTRIES_OFFSET);
  let pending: Promise<void> = Promise.resolve();

  const finishGroup = async (): Promise<void> => {
    const m = Math.floor((dataNodes - 1) / DATA_PER_MHT);
    const inGroup = dataNodes - m * DATA_PER_MHT;
    group.set(spill.seal(m, entries), 0);
    group.fill(0, CHILD_ENTRIES_OFFSET, NODE_SIZE);
    entries.fill(0);
    const bytes = group.subarray(0, (1 + inGroup) * NODE_SIZE);
    await pending;
    pending = sink.writeAt(bytes, mhtPhysical(m) * NODE_SIZE);
    pending.catch(() => {}); // awaited before the next write; this only keeps an early exit quiet
    groupIndex ^= 1;
    group = groups[groupIndex]!;
  };

  // Synchronous, so the per-node cost is the cipher; returns true when a group of 96 is complete.
  const sealData = (plaintext: Uint8Array): boolean => {
    const key = keys.take();
    const { ciphertext, mac } = sealNode(key, plaintext);
    const slot = dataNodes % DATA_PER_MHT;
    entries.set(key, slot * ENTRY_SIZE);
    entries.set(mac, slot * ENTRY_SIZE + 16);
    key.fill(0);
    group.set(ciphertext, (1 + slot) * NODE_SIZE);
    dataNodes++;
    return slot === DATA_PER_MHT - 1;
  };

  for await (const block of options.input) {
    size += block.byteLength;
    let offset = 0;
    if (metaFill < META_DATA_SIZE) {
      const take = Math.min(META_DATA_SIZE - metaFill, block.byteLength);
      metaData.set(block.subarray(0, take), metaFill);
      metaFill += take;
      offset = take;
    }
    while (offset < block.byteLength) {
      if (nodeFill === 0 && block.byteLength - offset >= NODE_SIZE) {
        if (sealData(block.subarray(offset, offset + NODE_SIZE))) await finishGroup();
        offset += NODE_SIZE;
        continue;
      }
      const take = Math.min(NODE_SIZE - nodeFill, block.byteLength - offset);
      node.set(block.subarray(offset, offset + take), nodeFill);
      nodeFill += take;
      offset += take;
      if (nodeFill === NODE_SIZE) {
        if (sealData(node)) await finishGroup();
        nodeFill = 0;
      }
    }
    options.onBytes?.(block.byteLength);
  }
  if (nodeFill > 0) {
    node.fill(0, nodeFill); // the last data node is zero-padded (§4.2.1)
    if (sealData(node)) await finishGroup();
  }
  // A complete last group was written by the loop; a partial one is written here.
  if (dataNodes % DATA_PER_MHT !== 0) await finishGroup();
  await pending;
  node.fill(0);

  // Seal MHT nodes from the last to the root; a child's (key, mac) waits here for its parent.
  const mhtNodes = Math.ceil(dataNodes / DATA_PER_MHT);
  const childEntries = new Map<number, Uint8Array>();
  let root = new Uint8Array(ENTRY_SIZE);
  for (let m = mhtNodes - 1; m >= 0; m--) {
    const position = mhtPhysical(m) * NODE_SIZE;
    const plaintext = Buffer.alloc(NODE_SIZE);
    plaintext.set(spill.open(m, await sink.readAt(position, CHILD_ENTRIES_OFFSET)), 0);
    for (let slot = 0; slot < CHILDREN_PER_MHT; slot++) {
      const child = m * CHILDREN_PER_MHT + 1 + slot;
      const entry = childEntries.get(child);
      if (entry === undefined) break;
      plaintext.set(entry, CHILD_ENTRIES_OFFSET + slot * ENTRY_SIZE);
      childEntries.delete(child);
    }
    const key = keys.take();
    const { ciphertext, mac } = sealNode(key, plaintext);
    plaintext.fill(0);
    await sink.writeAt(ciphertext, position);
    const entry = Buffer.concat([key, mac]);
    key.fill(0);
    if (m === 0) root = entry;
    else childEntries.set(m, entry);
  }

  // Metadata node: a fresh key_id, so the metadata key is never reused with the zero IV.
  const keyId = random(KEY_ID_LENGTH);
  const metadataKey = deriveMetadataKey(userKey, keyId);
  const metadata = Buffer.alloc(META.size);
  metadata.set(fileName, META.fileName);
  metadata.writeBigUInt64LE(BigInt(size), META.fileSize);
  metadata.set(root, META.mhtKey); // key then mac: mhtKey, mhtGmac are adjacent
  metadata.set(metaData, META.data);
  const { ciphertext, mac } = sealNode(metadataKey, metadata);
  metadata.fill(0);
  metaData.fill(0);
  root.fill(0);
  metadataKey.fill(0);

  const first = Buffer.alloc(NODE_SIZE);
  first.writeBigUInt64LE(FILE_ID, HEADER.fileId);
  first.writeUInt8(MAJOR_VERSION, HEADER.majorVersion);
  first.writeUInt8(MINOR_VERSION, HEADER.minorVersion);
  first.writeUInt8(ENCRYPT_FLAG_USER_KEY, HEADER.encryptFlags);
  // update_flag, key_policy, isv_svn, cpu_svn and attribute_mask stay zero in user-key mode.
  first.set(keyId, HEADER.keyId);
  first.set(mac, HEADER.gmac);
  first.set(ciphertext, HEADER.size);
  await sink.writeAt(first, 0);
  return { tag: new Uint8Array(mac), size };
}
