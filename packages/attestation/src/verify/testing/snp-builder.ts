// Test support: an AMD-like SEV-SNP platform under a test ARK (ECDSA P-384 keys instead of AMD's
// RSA, which the chain check does not depend on): ARK → ASK → VCEK with AMD's extensions, and
// ATTESTATION_REPORTs signed by the VCEK with every field under the test's control.

import { createHash, sign, webcrypto, KeyObject } from "node:crypto";
import * as der from "../../der.js";
import type { SnpProduct, SnpTcb } from "../../types.js";
import type * as X509 from "@peculiar/x509";
import { createTestCrl, loadX509, validFor, type TestCert } from "./pki.js";

const P384 = { name: "ECDSA", namedCurve: "P-384", hash: "SHA-384" } as const;
const AMD_OID = "1.3.6.1.4.1.3704.1";

export interface SnpReportFields {
  version?: number;
  guestSvn?: number;
  /** Guest policy u64; default 0x30000 (ABI 0.0, SMT allowed, reserved bit 17). */
  policy?: bigint;
  vmpl?: number;
  measurement?: Uint8Array;
  hostData?: Uint8Array;
  idKeyDigest?: Uint8Array;
  reportData?: Uint8Array;
  reportedTcb?: SnpTcb;
  maskChipKey?: boolean;
  /** 0 VCEK, 1 VLEK, 7 none. */
  signingKey?: number;
  cpuid?: { family: number; model: number; stepping: number };
}

export function encodeSnpTcb(t: SnpTcb, product: SnpProduct): Buffer {
  const b = Buffer.alloc(8);
  if (product === "Turin") {
    b[0] = t.fmc ?? 0;
    b[1] = t.bootloader;
    b[2] = t.tee;
    b[3] = t.snp;
  } else {
    b[0] = t.bootloader;
    b[1] = t.tee;
    b[6] = t.snp;
  }
  b[7] = t.microcode;
  return b;
}

