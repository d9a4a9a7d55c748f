"""The first step of a sandboxed kernel's command line: trusted, standard library only.

The kernelspec the runner writes starts ``python -I -S launch.py SPEC CONNECTION_FILE``.
This joins the run's control groups (so everything the sandbox starts is counted), sets the
per-process limits (core dumps off, file size, address space on CPU-only runs), hands the
connection file to the sandbox's user when we are root, points the kernel's standard
streams at its own log file (so it shares no pipe with the runner or the parent), opens the
seccomp program, and replaces itself with bubblewrap (or, without a sandbox, the kernel).
"""

import json
import os
import resource
import sys


def main(argv: list[str]) -> None:
    with open(argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    connection_file = argv[2]
    for procs in spec["cgroup_procs"]:
        with open(procs, "w") as handle:  # a failure here stops the kernel from starting
            handle.write(str(os.getpid()))
    for name, value in spec["rlimits"].items():
        resource.setrlimit(getattr(resource, name), (value, value))
    if spec["owner"] is not None:
        os.chown(connection_file, *spec["owner"])
    _redirect(os.open(os.devnull, os.O_RDONLY), [0])
    _redirect(os.open(spec["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), [1, 2])
    seccomp_fd = -1
    if spec["seccomp"]:
        seccomp_fd = os.open(spec["seccomp"], os.O_RDONLY)
        os.set_inheritable(seccomp_fd, True)
    command = [arg.replace("{connection_file}", connection_file)
                  .replace("{seccomp_fd}", str(seccomp_fd)) for arg in spec["command"]]
    os.execvpe(command[0], command, spec["env"])


def _redirect(fd: int, targets: list[int]) -> None:
    for target in targets:
        os.dup2(fd, target)
    os.close(fd)


if __name__ == "__main__":
    main(sys.argv)
