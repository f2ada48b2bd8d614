// Test support for the verifier and for anyone producing evidence: a provisioning PKI, a quote
// writer, and signed collateral under test roots. Never use these outside tests: the keys are
// generated in-process and the "platforms" are fictional.

import { TestDcapPlatform } from "./platform.js";

export {
  TestDcapPlatform,
  DEFAULT_PLATFORM_TCB,
  encodeSgxExtension,
  type PlatformOptions,
  type PlatformTcb,
  type CollateralOptions,
} from "./platform.js";
export {
  buildQuote,
  sgxBody,
  tdBody,
  qeReportBody,
  rawP256,
  type BuildQuoteOptions,
  type SgxBodyFields,
  type TdBodyFields,
  type QeReportFields,
} from "./quote-builder.js";
export {
  createTestRoot,
  issueTestCert,
  createTestCrl,
  validFor,
  type TestCert,
  type Validity,
} from "./pki.js";
export { VECTORS, readVector, vectorPath, snpReport } from "./vectors.js";

/**
 * Simulation evidence in one call: a fresh simulation root, PCK chain and a DEBUG SGX quote v3 with
 * the simulation QE vendor id, carrying `reportData`.
 */
export async function buildSimulationQuote(options: {
  now: Date;
  reportData: Uint8Array;
  mrenclave?: Uint8Array;
  mrsigner?: Uint8Array;
}): Promise<{
  quote: Buffer;
  rootSha256: string;
  platform: TestDcapPlatform;
}> {
  const platform = await TestDcapPlatform.create({ now: options.now, kind: "simulation" });
  const quote = platform.quote({
    reportData: options.reportData,
    sgx: { mrenclave: options.mrenclave, mrsigner: options.mrsigner, debug: true },
  });
  return { quote, rootSha256: platform.rootSha256, platform };
}
export { TestSnpPlatform, encodeSnpTcb, type SnpReportFields } from "./snp-builder.js";
export { buildRaTlsTestCertificate, type RaTlsTestCertificate } from "./ratls-cert.js";
