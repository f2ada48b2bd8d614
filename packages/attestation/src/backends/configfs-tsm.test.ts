import { test } from "node:test";
import assert from "node:assert/strict";
import {
  mkdtemp as fsMkdtemp,
  readFile as fsReadFile,
  rm,
  stat,
  writeFile as fsWriteFile,
  chmod,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { SevSnpBackend, TdxBackend, type TsmFileSystem } from "./configfs-tsm.js";
import { createBackend, openBackend } from "./select.js";
import { deriveSealingKey } from "./sealing.js";
import { isBackendError } from "./errors.js";

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(code), { code });
}

type Provider = "tdx_guest" | "sev_guest";

/**
 * Plays the kernel's side of configfs-tsm over a real temporary directory: mkdir populates the
 * attribute files, every write bumps `generation`, reading `outblob` produces a report for the
 * current inblob. Knobs inject the failures a real host can produce.
 */
class FakeTsmKernel implements TsmFileSystem {
  readonly root: string;
  busyReads = 0;
  /** Extra generation bumps made by a "concurrent writer" when outblob is read. */
  interferingWrites = 0;
  /** Produce the report for other data than the inblob (a buggy or hostile host). */
  wrongReportData = false;
  tdxVersion: 4 | 5 = 4;
  privlevelFloor = 0;
  reportedVmpl: number | undefined;
  auxblob: Buffer | undefined;
  readonly created: string[] = [];
  readonly removed: string[] = [];

  constructor(
    root: string,
    readonly provider: Provider,
  ) {
    this.root = root;
  }

  private async bump(entry: string, by = 1): Promise<void> {
    const g = Number((await fsReadFile(join(entry, "generation"), "utf8")).trim());
    await fsWriteFile(join(entry, "generation"), `${g + by}\n`);
  }

  async mkdtemp(prefix: string): Promise<string> {
    const entry = await fsMkdtemp(prefix);
    await fsWriteFile(join(entry, "provider"), `${this.provider}\n`);
    await fsWriteFile(join(entry, "generation"), "0\n");
    await fsWriteFile(join(entry, "privlevel_floor"), `${this.privlevelFloor}\n`);
    this.created.push(entry);
    return entry;
  }

  async rmdir(path: string): Promise<void> {
    this.removed.push(path);
    await rm(path, { recursive: true });
  }

  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    await fsWriteFile(path, data);
    await this.bump(dirname(path));
  }

  async readFile(path: string): Promise<Buffer> {
    const entry = dirname(path);
    switch (basename(path)) {
      case "outblob": {
        if (this.busyReads > 0) {
          this.busyReads--;
          throw errno("EBUSY");
        }
        if (this.interferingWrites > 0) await this.bump(entry, this.interferingWrites);
        const inblob = await fsReadFile(join(entry, "inblob"));
        const data = this.wrongReportData ? Buffer.alloc(64, 0xee) : inblob;
        const out = this.provider === "tdx_guest" ? this.tdxQuote(data) : await this.snpReport(entry, data);
        await fsWriteFile(path, out);
        return out;
      }
      case "auxblob":
        if (this.auxblob === undefined) throw errno("ENOENT");
        return this.auxblob;
      default:
        return fsReadFile(path);
    }
  }

  private tdxQuote(reportData: Buffer): Buffer {
    const v5 = this.tdxVersion === 5;
    const quote = Buffer.alloc((v5 ? 54 : 48) + 584 + 4);
    quote.writeUInt16LE(this.tdxVersion, 0);
    quote.writeUInt16LE(2, 2);
    quote.writeUInt32LE(0x81, 4);
    if (v5) {
      quote.writeUInt16LE(2, 48);
      quote.writeUInt32LE(584, 50);
    }
    reportData.copy(quote, (v5 ? 54 : 48) + 520);
    return quote;
  }

  private async snpReport(entry: string, reportData: Buffer): Promise<Buffer> {
    const report = Buffer.alloc(0x4a0);
    report.writeUInt32LE(2, 0);
    let vmpl = 0;
    try {
      vmpl = Number((await fsReadFile(join(entry, "privlevel"), "utf8")).trim());
    } catch {
      // privlevel never written: VMPL 0
    }
    report.writeUInt32LE(this.reportedVmpl ?? vmpl, 0x30);
    reportData.copy(report, 0x50);
    return report;
  }
}

