// The public wire contract, written down independently of the .proto files (spec/teaclave-compat.md
// §2.1–§2.3): package, message, field number and type; enum values; services and their methods. A
// client generated from our .proto files only proves that both ends agree with each other; comparing
// what the generated code describes against this table proves they still agree with Teaclave's clients.
import { ScalarType, type DescField, type DescFile, type DescMessage } from "@bufbuild/protobuf";
import { authentication, common, frontend } from "@mesatee/protocol";

/** A contract as text: `[repeated ]<type> <name>=<number>` per field, `<Name>=<number>` per enum value,
 * `<Method>(<input>) <output>` per method, everything keyed by full name. */
export interface ContractDescription {
  readonly messages: Readonly<Record<string, readonly string[]>>;
  readonly enums: Readonly<Record<string, readonly string[]>>;
  readonly services: Readonly<Record<string, readonly string[]>>;
}

const C = "teaclave_common_proto.";
const A = "teaclave_authentication_service_proto.";
const F = "teaclave_frontend_service_proto.";
const EMPTY = "google.protobuf.Empty";

const one = (field: string) => [`string ${field}=1`];

export const TEACLAVE_CONTRACT: ContractDescription = {
  messages: {
    // §2.1
    [`${C}UserCredential`]: ["string id=1", "string token=2"],
    [`${C}FileCryptoInfo`]: ["string schema=1", "bytes key=2", "bytes iv=3"],
    [`${C}TaskOutputs`]: ["bytes return_value=1", "map<string,bytes> tags_map=2", "repeated string log=3"],
    [`${C}TaskFailure`]: ["string reason=1"],
    [`${C}TaskResult`]: [`${C}TaskOutputs Ok=1`, `${C}TaskFailure Err=2`],
    [`${C}Entry`]: [
      "int64 microsecond=1",
      "bytes ip=2",
      "string user=3",
      "string message=4",
      "bool result=5",
    ],
    // §2.2
    [`${A}UserRegisterRequest`]: ["string id=1", "string password=2", "string role=3", "string attribute=4"],
    [`${A}UserUpdateRequest`]: ["string id=1", "string password=2", "string role=3", "string attribute=4"],
    [`${A}UserLoginRequest`]: ["string id=1", "string password=2"],
    [`${A}UserLoginResponse`]: one("token"),
    [`${A}UserAuthenticateRequest`]: [`${C}UserCredential credential=1`],
    [`${A}UserAuthClaims`]: ["string sub=1", "string role=2", "string iss=3", "uint64 exp=4"],
    [`${A}UserAuthenticateResponse`]: [`${A}UserAuthClaims claims=1`],
    [`${A}ListUsersRequest`]: one("id"),
    [`${A}ListUsersResponse`]: ["repeated string ids=1"],
    [`${A}ResetUserPasswordRequest`]: one("id"),
    [`${A}ResetUserPasswordResponse`]: one("password"),
    [`${A}UserChangePasswordRequest`]: one("password"),
    [`${A}DeleteUserRequest`]: one("id"),
    // §2.3
    [`${F}RegisterInputFileRequest`]: ["string url=1", "bytes cmac=2", `${C}FileCryptoInfo crypto_info=3`],
    [`${F}RegisterInputFileResponse`]: one("data_id"),
    [`${F}UpdateInputFileRequest`]: ["string data_id=1", "string url=2"],
    [`${F}UpdateInputFileResponse`]: one("data_id"),
    [`${F}RegisterOutputFileRequest`]: ["string url=1", `${C}FileCryptoInfo crypto_info=2`],
    [`${F}RegisterOutputFileResponse`]: one("data_id"),
    [`${F}UpdateOutputFileRequest`]: ["string data_id=1", "string url=2"],
    [`${F}UpdateOutputFileResponse`]: one("data_id"),
    [`${F}RegisterFusionOutputRequest`]: ["repeated string owner_list=1"],
    [`${F}RegisterFusionOutputResponse`]: one("data_id"),
    [`${F}RegisterInputFromOutputRequest`]: one("data_id"),
    [`${F}RegisterInputFromOutputResponse`]: one("data_id"),
    [`${F}GetOutputFileRequest`]: one("data_id"),
    [`${F}GetOutputFileResponse`]: ["repeated string owner=1", "bytes cmac=2"],
    [`${F}GetInputFileRequest`]: one("data_id"),
    [`${F}GetInputFileResponse`]: ["repeated string owner=1", "bytes cmac=2"],
    [`${F}FunctionInput`]: ["string name=1", "string description=2", "bool optional=3"],
    [`${F}FunctionOutput`]: ["string name=1", "string description=2", "bool optional=3"],
    [`${F}FunctionArgument`]: ["string key=1", "string default_value=2", "bool allow_overwrite=3"],
    [`${F}OwnerList`]: ["string data_name=1", "repeated string uids=2"],
    [`${F}RegisterFunctionRequest`]: [
      "string name=1",
      "string description=2",
      "string executor_type=3",
      "bool public=4",
      "bytes payload=5",
      `repeated ${F}FunctionArgument arguments=6`,
      `repeated ${F}FunctionInput inputs=10`,
      `repeated ${F}FunctionOutput outputs=11`,
      "repeated string user_allowlist=12",
      "int32 usage_quota=13",
    ],
    [`${F}RegisterFunctionResponse`]: one("function_id"),
    [`${F}UpdateFunctionRequest`]: [
      "string function_id=1",
      "string name=2",
      "string description=3",
      "string executor_type=4",
      "bool public=5",
      "bytes payload=6",
      `repeated ${F}FunctionArgument arguments=7`,
      `repeated ${F}FunctionInput inputs=10`,
      `repeated ${F}FunctionOutput outputs=11`,
      "repeated string user_allowlist=12",
      "int32 usage_quota=13",
    ],
    [`${F}UpdateFunctionResponse`]: one("function_id"),
    [`${F}GetFunctionRequest`]: one("function_id"),
    [`${F}GetFunctionResponse`]: [
      "string name=1",
      "string description=2",
      "string executor_type=3",
      "string owner=4",
      "bytes payload=5",
      "bool public=6",
      `repeated ${F}FunctionArgument arguments=7`,
      `repeated ${F}FunctionInput inputs=10`,
      `repeated ${F}FunctionOutput outputs=11`,
      "repeated string user_allowlist=12",
    ],
    [`${F}GetFunctionUsageStatsRequest`]: one("function_id"),
    [`${F}GetFunctionUsageStatsResponse`]: ["int32 function_quota=1", "int32 current_usage=2"],
    [`${F}DeleteFunctionRequest`]: one("function_id"),
    [`${F}DisableFunctionRequest`]: one("function_id"),
    [`${F}ListFunctionsRequest`]: one("user_id"),
    [`${F}ListFunctionsResponse`]: [
      "repeated string registered_functions=1",
      "repeated string allowed_functions=2",
    ],
    [`${F}DataMap`]: ["string data_name=1", "string data_id=2"],
    [`${F}CreateTaskRequest`]: [
      "string function_id=1",
      "string function_arguments=2",
      "string executor=3",
      `repeated ${F}OwnerList inputs_ownership=10`,
      `repeated ${F}OwnerList outputs_ownership=11`,
    ],
    [`${F}CreateTaskResponse`]: one("task_id"),
    [`${F}GetTaskRequest`]: one("task_id"),
    [`${F}GetTaskResponse`]: [
      "string task_id=1",
      "string creator=2",
      "string function_id=3",
      "string function_owner=4",
      "string function_arguments=5",
      `repeated ${F}OwnerList inputs_ownership=6`,
      `repeated ${F}OwnerList outputs_ownership=7`,
      "repeated string participants=8",
      "repeated string approved_users=9",
      `repeated ${F}DataMap assigned_inputs=10`,
      `repeated ${F}DataMap assigned_outputs=11`,
      `${C}TaskStatus status=20`,
      `${C}TaskResult result=21`,
    ],
    [`${F}AssignDataRequest`]: [
      "string task_id=1",
      `repeated ${F}DataMap inputs=2`,
      `repeated ${F}DataMap outputs=3`,
    ],
    [`${F}ApproveTaskRequest`]: one("task_id"),
    [`${F}InvokeTaskRequest`]: one("task_id"),
    [`${F}CancelTaskRequest`]: one("task_id"),
    [`${F}QueryAuditLogsRequest`]: ["string query=1", "uint64 limit=2"],
    [`${F}QueryAuditLogsResponse`]: [`repeated ${C}Entry logs=1`],
  },
  enums: {
    [`${C}TaskStatus`]: [
      "Created=0",
      "DataAssigned=1",
      "Approved=2",
      "Staged=3",
      "Running=4",
      "Finished=10",
      "Canceled=20",
      "Failed=99",
    ],
    [`${C}ExecutorStatus`]: ["Idle=0", "Executing=1"],
    [`${C}ExecutorCommand`]: ["NoAction=0", "Stop=1", "NewTask=2"],
  },
  services: {
    [`${A}TeaclaveAuthenticationApi`]: [
      `UserRegister(${A}UserRegisterRequest) ${EMPTY}`,
      `UserUpdate(${A}UserUpdateRequest) ${EMPTY}`,
      `UserLogin(${A}UserLoginRequest) ${A}UserLoginResponse`,
      `UserChangePassword(${A}UserChangePasswordRequest) ${EMPTY}`,
      `ResetUserPassword(${A}ResetUserPasswordRequest) ${A}ResetUserPasswordResponse`,
      `DeleteUser(${A}DeleteUserRequest) ${EMPTY}`,
      `ListUsers(${A}ListUsersRequest) ${A}ListUsersResponse`,
    ],
    [`${A}TeaclaveAuthenticationInternal`]: [
      `UserAuthenticate(${A}UserAuthenticateRequest) ${A}UserAuthenticateResponse`,
    ],
    [`${F}TeaclaveFrontend`]: [
      ...[
        "RegisterInputFile",
        "RegisterOutputFile",
        "UpdateInputFile",
        "UpdateOutputFile",
        "RegisterFusionOutput",
        "RegisterInputFromOutput",
        "GetOutputFile",
        "GetInputFile",
        "RegisterFunction",
        "GetFunction",
        "GetFunctionUsageStats",
        "UpdateFunction",
        "ListFunctions",
        "CreateTask",
        "GetTask",
      ].map((rpc) => `${rpc}(${F}${rpc}Request) ${F}${rpc}Response`),
      ...["DeleteFunction", "DisableFunction", "AssignData", "ApproveTask", "InvokeTask", "CancelTask"].map(
        (rpc) => `${rpc}(${F}${rpc}Request) ${EMPTY}`,
      ),
      `QueryAuditLogs(${F}QueryAuditLogsRequest) ${F}QueryAuditLogsResponse`,
    ],
  },
};

