// @mesatee/sdk: the client library.
export {
  MesateeClient,
  type ClientOptions,
  type Credential,
  type AuthenticationClient,
  type FrontendClient,
  type FunctionsClient,
  type AuditLogClient,
} from "./client.js";
export { MesateeError, ERROR_CODE_HEADER } from "./errors.js";
export {
  FileHelpers,
  MAX_FILE_BYTES,
  type DownloadOutputOptions,
  type OwnedFile,
  type UploadInputOptions,
} from "./files.js";
export { authentication, frontend, common, functions, auditLog } from "@mesatee/protocol";
export { loadSignedPolicyDir, type Policy, type RaTlsPeer } from "@mesatee/attestation";
