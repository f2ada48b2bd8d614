// The file agent's public API: the execution worker imports from here only.
export { FileAgent, type TransferResult } from "./agent.js";
export { FileAgentError, type FileAgentErrorCode } from "./errors.js";
export { DEFAULTS as FILE_AGENT_DEFAULTS, type FileAgentOptions } from "./options.js";
export { DEFAULT_BLOCKED_NETWORKS } from "./networks.js";
export { redactUrl } from "./redact.js";