function scalarName(t: ScalarType): string {
  return ScalarType[t].toLowerCase();
}

function fieldText(f: DescField): string {
  let type: string;
  switch (f.fieldKind) {
    case "scalar":
      type = scalarName(f.scalar);
      break;
    case "enum":
      type = f.enum.typeName;
      break;
    case "message":
      type = f.message.typeName;
      break;
    case "list":
      type = `repeated ${f.listKind === "scalar" ? scalarName(f.scalar) : f.listKind === "enum" ? f.enum.typeName : f.message.typeName}`;
      break;
    case "map":
      type = `map<${scalarName(f.mapKey)},${f.mapKind === "scalar" ? scalarName(f.scalar) : f.mapKind === "enum" ? f.enum.typeName : f.message.typeName}>`;
      break;
  }
  return `${type} ${f.name}=${f.number}`;
}

/** The contract as the TypeScript code generated into @mesatee/protocol describes it. */
export function describeGenerated(): ContractDescription {
  const messages: Record<string, string[]> = {};
  const enums: Record<string, string[]> = {};
  const services: Record<string, string[]> = {};
  const addMessage = (m: DescMessage) => {
    messages[m.typeName] = [...m.fields].sort((a, b) => a.number - b.number).map(fieldText);
    m.nestedMessages.forEach(addMessage);
  };
  const files: DescFile[] = [
    common.file_teaclave_common,
    authentication.file_teaclave_authentication_service,
    frontend.file_teaclave_frontend_service,
  ];
  for (const file of files) {
    file.messages.forEach(addMessage);
    for (const e of file.enums) enums[e.typeName] = e.values.map((v) => `${v.name}=${v.number}`);
    for (const s of file.services)
      services[s.typeName] = s.methods.map((m) => `${m.name}(${m.input.typeName}) ${m.output.typeName}`);
  }
  return { messages, enums, services };
}

/** Every way `actual` departs from `expected`, one line each (empty when they agree). Method order
 * does not matter on the wire; field and enum order is by number already. */
export function contractDifferences(actual: ContractDescription, expected: ContractDescription): string[] {
  const out: string[] = [];
  for (const kind of ["messages", "enums", "services"] as const) {
    const a = actual[kind];
    const e = expected[kind];
    for (const name of new Set([...Object.keys(a), ...Object.keys(e)])) {
      const norm = (list: readonly string[] | undefined) =>
        list === undefined ? undefined : JSON.stringify(kind === "services" ? [...list].sort() : list);
      const got = norm(a[name]);
      const want = norm(e[name]);
      if (got !== want) out.push(`${kind} ${name}: expected ${want ?? "nothing"}, got ${got ?? "nothing"}`);
    }
  }
  return out;
}
