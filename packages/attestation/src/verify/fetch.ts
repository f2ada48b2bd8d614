// Optional, out-of-band collateral fetching from Intel PCS (v4 API) and AMD KDS, for refreshing a
// collateral cache. The verifier itself never calls these. Every request has a timeout and a size
// cap; the results are unverified until the verifier checks their signatures.

import { AttestationError } from "../errors.js";
import type { SnpProduct, SnpTcb } from "../types.js";
import type { CollateralBundle } from "./collateral.js";
import type { SnpCollateral } from "./snp.js";
import { splitPem } from "./certificate.js";

export interface FetchOptions {
  /** Intel PCS (or a PCCS speaking the same API). Default https://api.trustedservices.intel.com */
  pcsBaseUrl?: string;
  /** Intel SGX Root CA CRL. Default https://certificates.trustedservices.intel.com/IntelSGXRootCA.der */
  rootCrlUrl?: string;
  /** AMD KDS. Default https://kdsintf.amd.com */
  kdsBaseUrl?: string;
  /** Per-request timeout in milliseconds (default 10 000). */
  timeoutMs?: number;
  /** Largest response accepted, bytes (default 1 MiB). */
  maxBytes?: number;
  /** Injected fetch (tests, proxies); default globalThis.fetch. */
  fetch?: typeof fetch;
}

const DEFAULTS = {
  pcsBaseUrl: "https://api.trustedservices.intel.com",
  rootCrlUrl: "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der",
  kdsBaseUrl: "https://kdsintf.amd.com",
  timeoutMs: 10_000,
  maxBytes: 1024 * 1024,
};

interface Fetched {
  body: Buffer;
  headers: Headers;
}

async function get(url: string, options: FetchOptions): Promise<Fetched> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const maxBytes = options.maxBytes ?? DEFAULTS.maxBytes;
  let response: Response;
  try {
    response = await doFetch(url, {
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULTS.timeoutMs),
      redirect: "error",
    });
  } catch (cause) {
    throw new AttestationError(
      "FETCH_FAILED",
      `GET ${url} failed: ${(cause as Error).name === "TimeoutError" ? "timed out" : (cause as Error).message}`,
      { cause },
    );
  }
  if (!response.ok) throw new AttestationError("FETCH_FAILED", `GET ${url} answered HTTP ${response.status}`);
  const length = Number(response.headers.get("content-length") ?? "0");
  if (length > maxBytes)
    throw new AttestationError("FETCH_FAILED", `GET ${url}: response larger than ${maxBytes} bytes`);
  let body: Buffer;
  try {
    body = Buffer.from(await response.arrayBuffer());
  } catch (cause) {
    throw new AttestationError("FETCH_FAILED", `GET ${url}: reading the body failed`, { cause });
  }
  if (body.length > maxBytes)
    throw new AttestationError("FETCH_FAILED", `GET ${url}: response larger than ${maxBytes} bytes`);
  return { body, headers: response.headers };
}

function issuerChain(f: Fetched, names: string[], url: string): string {
  for (const name of names) {
    const value = f.headers.get(name);
    if (value) return decodeURIComponent(value);
  }
  throw new AttestationError(
    "FETCH_FAILED",
    `${url} did not send an issuer chain header (${names.join(" / ")})`,
  );
}

/**
 * PCS wraps the signed body as {"<key>":<body>,"signature":"<hex>"}; the signature covers the body's
 * exact bytes, so they are cut out of the response text rather than re-serialised.
 */
function signedBody(text: string, key: string, url: string): { body: string; signature: string } {
  const m = new RegExp(
    `^\\s*\\{\\s*"${key}"\\s*:\\s*(\\{[\\s\\S]*\\})\\s*,\\s*"signature"\\s*:\\s*"([0-9a-fA-F]{128})"\\s*\\}\\s*$`,
  ).exec(text);
  if (!m) throw new AttestationError("FETCH_FAILED", `${url}: unexpected response layout`);
  return { body: m[1]!, signature: m[2]!.toLowerCase() };
}

