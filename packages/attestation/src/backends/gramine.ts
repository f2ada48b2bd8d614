// SGX under Gramine through its /dev/attestation pseudo-files (spec attestation.md §2.1): write the
// 64-byte user_report_data, read a fresh DCAP quote. Gramine documents the pair as not thread- or
// process-safe, so writes and reads are serialised here and the quote's REPORTDATA is checked
// against what was written (catching an interleaving writer in another process).

import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BackendError, ioError } from "./errors.js";
import { REPORT_DATA_LENGTH, type AttestationBackend, type Evidence, type SealingBinding } from "./types.js";

export const GRAMINE_ATTESTATION_ROOT = "/dev/attestation";
/** Gramine's SGX_QUOTE_MAX_SIZE. */
export const MAX_SGX_QUOTE_SIZE = 8192;

export interface GramineBackendOptions {
  /** Root of Gramine's pseudo-filesystem; tests point it at a fake directory. */
  root?: string;
}

/** Serialises async sections (one per backend instance). */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(section: () => Promise<T>): Promise<T> {
    const result = this.tail.then(section);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

export class GramineSgxBackend implements AttestationBackend {
  readonly kind = "sgx-gramine" as const;
  readonly root: string;
  private readonly mutex = new Mutex();

  constructor(options: GramineBackendOptions = {}) {
    this.root = options.root ?? GRAMINE_ATTESTATION_ROOT;
  }

  private async attestationType(): Promise<string> {
    return (await readFile(join(this.root, "attestation_type"), "utf8")).trim();
  }

  async detect(): Promise<boolean> {
    try {
      return (await this.attestationType()) === "dcap";
    } catch {
      return false;
    }
  }

  async getEvidence(reportData: Uint8Array): Promise<Evidence> {
    if (!(reportData instanceof Uint8Array) || reportData.length !== REPORT_DATA_LENGTH) {
      throw new BackendError("INVALID_ARGUMENT", `report data must be ${REPORT_DATA_LENGTH} bytes`);
    }
    return this.mutex.run(async () => {
      let type: string;
      try {
        type = await this.attestationType();
      } catch (err) {
        throw new BackendError(
          "BACKEND_UNAVAILABLE",
          `Gramine attestation files not found under ${this.root}`,
          { cause: err },
        );
      }
      if (type !== "dcap") {
        throw new BackendError(
          "BACKEND_UNAVAILABLE",
          `Gramine remote attestation is "${type}", need "dcap" (sgx.remote_attestation)`,
        );
      }
      let quote: Buffer;
      try {
        // One write of exactly 64 bytes, then a fresh open+read of the quote (spec §2.1).
        await writeFile(join(this.root, "user_report_data"), reportData);
        quote = await readFile(join(this.root, "quote"));
      } catch (err) {
        throw ioError("Gramine quote request failed", err);
      }
      if (quote.length < 436 || quote.length > MAX_SGX_QUOTE_SIZE || quote.readUInt16LE(0) !== 3) {
        throw new BackendError(
          "BAD_EVIDENCE",
          `Gramine returned ${quote.length} bytes that are not an SGX quote v3`,
        );
      }
      if (!quote.subarray(368, 432).equals(Buffer.from(reportData))) {
        throw new BackendError(
          "CONCURRENT_USE",
          "the quote carries other report data: another writer used /dev/attestation concurrently",
        );
      }
      return { format: "sgx-dcap-quote", raw: quote };
    });
  }

  /** Gramine's 16-byte SGX sealing keys: keys/_sgx_mrenclave or keys/_sgx_mrsigner. */
  async sealingSecret(binding: SealingBinding): Promise<Uint8Array> {
    const path = join(this.root, "keys", binding === "mrenclave" ? "_sgx_mrenclave" : "_sgx_mrsigner");
    let key: Buffer;
    try {
      key = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        throw new BackendError("SEALING_UNSUPPORTED", `Gramine sealing key ${path} is not available`, {
          cause: err,
        });
      }
      throw ioError(`cannot read ${path}`, err);
    }
    if (key.length !== 16)
      throw new BackendError("KEY_FILE_INVALID", `${path} must hold 16 bytes, found ${key.length}`);
    return key;
  }
}
