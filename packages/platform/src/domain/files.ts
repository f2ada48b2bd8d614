// Input and output files (spec §3.5). The platform stores where ciphertext lives and how to decrypt it;
// it never stores the data itself (fusion outputs excepted, which stay inside the platform).
import type { FileSchema } from "@mesatee/crypto";

export type { FileSchema };

export interface FileCrypto {
  readonly schema: FileSchema;
  /** hex */
  readonly key: string;
  /** hex */
  readonly iv: string;
}

export interface InputFile {
  readonly id: string;
  readonly url: string;
  /** 16-byte tag, hex ("" for raw inputs). */
  readonly cmac: string;
  readonly crypto: FileCrypto;
  /** Sorted, distinct user ids. */
  readonly owners: readonly string[];
  readonly createdAt: number;
}

export interface OutputFile {
  readonly id: string;
  readonly url: string;
  /** Set exactly once, when a task writing this output finishes. */
  readonly cmac: string | null;
  readonly crypto: FileCrypto;
  readonly owners: readonly string[];
  /** Stored inside the platform; its key never leaves it. */
  readonly fusion: boolean;
  readonly createdAt: number;
}

export function sameOwners(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function normalizeOwners(owners: readonly string[]): string[] {
  return [...new Set(owners)].sort();
}