/** Fetches TCB info, QE identity, PCK CRL and root CA CRL for one platform, as a collateral bundle. */
export async function fetchDcapCollateral(
  query: { tee: "sgx" | "tdx"; fmspc: string; ca: "processor" | "platform" },
  options: FetchOptions = {},
): Promise<CollateralBundle> {
  if (!/^[0-9a-fA-F]{12}$/.test(query.fmspc))
    throw new AttestationError("INVALID_ARGUMENT", "FMSPC must be 12 hex digits");
  const base = (options.pcsBaseUrl ?? DEFAULTS.pcsBaseUrl).replace(/\/+$/, "");
  const tcbUrl = `${base}/${query.tee}/certification/v4/tcb?fmspc=${query.fmspc.toUpperCase()}`;
  const qeUrl = `${base}/${query.tee}/certification/v4/qe/identity`;
  const crlUrl = `${base}/sgx/certification/v4/pckcrl?ca=${query.ca}&encoding=der`;
  const rootUrl = options.rootCrlUrl ?? DEFAULTS.rootCrlUrl;
  const [tcb, qe, crl, root] = await Promise.all([
    get(tcbUrl, options),
    get(qeUrl, options),
    get(crlUrl, options),
    get(rootUrl, options),
  ]);
  const tcbInfo = signedBody(tcb.body.toString("utf8"), "tcbInfo", tcbUrl);
  const qeIdentity = signedBody(qe.body.toString("utf8"), "enclaveIdentity", qeUrl);
  // A PCCS may return the root CRL as hex text rather than DER.
  const rootText = root.body.toString("latin1").trim();
  const rootCrl = /^(?:[0-9a-fA-F]{2})+$/.test(rootText) ? rootText.toLowerCase() : root.body.toString("hex");
  return {
    tcb_info: tcbInfo.body,
    tcb_info_signature: tcbInfo.signature,
    tcb_info_issuer_chain: issuerChain(tcb, ["TCB-Info-Issuer-Chain", "SGX-TCB-Info-Issuer-Chain"], tcbUrl),
    qe_identity: qeIdentity.body,
    qe_identity_signature: qeIdentity.signature,
    qe_identity_issuer_chain: issuerChain(qe, ["SGX-Enclave-Identity-Issuer-Chain"], qeUrl),
    pck_crl: crl.body.toString("hex"),
    pck_crl_issuer_chain: issuerChain(crl, ["SGX-PCK-CRL-Issuer-Chain"], crlUrl),
    root_ca_crl: rootCrl,
  };
}

/** Fetches the VCEK for a chip at a TCB, the ASK/ARK chain and the CRL from AMD KDS. */
export async function fetchSnpCollateral(
  query: { product: SnpProduct; chipId: string; reportedTcb: SnpTcb },
  options: FetchOptions = {},
): Promise<SnpCollateral> {
  if (!/^(?:[0-9a-fA-F]{2}){8,64}$/.test(query.chipId))
    throw new AttestationError("INVALID_ARGUMENT", "chip id must be hex");
  const base = `${(options.kdsBaseUrl ?? DEFAULTS.kdsBaseUrl).replace(/\/+$/, "")}/vcek/v1/${query.product}`;
  const t = query.reportedTcb;
  const hwid = query.product === "Turin" ? query.chipId.slice(0, 16) : query.chipId;
  const params = new URLSearchParams({
    blSPL: String(t.bootloader),
    teeSPL: String(t.tee),
    snpSPL: String(t.snp),
    ucodeSPL: String(t.microcode),
  });
  if (query.product === "Turin") params.set("fmcSPL", String(t.fmc ?? 0));
  const [vcek, chain, crl] = await Promise.all([
    get(`${base}/${hwid.toLowerCase()}?${params.toString()}`, options),
    get(`${base}/cert_chain`, options),
    get(`${base}/crl`, options),
  ]);
  const [ask, ark] = splitPem(chain.body.toString("latin1"), "AMD cert_chain");
  if (!ask || !ark)
    throw new AttestationError("FETCH_FAILED", "AMD KDS cert_chain did not hold the ASK and the ARK");
  return { vcek: vcek.body, ask, ark, crl: crl.body };
}
