// TDX and SEV-SNP guests through Linux configfs-tsm (kernel ≥ 6.7; spec attestation.md §2.3):
// mkdir a report entry, check its provider, write inblob, read outblob (and auxblob on SNP), and
// compare the generation counter before and after to detect a concurrent writer on the same entry.
// All file access goes through an injectable TsmFileSystem so tests can play the kernel.

import { mkdtemp, readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { BackendError, ioError } from "./errors.js";
import { readPrivateFile } from "./files.js";
import { REPORT_DATA_LENGTH, type AttestationBackend, type Evidence, type SealingBinding } from "./types.js";

export const TSM_ROOT = "/sys/kernel/config/tsm";

/** The file operations the backend performs; node:fs/promises by default. */
export interface TsmFileSystem {
  mkdtemp(prefix: string): Promise<string>;
  rmdir(path: string): Promise<void>;
  readFile(path: string): Promise<Buffer>;
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
}

const nodeFs: TsmFileSystem = {
  mkdtemp: (prefix) => mkdtemp(prefix),
  rmdir: (path) => rmdir(path),
  readFile: (path) => readFile(path),
  writeFile: (path, data) => writeFile(path, data),
};

export interface TsmBackendOptions {
  /** configfs-tsm mount point; default /sys/kernel/config/tsm. */
  root?: string;
  fs?: TsmFileSystem;
  /** Retries of an outblob read the host refuses with EBUSY/EAGAIN (rate limiting); default 5. */
  retries?: number;
  /** First retry delay, doubled each time; default 200 ms. */
  retryDelayMs?: number;
  /**
   * An operator-provided 32-byte key file (mode 0600) to derive sealing keys from. configfs-tsm
   * exposes no sealing keys (SNP's derived keys need the /dev/sev-guest ioctl), so without this
   * file sealing is refused rather than silently weakened.
   */
  sealingKeyFile?: string;
}

export interface SnpBackendOptions extends TsmBackendOptions {
  /** VMPL to request the report for (0-3); must be ≥ the kernel's privlevel_floor. */
  privlevel?: number;
}

/** Upper bound on what a quote or report read may return (real ones are ≤ 8 KiB). */
export const MAX_OUTBLOB_SIZE = 64 * 1024;
export const MAX_AUXBLOB_SIZE = 64 * 1024;

const SNP_REPORT_SIZE = 0x4a0;
const SNP_REPORT_DATA_OFFSET = 0x50;
const SNP_VMPL_OFFSET = 0x30;

abstract class TsmBackend implements AttestationBackend {
  abstract readonly kind: "tdx" | "sev-snp";
  protected abstract readonly provider: "tdx_guest" | "sev_guest";
  readonly root: string;
  protected readonly fs: TsmFileSystem;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly sealingKeyFile: string | undefined;

  constructor(options: TsmBackendOptions) {
    this.root = options.root ?? TSM_ROOT;
    this.fs = options.fs ?? nodeFs;
    this.retries = options.retries ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? 200;
    this.sealingKeyFile = options.sealingKeyFile;
    if (!Number.isInteger(this.retries) || this.retries < 0 || this.retries > 20) {
      throw new BackendError("INVALID_CONFIG", "retries must be an integer in 0..20");
    }
    if (!Number.isFinite(this.retryDelayMs) || this.retryDelayMs < 0) {
      throw new BackendError("INVALID_CONFIG", "retryDelayMs must be ≥ 0");
    }
  }

  private async newEntry(): Promise<string> {
    try {
      return await this.fs.mkdtemp(join(this.root, "report", "mesatee-"));
    } catch (err) {
      throw new BackendError("BACKEND_UNAVAILABLE", `configfs-tsm is not available under ${this.root}`, {
        cause: err,
      });
    }
  }

  private async readProvider(entry: string): Promise<string> {
    try {
      return (await this.fs.readFile(join(entry, "provider"))).toString("utf8").trim();
    } catch (err) {
      throw ioError("cannot read the configfs-tsm provider", err);
    }
  }

  async detect(): Promise<boolean> {
    let entry: string | undefined;
    try {
      entry = await this.fs.mkdtemp(join(this.root, "report", "mesatee-"));
      return (await this.readProvider(entry)) === this.provider;
    } catch {
      return false;
    } finally {
      if (entry !== undefined) await this.fs.rmdir(entry).catch(() => undefined);
    }
  }

  private async generation(entry: string): Promise<number> {
    const text = (await this.fs.readFile(join(entry, "generation"))).toString("utf8").trim();
    if (!/^\d+$/.test(text))
      throw new BackendError("BAD_EVIDENCE", "configfs-tsm generation is not a number");
    return Number(text);
  }

  private async readOutblob(entry: string): Promise<Buffer> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.fs.readFile(join(entry, "outblob"));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if ((code !== "EBUSY" && code !== "EAGAIN") || attempt >= this.retries) {
          if (code === "EBUSY" || code === "EAGAIN") {
            throw new BackendError("BUSY", `the TEE stayed busy through ${this.retries} retries`, {
              cause: err,
            });
          }
          throw ioError("reading outblob failed", err);
        }
        await delay(this.retryDelayMs * 2 ** attempt);
      }
    }
  }

  /** Hook for SNP to set privlevel before the generation snapshot. */
  protected async beforeRequest(_entry: string): Promise<void> {}

  protected abstract checkOutblob(outblob: Buffer, reportData: Uint8Array): void;

  protected abstract readonly format: Evidence["format"];

  async getEvidence(reportData: Uint8Array): Promise<Evidence> {
    if (!(reportData instanceof Uint8Array) || reportData.length !== REPORT_DATA_LENGTH) {
      throw new BackendError("INVALID_ARGUMENT", `report data must be ${REPORT_DATA_LENGTH} bytes`);
    }
    const entry = await this.newEntry();
    try {
      const provider = await this.readProvider(entry);
      if (provider !== this.provider) {
        throw new BackendError(
          "PROVIDER_MISMATCH",
          `configfs-tsm provider is "${provider}", ${this.kind} needs "${this.provider}"`,
        );
      }
      await this.beforeRequest(entry);
      let outblob: Buffer;
      let auxblob: Buffer | undefined;
      let before: number;
      let after: number;
      try {
        before = await this.generation(entry);
        await this.fs.writeFile(join(entry, "inblob"), reportData);
        outblob = await this.readOutblob(entry);
        if (this.kind === "sev-snp") auxblob = await this.readAuxblob(entry);
        after = await this.generation(entry);
      } catch (err) {
        throw ioError("configfs-tsm report request failed", err);
      }
      // Our single inblob write advances the counter by exactly one; anything else means another
      // writer touched this entry and the outblob may answer their request, not ours.
      if (after !== before + 1) {
        throw new BackendError("CONCURRENT_USE", `configfs-tsm generation moved from ${before} to ${after}`);
      }
      if (outblob.length > MAX_OUTBLOB_SIZE) throw new BackendError("BAD_EVIDENCE", "outblob is too large");
      this.checkOutblob(outblob, reportData);
      return {
        format: this.format,
        raw: outblob,
        ...(auxblob && auxblob.length > 0 ? { aux: auxblob } : {}),
      };
    } finally {
      await this.fs.rmdir(entry).catch(() => undefined);
    }
  }

  private async readAuxblob(entry: string): Promise<Buffer | undefined> {
    try {
      const aux = await this.fs.readFile(join(entry, "auxblob"));
      if (aux.length > MAX_AUXBLOB_SIZE) throw new BackendError("BAD_EVIDENCE", "auxblob is too large");
      return aux;
    } catch (err) {
      // auxblob is optional: absent on kernels/hosts that do not supply a certificate table.
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  async sealingSecret(_binding: SealingBinding): Promise<Uint8Array> {
    if (this.sealingKeyFile === undefined) {
      throw new BackendError(
        "SEALING_UNSUPPORTED",
        `${this.kind} via configfs-tsm has no sealing keys; configure sealingKeyFile with an operator-provided 32-byte key`,
      );
    }
    const key = await readPrivateFile(this.sealingKeyFile);
    if (key.length !== 32)
      throw new BackendError("KEY_FILE_INVALID", `${this.sealingKeyFile} must hold 32 bytes`);
    return key;
  }
}

export class TdxBackend extends TsmBackend {
  readonly kind = "tdx" as const;
  protected readonly provider = "tdx_guest" as const;
  protected readonly format = "tdx-dcap-quote" as const;

  constructor(options: TsmBackendOptions = {}) {
    super(options);
  }

  protected checkOutblob(quote: Buffer, reportData: Uint8Array): void {
    if (quote.length < 48 + 584 + 4)
      throw new BackendError("BAD_EVIDENCE", `TDX quote of ${quote.length} bytes is too short`);
    const version = quote.readUInt16LE(0);
    if (quote.readUInt32LE(4) !== 0x81)
      throw new BackendError("BAD_EVIDENCE", "outblob is not a TDX quote (tee_type)");
    let offset: number;
    if (version === 4) {
      offset = 48 + 520;
    } else if (version === 5) {
      const bodyType = quote.readUInt16LE(48);
      if (bodyType !== 2 && bodyType !== 3)
        throw new BackendError("BAD_EVIDENCE", `TDX quote v5 has body type ${bodyType}`);
      offset = 54 + 520;
    } else {
      throw new BackendError("BAD_EVIDENCE", `TDX quote version ${version} is not 4 or 5`);
    }
    if (!quote.subarray(offset, offset + 64).equals(Buffer.from(reportData))) {
      throw new BackendError("BAD_EVIDENCE", "the TDX quote does not carry the requested report data");
    }
  }
}

export class SevSnpBackend extends TsmBackend {
  readonly kind = "sev-snp" as const;
  protected readonly provider = "sev_guest" as const;
  protected readonly format = "snp-report" as const;
  private readonly privlevel: number | undefined;

  constructor(options: SnpBackendOptions = {}) {
    super(options);
    if (
      options.privlevel !== undefined &&
      (!Number.isInteger(options.privlevel) || options.privlevel < 0 || options.privlevel > 3)
    ) {
      throw new BackendError("INVALID_CONFIG", "privlevel must be 0, 1, 2 or 3");
    }
    this.privlevel = options.privlevel;
  }

  protected override async beforeRequest(entry: string): Promise<void> {
    if (this.privlevel === undefined) return;
    let floor = 0;
    try {
      floor = Number((await this.fs.readFile(join(entry, "privlevel_floor"))).toString("utf8").trim());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw ioError("cannot read privlevel_floor", err);
    }
    if (this.privlevel < floor) {
      throw new BackendError(
        "INVALID_CONFIG",
        `privlevel ${this.privlevel} is below the kernel's floor ${floor}`,
      );
    }
    try {
      await this.fs.writeFile(join(entry, "privlevel"), `${this.privlevel}\n`);
    } catch (err) {
      throw ioError("cannot write privlevel", err);
    }
  }

  protected checkOutblob(report: Buffer, reportData: Uint8Array): void {
    if (report.length < SNP_REPORT_SIZE)
      throw new BackendError("BAD_EVIDENCE", `SNP report of ${report.length} bytes is too short`);
    if (
      !report.subarray(SNP_REPORT_DATA_OFFSET, SNP_REPORT_DATA_OFFSET + 64).equals(Buffer.from(reportData))
    ) {
      throw new BackendError("BAD_EVIDENCE", "the SNP report does not carry the requested report data");
    }
    if (this.privlevel !== undefined && report.readUInt32LE(SNP_VMPL_OFFSET) !== this.privlevel) {
      throw new BackendError("BAD_EVIDENCE", "the SNP report is for another VMPL than requested");
    }
  }
}
