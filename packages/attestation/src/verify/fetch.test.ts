import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { once } from "node:events";
import { AttestationError } from "../errors.js";
import type { CollateralBundle } from "./collateral.js";
import { verifyQuote } from "./dcap.js";
import { fetchDcapCollateral } from "./fetch.js";
import { readVector, VECTORS } from "./testing/vectors.js";

const bundle = JSON.parse(readVector(VECTORS.sgx.collateral).toString("utf8")) as Required<CollateralBundle>;

/** A local stand-in for Intel PCS v4 serving the SGX vector's collateral. */
async function pcs(
  handler?: (req: IncomingMessage, res: ServerResponse) => boolean,
): Promise<{ url: string; close(): Promise<void>; paths: string[] }> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? "");
    if (handler?.(req, res)) return;
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/sgx/certification/v4/tcb" && url.searchParams.get("fmspc") === "00A067110000") {
      res.setHeader("TCB-Info-Issuer-Chain", encodeURIComponent(bundle.tcb_info_issuer_chain));
      res.end(`{"tcbInfo":${bundle.tcb_info},"signature":"${bundle.tcb_info_signature as string}"}`);
    } else if (url.pathname === "/sgx/certification/v4/qe/identity") {
      res.setHeader("SGX-Enclave-Identity-Issuer-Chain", encodeURIComponent(bundle.qe_identity_issuer_chain));
      res.end(
        `{"enclaveIdentity":${bundle.qe_identity},"signature":"${bundle.qe_identity_signature as string}"}`,
      );
    } else if (
      url.pathname === "/sgx/certification/v4/pckcrl" &&
      url.searchParams.get("ca") === "processor"
    ) {
      res.setHeader("SGX-PCK-CRL-Issuer-Chain", encodeURIComponent(bundle.pck_crl_issuer_chain));
      res.end(Buffer.from(bundle.pck_crl as string, "hex"));
    } else if (url.pathname === "/IntelSGXRootCA.der") {
      res.end(Buffer.from(bundle.root_ca_crl as string, "hex"));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    paths,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

test("collateral fetched from a PCS-compatible service verifies like the cached bundle", async () => {
  const server = await pcs();
  try {
    const fetched = await fetchDcapCollateral(
      { tee: "sgx", fmspc: "00a067110000", ca: "processor" },
      { pcsBaseUrl: server.url, rootCrlUrl: `${server.url}/IntelSGXRootCA.der` },
    );
    assert.equal(fetched.tcb_info, bundle.tcb_info);
    const v = verifyQuote(readVector(VECTORS.sgx.quote), { now: VECTORS.sgx.now, collateral: fetched });
    assert.equal(v.tcb?.status, VECTORS.sgx.status);
    assert.ok(server.paths.includes("/sgx/certification/v4/pckcrl?ca=processor&encoding=der"));
  } finally {
    await server.close();
  }
});

test("a missing resource or a service that does not answer in time is FETCH_FAILED", async () => {
  const server = await pcs((req) => req.url === "/sgx/certification/v4/qe/identity");
  try {
    await assert.rejects(
      fetchDcapCollateral(
        { tee: "sgx", fmspc: "00a067110000", ca: "processor" },
        { pcsBaseUrl: server.url, rootCrlUrl: `${server.url}/IntelSGXRootCA.der`, timeoutMs: 150 },
      ),
      (e: unknown) =>
        e instanceof AttestationError && e.code === "FETCH_FAILED" && /timed out/.test(e.message),
    );
    await assert.rejects(
      fetchDcapCollateral(
        { tee: "tdx", fmspc: "00a067110000", ca: "processor" },
        { pcsBaseUrl: server.url, rootCrlUrl: `${server.url}/IntelSGXRootCA.der`, timeoutMs: 150 },
      ),
      (e: unknown) => e instanceof AttestationError && e.code === "FETCH_FAILED",
    );
  } finally {
    await server.close();
  }
  await assert.rejects(
    fetchDcapCollateral({ tee: "sgx", fmspc: "xyz", ca: "processor" }),
    (e: unknown) => e instanceof AttestationError && e.code === "INVALID_ARGUMENT",
  );
});
