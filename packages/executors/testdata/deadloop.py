# Teaclave's mesapy_deadloop_cancel payload contract: never returns; the task is canceled while it runs.
def entrypoint(argv):
    while True:
        pass
