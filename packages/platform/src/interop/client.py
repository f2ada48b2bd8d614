"""A Teaclave-style client written against the wire contract only: grpcio plus stubs generated from the
.proto files. It drives one user journey over TLS and prints one JSON object with what it observed; the
Node test (python-client.test.ts) asserts every value.

Usage: client.py --stubs DIR --authentication HOST:PORT --frontend HOST:PORT
                 --admin-id ID --admin-password PASSWORD [--server-name NAME]

The endpoints present RA-TLS certificates (fresh keys, self-signed). Like Teaclave's client, this one
takes the certificate the server presents and trusts it for the channel; checking the attestation it
carries is the attestation package's Teaclave client test, not this wire test.

Exit status 0 means the journey ran to the end (the observations may still be wrong: the test decides);
anything unexpected raises, which prints a traceback and exits non-zero.
"""

import argparse
import json
import ssl
import sys

import grpc


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--stubs", required=True, help="directory with the generated *_pb2 modules")
    p.add_argument("--authentication", required=True, help="HOST:PORT of the authentication API")
    p.add_argument("--frontend", required=True, help="HOST:PORT of the frontend API")
    p.add_argument("--admin-id", required=True)
    p.add_argument("--admin-password", required=True)
    p.add_argument("--server-name", default="localhost", help="TLS name to check instead of the target host")
    return p.parse_args()


ARGS = parse_args()
sys.path.insert(0, ARGS.stubs)

import teaclave_authentication_service_pb2 as auth_pb2  # noqa: E402
import teaclave_authentication_service_pb2_grpc as auth_grpc  # noqa: E402
import teaclave_common_pb2 as common_pb2  # noqa: E402
import teaclave_frontend_service_pb2 as fe_pb2  # noqa: E402
import teaclave_frontend_service_pb2_grpc as fe_grpc  # noqa: E402
from google.protobuf import descriptor as _descriptor  # noqa: E402

USER_PASSWORD = "py-user-password"
GROUP = "py_bank"
FUNCTION_OWNER = "py_function_owner"
DATA_OWNER = "py_data_owner"
DATA_OWNER_2 = "py_data_owner_2"
CMAC = bytes(range(16))
KEY = bytes([7]) * 16
IV = bytes([1]) * 12


def channel(target):
    host, port = target.rsplit(":", 1)
    presented = ssl.get_server_certificate((host.strip("[]"), int(port)))
    creds = grpc.ssl_channel_credentials(root_certificates=presented.encode())
    options = [("grpc.ssl_target_name_override", ARGS.server_name)] if ARGS.server_name else []
    return grpc.secure_channel(target, creds, options=options)


def metadata(cred):
    return (("id", cred[0]), ("token", cred[1]))


def forge(token):
    """The token with one character of its signature changed (not the last one, whose low bits may be
    padding that decoders ignore)."""
    i = len(token) - 10
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]


def rpc_error(call):
    """Runs a call that must fail and returns how it failed."""
    try:
        call()
    except grpc.RpcError as e:
        trailers = dict(e.trailing_metadata() or ())
        return {"code": e.code().name, "details": e.details(), "errorCode": trailers.get("mesatee-error-code")}
    return {"code": "OK", "details": None, "errorCode": None}


SCALAR = {
    _descriptor.FieldDescriptor.TYPE_STRING: "string",
    _descriptor.FieldDescriptor.TYPE_BYTES: "bytes",
    _descriptor.FieldDescriptor.TYPE_BOOL: "bool",
    _descriptor.FieldDescriptor.TYPE_INT32: "int32",
    _descriptor.FieldDescriptor.TYPE_INT64: "int64",
    _descriptor.FieldDescriptor.TYPE_UINT32: "uint32",
    _descriptor.FieldDescriptor.TYPE_UINT64: "uint64",
}


def field_type(f):
    if f.type == _descriptor.FieldDescriptor.TYPE_MESSAGE:
        if f.message_type.GetOptions().map_entry:
            k, v = f.message_type.fields_by_name["key"], f.message_type.fields_by_name["value"]
            return "map<%s,%s>" % (field_type(k), field_type(v))
        return f.message_type.full_name
    if f.type == _descriptor.FieldDescriptor.TYPE_ENUM:
        return f.enum_type.full_name
    return SCALAR.get(f.type, "type%d" % f.type)