async function kernel(
  t: { after: (fn: () => Promise<void>) => void },
  provider: Provider,
): Promise<FakeTsmKernel> {
  const root = await fsMkdtemp(join(tmpdir(), "mesatee-tsm-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  await import("node:fs/promises").then((fs) => fs.mkdir(join(root, "report")));
  return new FakeTsmKernel(root, provider);
}

const reportData = Buffer.alloc(64, 0x42);

test("TDX: inblob carries the report data, outblob is returned as a TDX quote, and the entry is removed", async (t) => {
  const k = await kernel(t, "tdx_guest");
  const backend = new TdxBackend({ root: k.root, fs: k });
  assert.equal(await backend.detect(), true);
  const evidence = await backend.getEvidence(reportData);
  assert.equal(evidence.format, "tdx-dcap-quote");
  assert.deepEqual(Buffer.from(evidence.raw).subarray(568, 632), reportData);
  assert.equal(evidence.aux, undefined);
  assert.equal(k.created.length, 2);
  assert.deepEqual(k.removed, k.created);
  await assert.rejects(stat(k.created[1]!), { code: "ENOENT" });

  k.tdxVersion = 5;
  const v5 = await backend.getEvidence(reportData);
  assert.deepEqual(Buffer.from(v5.raw).subarray(574, 638), reportData);
});

test("TDX: a sev_guest provider is PROVIDER_MISMATCH, never a fallback", async (t) => {
  const k = await kernel(t, "sev_guest");
  const backend = new TdxBackend({ root: k.root, fs: k });
  assert.equal(await backend.detect(), false);
  await assert.rejects(backend.getEvidence(reportData), (e) => isBackendError(e, "PROVIDER_MISMATCH"));
  await assert.rejects(openBackend({ kind: "tdx", root: k.root, fs: k }), (e) =>
    isBackendError(e, "BACKEND_UNAVAILABLE"),
  );
  assert.deepEqual(k.removed, k.created);
});

test("configfs-tsm: a concurrent writer on the entry (generation moved by more than our write) is detected", async (t) => {
  const k = await kernel(t, "tdx_guest");
  k.interferingWrites = 1;
  await assert.rejects(new TdxBackend({ root: k.root, fs: k }).getEvidence(reportData), (e) =>
    isBackendError(e, "CONCURRENT_USE"),
  );
  assert.deepEqual(k.removed, k.created);
});

test("configfs-tsm: EBUSY from a rate-limiting host is retried, and BUSY reported when it persists", async (t) => {
  const k = await kernel(t, "tdx_guest");
  k.busyReads = 2;
  const backend = new TdxBackend({ root: k.root, fs: k, retries: 3, retryDelayMs: 0 });
  assert.equal((await backend.getEvidence(reportData)).format, "tdx-dcap-quote");
  k.busyReads = 10;
  await assert.rejects(backend.getEvidence(reportData), (e) => isBackendError(e, "BUSY"));
});

test("configfs-tsm: a report that does not carry the requested report data is refused", async (t) => {
  const k = await kernel(t, "tdx_guest");
  k.wrongReportData = true;
  await assert.rejects(new TdxBackend({ root: k.root, fs: k }).getEvidence(reportData), (e) =>
    isBackendError(e, "BAD_EVIDENCE"),
  );
  const s = await kernel(t, "sev_guest");
  s.wrongReportData = true;
  await assert.rejects(new SevSnpBackend({ root: s.root, fs: s }).getEvidence(reportData), (e) =>
    isBackendError(e, "BAD_EVIDENCE"),
  );
});

test("SEV-SNP: privlevel is written before the request, the report and auxblob are returned", async (t) => {
  const k = await kernel(t, "sev_guest");
  k.auxblob = Buffer.alloc(72, 0xaa);
  const backend = new SevSnpBackend({ root: k.root, fs: k, privlevel: 2 });
  const evidence = await backend.getEvidence(reportData);
  assert.equal(evidence.format, "snp-report");
  const raw = Buffer.from(evidence.raw);
  assert.equal(raw.readUInt32LE(0x30), 2);
  assert.deepEqual(raw.subarray(0x50, 0x90), reportData);
  assert.deepEqual(Buffer.from(evidence.aux!), k.auxblob);

  k.reportedVmpl = 0;
  await assert.rejects(backend.getEvidence(reportData), (e) => isBackendError(e, "BAD_EVIDENCE"));
});

test("SEV-SNP: a privlevel below the kernel's floor is refused; a missing auxblob is simply absent", async (t) => {
  const k = await kernel(t, "sev_guest");
  k.privlevelFloor = 1;
  await assert.rejects(
    new SevSnpBackend({ root: k.root, fs: k, privlevel: 0 }).getEvidence(reportData),
    (e) => isBackendError(e, "INVALID_CONFIG"),
  );
  const evidence = await new SevSnpBackend({ root: k.root, fs: k }).getEvidence(reportData);
  assert.equal(evidence.aux, undefined);
  assert.throws(
    () => new SevSnpBackend({ privlevel: 4 }),
    (e) => isBackendError(e, "INVALID_CONFIG"),
  );
});

test("configfs-tsm absent: configured TDX or SEV-SNP is BACKEND_UNAVAILABLE", async (t) => {
  const dir = await fsMkdtemp(join(tmpdir(), "mesatee-notsm-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await assert.rejects(openBackend({ kind: "tdx", root: dir }), (e) =>
    isBackendError(e, "BACKEND_UNAVAILABLE"),
  );
  await assert.rejects(openBackend({ kind: "sev-snp", root: dir }), (e) =>
    isBackendError(e, "BACKEND_UNAVAILABLE"),
  );
  await assert.rejects(new TdxBackend({ root: dir }).getEvidence(reportData), (e) =>
    isBackendError(e, "BACKEND_UNAVAILABLE"),
  );
  assert.throws(
    () => createBackend({ kind: "sgx" } as never),
    (e) => isBackendError(e, "INVALID_CONFIG"),
  );
});

test("TDX/SEV-SNP sealing: refused without an operator key file; derived from a 0600 key file; a loose file is refused", async (t) => {
  const dir = await fsMkdtemp(join(tmpdir(), "mesatee-tsmkey-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await assert.rejects(deriveSealingKey(new TdxBackend({ root: dir }), "storage"), (e) =>
    isBackendError(e, "SEALING_UNSUPPORTED"),
  );
  await assert.rejects(deriveSealingKey(new SevSnpBackend({ root: dir }), "storage"), (e) =>
    isBackendError(e, "SEALING_UNSUPPORTED"),
  );
  const keyFile = join(dir, "sealing.key");
  await fsWriteFile(keyFile, Buffer.alloc(32, 7), { mode: 0o600 });
  const backend = new TdxBackend({ root: dir, sealingKeyFile: keyFile });
  const key = await deriveSealingKey(backend, "storage");
  assert.equal(key.length, 32);
  assert.deepEqual(
    await deriveSealingKey(new TdxBackend({ root: dir, sealingKeyFile: keyFile }), "storage"),
    key,
  );
  assert.notDeepEqual(await deriveSealingKey(backend, "other"), key);
  await chmod(keyFile, 0o644);
  await assert.rejects(deriveSealingKey(backend, "storage"), (e) => isBackendError(e, "KEY_FILE_INVALID"));
});
