// The per-deployment simulation material, generated once into a directory the caller names and
// reused afterwards: the Simulation Root CA (key + certificate), the deployment's signing key
// (MRSIGNER) and the local sealing secret.

import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  X509Certificate,
  type KeyObject,
} from "node:crypto";
import { join } from "node:path";
import { BackendError } from "../errors.js";
import { readOrCreate } from "../files.js";
import { fromPem, toPem } from "../../ratls/x509.js";
import { createSimulationRoot, type CertifiedKey } from "./pki.js";

export const SIMULATION_FILES = {
  /** Private: the root's PKCS#8 key followed by its certificate. */
  root: "simulation-root.pem",
  /** Public: the root certificate alone, for policies and clients to pin. */
  rootCert: "simulation-root.cert.pem",
  signer: "simulation-signer.key.pem",
  sealing: "simulation-sealing.key",
} as const;

export interface SimulationDeployment {
  root: CertifiedKey;
  /** SHA-256 of the root certificate's DER: what a policy's simulationRootSha256 pins. */
  rootSha256: string;
  signerPublicKey: KeyObject;
  sealingSecret: Buffer;
}

function parseRoot(pem: Buffer, path: string): CertifiedKey {
  const text = pem.toString("ascii");
  const [keyDer] = fromPem(text, "PRIVATE KEY");
  const [certDer] = fromPem(text, "CERTIFICATE");
  if (keyDer === undefined || certDer === undefined) {
    throw new BackendError("KEY_FILE_INVALID", `${path} must hold a PRIVATE KEY and a CERTIFICATE`);
  }
  try {
    const privateKey = createPrivateKey({ key: keyDer, format: "der", type: "pkcs8" });
    const publicKey = createPublicKey(privateKey);
    if (!new X509Certificate(certDer).checkPrivateKey(privateKey)) throw new Error("key does not match");
    return { privateKey, publicKey, certDer };
  } catch (err) {
    throw new BackendError("KEY_FILE_INVALID", `${path} holds an unusable root key or certificate`, {
      cause: err,
    });
  }
}

/** Loads the deployment's simulation material from `dir`, creating whatever is missing. */
export async function loadSimulationDeployment(
  dir: string,
  now: Date = new Date(),
): Promise<SimulationDeployment> {
  const rootPath = join(dir, SIMULATION_FILES.root);
  const root = parseRoot(
    await readOrCreate(rootPath, () => {
      const created = createSimulationRoot(now);
      const keyPem = created.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
      return Buffer.from(keyPem + toPem(created.certDer), "ascii");
    }),
    rootPath,
  );
  await readOrCreate(
    join(dir, SIMULATION_FILES.rootCert),
    () => Buffer.from(toPem(root.certDer), "ascii"),
    0o644,
  );

  const signerPath = join(dir, SIMULATION_FILES.signer);
  const signerPem = await readOrCreate(signerPath, () =>
    Buffer.from(
      generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
        type: "pkcs8",
        format: "pem",
      }) as string,
    ),
  );
  let signerPublicKey: KeyObject;
  try {
    signerPublicKey = createPublicKey(createPrivateKey(signerPem));
  } catch (err) {
    throw new BackendError("KEY_FILE_INVALID", `${signerPath} is not a private key`, { cause: err });
  }

  const sealingPath = join(dir, SIMULATION_FILES.sealing);
  const sealingSecret = await readOrCreate(sealingPath, () => randomBytes(32));
  if (sealingSecret.length !== 32)
    throw new BackendError("KEY_FILE_INVALID", `${sealingPath} must hold 32 bytes`);

  return {
    root,
    rootSha256: createHash("sha256").update(root.certDer).digest("hex"),
    signerPublicKey,
    sealingSecret,
  };
}