def describe(module):
    """The contract as these stubs see it: every message's fields and every enum's values, every
    service's methods with their types. The test compares it with the pinned contract."""
    fd = module.DESCRIPTOR
    out = {"messages": {}, "enums": {}, "services": {}}

    def message(m):
        if m.GetOptions().map_entry:
            return
        fields = []
        for f in sorted(m.fields, key=lambda f: f.number):
            repeated = f.label == _descriptor.FieldDescriptor.LABEL_REPEATED and not field_type(f).startswith("map<")
            fields.append("%s%s %s=%d" % ("repeated " if repeated else "", field_type(f), f.name, f.number))
        out["messages"][m.full_name] = fields
        for nested in m.nested_types:
            message(nested)

    for m in fd.message_types_by_name.values():
        message(m)
    for e in fd.enum_types_by_name.values():
        out["enums"][e.full_name] = ["%s=%d" % (v.name, v.number) for v in e.values]
    for s in fd.services_by_name.values():
        out["services"][s.full_name] = [
            "%s(%s) %s" % (m.name, m.input_type.full_name, m.output_type.full_name) for m in s.methods
        ]
    return out


def main():
    obs = {}
    contract = {"messages": {}, "enums": {}, "services": {}}
    for module in (common_pb2, auth_pb2, fe_pb2):
        for k, v in describe(module).items():
            contract[k].update(v)
    obs["contract"] = contract

    auth_channel = channel(ARGS.authentication)
    fe_channel = channel(ARGS.frontend)
    auth = auth_grpc.TeaclaveAuthenticationApiStub(auth_channel)
    fe = fe_grpc.TeaclaveFrontendStub(fe_channel)

    def login(user_id, password):
        return (user_id, auth.UserLogin(auth_pb2.UserLoginRequest(id=user_id, password=password)).token)

    # Admin, over TLS with the pinned certificate.
    admin = login(ARGS.admin_id, ARGS.admin_password)
    obs["adminToken"] = admin[1]

    # A FunctionOwner, registered by the admin with id/token metadata.
    auth.UserRegister(
        auth_pb2.UserRegisterRequest(id=FUNCTION_OWNER, password=USER_PASSWORD, role="FunctionOwner", attribute=""),
        metadata=metadata(admin),
    )
    fo = login(FUNCTION_OWNER, USER_PASSWORD)
    obs["functionOwner"] = {"id": fo[0], "token": fo[1]}

    registered = fe.RegisterFunction(
        fe_pb2.RegisterFunctionRequest(
            name="py-interop-function",
            description="registered by the Python client",
            executor_type="builtin",
            public=True,
            payload=b"\x00\x01payload\xff",
            arguments=[
                fe_pb2.FunctionArgument(key="order", default_value="ascending", allow_overwrite=True),
                fe_pb2.FunctionArgument(key="limit", default_value="10", allow_overwrite=False),
            ],
            inputs=[fe_pb2.FunctionInput(name="input_data", description="the input", optional=False)],
            outputs=[
                fe_pb2.FunctionOutput(name="output_result", description="the result", optional=False),
                fe_pb2.FunctionOutput(name="output_extra", description="may be absent", optional=True),
            ],
            usage_quota=7,
        ),
        metadata=metadata(fo),
    )
    function_id = registered.function_id
    fn = fe.GetFunction(fe_pb2.GetFunctionRequest(function_id=function_id), metadata=metadata(fo))
    obs["function"] = {
        "id": function_id,
        "name": fn.name,
        "description": fn.description,
        "executorType": fn.executor_type,
        "owner": fn.owner,
        "public": fn.public,
        "payloadHex": fn.payload.hex(),
        "arguments": [[a.key, a.default_value, a.allow_overwrite] for a in fn.arguments],
        "inputs": [[i.name, i.description, i.optional] for i in fn.inputs],
        "outputs": [[o.name, o.description, o.optional] for o in fn.outputs],
    }
    stats = fe.GetFunctionUsageStats(
        fe_pb2.GetFunctionUsageStatsRequest(function_id=function_id), metadata=metadata(admin)
    )
    obs["functionUsage"] = {"quota": stats.function_quota, "usage": stats.current_usage}

    # Two DataOwners of one group, registered by the admin.
    for user_id in (DATA_OWNER, DATA_OWNER_2):
        auth.UserRegister(
            auth_pb2.UserRegisterRequest(id=user_id, password=USER_PASSWORD, role="DataOwner", attribute=GROUP),
            metadata=metadata(admin),
        )
    do = login(DATA_OWNER, USER_PASSWORD)
    obs["listUsers"] = list(auth.ListUsers(auth_pb2.ListUsersRequest(id=""), metadata=metadata(admin)).ids)

    crypto = common_pb2.FileCryptoInfo(schema="aes-gcm-128", key=KEY, iv=IV)
    input_id = fe.RegisterInputFile(
        fe_pb2.RegisterInputFileRequest(url="https://example.com/py/input.enc", cmac=CMAC, crypto_info=crypto),
        metadata=metadata(do),
    ).data_id
    output_id = fe.RegisterOutputFile(
        fe_pb2.RegisterOutputFileRequest(url="https://example.com/py/output.enc", crypto_info=crypto),
        metadata=metadata(do),
    ).data_id
    got_input = fe.GetInputFile(fe_pb2.GetInputFileRequest(data_id=input_id), metadata=metadata(do))
    got_output = fe.GetOutputFile(fe_pb2.GetOutputFileRequest(data_id=output_id), metadata=metadata(do))
    obs["inputFile"] = {"id": input_id, "owner": list(got_input.owner), "cmacHex": got_input.cmac.hex()}
    obs["outputFile"] = {"id": output_id, "owner": list(got_output.owner), "cmacHex": got_output.cmac.hex()}

    task_id = fe.CreateTask(
        fe_pb2.CreateTaskRequest(
            function_id=function_id,
            function_arguments=json.dumps({"order": "descending"}),
            executor="builtin",
            inputs_ownership=[fe_pb2.OwnerList(data_name="input_data", uids=[DATA_OWNER])],
            outputs_ownership=[fe_pb2.OwnerList(data_name="output_result", uids=[DATA_OWNER])],
        ),
        metadata=metadata(do),
    ).task_id

    def task_view():
        t = fe.GetTask(fe_pb2.GetTaskRequest(task_id=task_id), metadata=metadata(do))
        return {
            "taskId": t.task_id,
            "creator": t.creator,
            "functionId": t.function_id,
            "functionOwner": t.function_owner,
            "functionArguments": json.loads(t.function_arguments),
            "inputsOwnership": [[o.data_name, list(o.uids)] for o in t.inputs_ownership],
            "outputsOwnership": [[o.data_name, list(o.uids)] for o in t.outputs_ownership],
            "participants": list(t.participants),
            "approvedUsers": list(t.approved_users),
            "assignedInputs": [[d.data_name, d.data_id] for d in t.assigned_inputs],
            "assignedOutputs": [[d.data_name, d.data_id] for d in t.assigned_outputs],
            "status": t.status,
            "statusName": common_pb2.TaskStatus.Name(t.status),
            "result": t.result.WhichOneof("result"),
        }

    obs["taskCreated"] = task_view()
    fe.AssignData(
        fe_pb2.AssignDataRequest(
            task_id=task_id,
            inputs=[fe_pb2.DataMap(data_name="input_data", data_id=input_id)],
            outputs=[fe_pb2.DataMap(data_name="output_result", data_id=output_id)],
        ),
        metadata=metadata(do),
    )
    obs["taskAssigned"] = task_view()

    # Refusals: the wrong role for an API, a forged token, another user's token, a missing token, a
    # non-participant, an id of the wrong kind, a bad password, a user registration above one's role.
    obs["errors"] = {
        "dataOwnerRegistersFunction": rpc_error(
            lambda: fe.RegisterFunction(fe_pb2.RegisterFunctionRequest(name="nope", executor_type="builtin"),
                                        metadata=metadata(do))
        ),
        "forgedToken": rpc_error(
            lambda: fe.GetTask(fe_pb2.GetTaskRequest(task_id=task_id), metadata=metadata((DATA_OWNER, forge(do[1]))))
        ),
        "stolenToken": rpc_error(
            lambda: fe.GetTask(fe_pb2.GetTaskRequest(task_id=task_id), metadata=metadata((DATA_OWNER, fo[1])))
        ),
        "missingToken": rpc_error(
            lambda: fe.GetTask(fe_pb2.GetTaskRequest(task_id=task_id), metadata=(("id", DATA_OWNER),))
        ),
        "otherDataOwnerReadsTask": rpc_error(
            lambda: fe.GetTask(fe_pb2.GetTaskRequest(task_id=task_id), metadata=metadata(login(DATA_OWNER_2, USER_PASSWORD)))
        ),
        "wrongIdPrefix": rpc_error(
            lambda: fe.GetTask(fe_pb2.GetTaskRequest(task_id=function_id), metadata=metadata(do))
        ),
        "wrongPassword": rpc_error(lambda: login(DATA_OWNER, "not-the-password")),
        "dataOwnerRegistersUser": rpc_error(
            lambda: auth.UserRegister(
                auth_pb2.UserRegisterRequest(id="py_intruder", password=USER_PASSWORD, role="PlatformAdmin"),
                metadata=metadata(do),
            )
        ),
    }

    logs = fe.QueryAuditLogs(fe_pb2.QueryAuditLogsRequest(query="*", limit=1000), metadata=metadata(admin)).logs
    obs["auditLogs"] = [
        {"microsecond": e.microsecond, "ipHex": e.ip.hex(), "user": e.user, "message": e.message, "result": e.result}
        for e in logs
    ]

    auth_channel.close()
    fe_channel.close()
    json.dump(obs, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
