# Teaclave's mesapy_optional_files contract: input_data2 is optional; the function reports which inputs
# the task has and what they hold.
def entrypoint(argv):
    seen = []
    for file_id in ("input_data1", "input_data2"):
        try:
            with teaclave_open(file_id, "rb") as f:
                seen.append("%s=%s" % (file_id, f.read().decode("utf-8").strip()))
        except RuntimeError as error:
            seen.append("%s absent (%s)" % (file_id, error))
    return "; ".join(seen)