async function p384(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(P384, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
}

function wrap(name: string, cert: X509.X509Certificate, pair: webcrypto.CryptoKeyPair): TestCert {
  return {
    name,
    der: Buffer.from(cert.rawData),
    pem: cert.toString("pem"),
    serialHex: cert.serialNumber.replace(/^(00)+/, "").toLowerCase(),
    privateKey: KeyObject.from(pair.privateKey),
    publicKey: KeyObject.from(pair.publicKey),
    cryptoKey: pair,
    cert,
  };
}

export class TestSnpPlatform {
  private constructor(
    readonly product: SnpProduct,
    readonly ark: TestCert,
    readonly ask: TestCert,
    readonly vcek: TestCert,
    readonly chipId: Buffer,
    readonly tcb: SnpTcb,
  ) {}

  static async create(options: {
    now: Date;
    product?: SnpProduct;
    tcb?: Partial<SnpTcb>;
  }): Promise<TestSnpPlatform> {
    const x509 = await loadX509();
    const product = options.product ?? "Milan";
    const tcb: SnpTcb = {
      bootloader: 3,
      tee: 0,
      snp: 8,
      microcode: 115,
      fmc: product === "Turin" ? 1 : null,
      ...options.tcb,
    };
    const chipId = createHash("sha512").update(`test chip ${product}`).digest();
    const dn = (cn: string): string =>
      `OU=Engineering, C=US, L=Santa Clara, ST=CA, O=Advanced Micro Devices, CN=${cn}`;
    const long = validFor(options.now, 25);
    const arkKeys = await p384();
    const arkCert = await x509.X509CertificateGenerator.createSelfSigned({
      name: dn(`ARK-${product}`),
      notBefore: long.notBefore,
      notAfter: long.notAfter,
      keys: arkKeys,
      signingAlgorithm: P384,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ],
    });
    const ark = wrap(`ARK-${product}`, arkCert, arkKeys);
    const askKeys = await p384();
    const ask = wrap(
      `SEV-${product}`,
      await x509.X509CertificateGenerator.create({
        subject: dn(`SEV-${product}`),
        issuer: arkCert.subject,
        notBefore: long.notBefore,
        notAfter: long.notAfter,
        publicKey: askKeys.publicKey,
        signingKey: arkKeys.privateKey,
        signingAlgorithm: P384,
        extensions: [
          new x509.BasicConstraintsExtension(true, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        ],
      }),
      askKeys,
    );
    const vcekKeys = await p384();
    const ext = (suffix: string, value: Buffer): X509.Extension =>
      new x509.Extension(`${AMD_OID}.${suffix}`, false, value);
    const extensions = [
      ext("1", der.integer(0)),
      ext("2", der.tlv(0x16, Buffer.from(`${product}-B0`, "latin1"))),
      ext("3.1", der.integer(tcb.bootloader)),
      ext("3.2", der.integer(tcb.tee)),
      ext("3.3", der.integer(tcb.snp)),
      ext("3.8", der.integer(tcb.microcode)),
      ext("4", product === "Turin" ? chipId.subarray(0, 8) : chipId),
    ];
    if (product === "Turin") extensions.push(ext("3.9", der.integer(tcb.fmc ?? 0)));
    const vcek = wrap(
      "SEV-VCEK",
      await x509.X509CertificateGenerator.create({
        subject: dn("SEV-VCEK"),
        issuer: ask.cert.subject,
        notBefore: validFor(options.now, 7).notBefore,
        notAfter: validFor(options.now, 7).notAfter,
        publicKey: vcekKeys.publicKey,
        signingKey: askKeys.privateKey,
        signingAlgorithm: P384,
        extensions,
      }),
      vcekKeys,
    );
    return new TestSnpPlatform(product, ark, ask, vcek, chipId, tcb);
  }

  get arkSha256(): string {
    return createHash("sha256").update(this.ark.der).digest("hex");
  }

  /** A CRL from the ARK listing the given serials (e.g. `this.ask.serialHex`). */
  crl(serials: string[], thisUpdate: Date, nextUpdate: Date): Promise<Buffer> {
    return createTestCrl(this.ark, serials, thisUpdate, nextUpdate);
  }

  /** An SEV-SNP certificate table (auxblob) holding VCEK, ASK and ARK. */
  certTable(): Buffer {
    const guids = [
      "63da758de6644564adc5f4b93be8accd",
      "4ab7b379bbac4fe4a02f05aef327c782",
      "c0b406a4a803495297433fb6014cd0ae",
    ];
    const certs = [this.vcek.der, this.ask.der, this.ark.der];
    const header = Buffer.alloc(24 * (certs.length + 1));
    let offset = header.length;
    certs.forEach((c, i) => {
      Buffer.from(guids[i]!, "hex").copy(header, 24 * i);
      header.writeUInt32LE(offset, 24 * i + 16);
      header.writeUInt32LE(c.length, 24 * i + 20);
      offset += c.length;
    });
    return Buffer.concat([header, ...certs]);
  }

  report(f: SnpReportFields = {}): Buffer {
    const r = Buffer.alloc(0x4a0);
    const version = f.version ?? 3;
    r.writeUInt32LE(version, 0x00);
    r.writeUInt32LE(f.guestSvn ?? 1, 0x04);
    r.writeBigUInt64LE(f.policy ?? 0x30000n, 0x08);
    r.writeUInt32LE(f.vmpl ?? 0, 0x30);
    r.writeUInt32LE(1, 0x34);
    const tcb = encodeSnpTcb(f.reportedTcb ?? this.tcb, this.product);
    tcb.copy(r, 0x38);
    r.writeUInt32LE(((f.signingKey ?? 0) << 2) | (f.maskChipKey ? 2 : 0), 0x48);
    Buffer.from(f.reportData ?? Buffer.alloc(64)).copy(r, 0x50);
    Buffer.from(f.measurement ?? createHash("sha384").update("test guest").digest()).copy(r, 0x90);
    if (f.hostData) Buffer.from(f.hostData).copy(r, 0xc0);
    if (f.idKeyDigest) Buffer.from(f.idKeyDigest).copy(r, 0xe0);
    tcb.copy(r, 0x180);
    if (version >= 3) {
      const c = f.cpuid ?? {
        family: this.product === "Turin" ? 0x1a : 0x19,
        model: this.product === "Milan" ? 0x01 : this.product === "Genoa" ? 0x11 : 0x02,
        stepping: 1,
      };
      r[0x188] = c.family;
      r[0x189] = c.model;
      r[0x18a] = c.stepping;
    }
    if (!f.maskChipKey) this.chipId.copy(r, 0x1a0);
    tcb.copy(r, 0x1e0);
    tcb.copy(r, 0x1f0);
    const sig = sign("sha384", r.subarray(0, 0x2a0), {
      key: this.vcek.privateKey,
      dsaEncoding: "ieee-p1363",
    });
    Buffer.from(sig.subarray(0, 48)).reverse().copy(r, 0x2a0);
    Buffer.from(sig.subarray(48, 96)).reverse().copy(r, 0x2e8);
    return r;
  }
}
