// The wire contracts: Teaclave-compatible public API and MesaTEE's internal services.
// Generated code lives in ./gen (never edited by hand; `npm run generate` rewrites it).
export * as common from "./gen/teaclave_common_pb.js";
export * as authentication from "./gen/teaclave_authentication_service_pb.js";
export * as frontend from "./gen/teaclave_frontend_service_pb.js";
export * as scheduler from "./gen/mesatee_scheduler_pb.js";
export * as audit from "./gen/mesatee_audit_pb.js";
export * as functions from "./gen/mesatee_functions_pb.js";
export * as auditLog from "./gen/mesatee_audit_log_pb.js";
