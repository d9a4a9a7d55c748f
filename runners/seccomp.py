"""The seccomp filter every sandboxed kernel runs under, assembled as classic BPF by hand.

bubblewrap loads a compiled program from a file descriptor (``bwrap --seccomp FD``): an
array of ``struct sock_filter`` (u16 code, u8 jt, u8 jf, u32 k). The program refuses, with
EPERM, the system calls a notebook never needs and an escape always does: ptrace and reading
other processes' memory, mount and the new mount API, unshare/setns and clone with namespace
flags, keyrings, bpf, perf_event_open, kernel modules, kexec, reboot, swap. ``clone3`` answers
ENOSYS (its flags sit in memory a filter cannot read), so the C library falls back to
``clone``, whose flags are checked. A foreign architecture (or x32 call) is refused too.
"""

from __future__ import annotations

import errno
import platform
import struct

# struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6];
NR_OFFSET, ARCH_OFFSET, ARG0_LOW_OFFSET = 0, 4, 16  # little-endian: the low half comes first

LD_W_ABS, JEQ_K, JGE_K, JSET_K, RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
RET_ALLOW = 0x7FFF0000
RET_ERRNO = 0x00050000
RET_KILL_PROCESS = 0x80000000
X32_SYSCALL_BIT = 0x40000000
# CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET (not NEWTIME: in
# clone's flags 0x80 is part of the exit signal)
NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 \
    | 0x20000000 | 0x40000000

DENIED = ("ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
          "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount", "fsopen",
          "fsconfig", "fsmount", "fspick", "mount_setattr", "unshare", "setns",
          "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
          "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
          "reboot", "swapon", "swapoff", "acct", "open_by_handle_at", "iopl", "ioperm")

# (audit architecture, syscall numbers); names absent from an architecture are skipped
ARCHITECTURES: dict[str, tuple[int, dict[str, int]]] = {
    "x86_64": (0xC000003E, {
        "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "pidfd_getfd": 438,
        "kcmp": 312, "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161,
        "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
        "fspick": 433, "mount_setattr": 442, "unshare": 272, "setns": 308, "keyctl": 250,
        "add_key": 248, "request_key": 249, "bpf": 321, "perf_event_open": 298,
        "userfaultfd": 323, "init_module": 175, "finit_module": 313, "delete_module": 176,
        "kexec_load": 246, "kexec_file_load": 320, "reboot": 169, "swapon": 167,
        "swapoff": 168, "acct": 163, "open_by_handle_at": 304, "iopl": 172, "ioperm": 173,
        "clone": 56, "clone3": 435}),
    "aarch64": (0xC00000B7, {
        "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "pidfd_getfd": 438,
        "kcmp": 272, "mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51,
        "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
        "fspick": 433, "mount_setattr": 442, "unshare": 97, "setns": 268, "keyctl": 219,
        "add_key": 217, "request_key": 218, "bpf": 280, "perf_event_open": 241,
        "userfaultfd": 282, "init_module": 105, "finit_module": 273, "delete_module": 106,
        "kexec_load": 104, "kexec_file_load": 294, "reboot": 142, "swapon": 224,
        "swapoff": 225, "acct": 89, "open_by_handle_at": 265, "clone": 220, "clone3": 435}),
}


class SeccompUnsupported(Exception):
    """No filter is known for this machine's architecture."""


def _statement(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("<HBBI", code, jt, jf, k)


Statement = tuple[int, int, str | None, str | None]  # code, k, jump if true, if false
VERDICTS = {"allow": RET_ALLOW, "eperm": RET_ERRNO | errno.EPERM,
            "enosys": RET_ERRNO | errno.ENOSYS, "kill": RET_KILL_PROCESS}


def filter_program(machine: str | None = None) -> bytes:
    """The compiled filter for ``machine`` (default: this one), ready for ``bwrap --seccomp``."""
    machine = machine or platform.machine()
    if machine not in ARCHITECTURES:
        raise SeccompUnsupported(f"no seccomp filter for the {machine} architecture")
    return _assemble(_statements(machine))


def _statements(machine: str) -> list[Statement]:
    """The checks in order; jumps name one of ``VERDICTS`` (None: the next statement)."""
    arch, numbers = ARCHITECTURES[machine]
    body: list[Statement] = [(LD_W_ABS, ARCH_OFFSET, None, None), (JEQ_K, arch, None, "kill"),
                             (LD_W_ABS, NR_OFFSET, None, None)]
    if machine == "x86_64":
        body.append((JGE_K, X32_SYSCALL_BIT, "eperm", None))
    body += [(JEQ_K, numbers[name], "eperm", None) for name in DENIED if name in numbers]
    return [*body, (JEQ_K, numbers["clone3"], "enosys", None),
            (JEQ_K, numbers["clone"], None, "allow"),
            (LD_W_ABS, ARG0_LOW_OFFSET, None, None),
            (JSET_K, NAMESPACE_FLAGS, "eperm", "allow")]


def _assemble(body: list[Statement]) -> bytes:
    """The statements, then the verdicts; a jump's offset counts the statements it skips."""
    where = {name: len(body) + index for index, name in enumerate(VERDICTS)}
    program = b""
    for index, (code, k, true, false) in enumerate(body):
        jt = where[true] - index - 1 if true else 0
        jf = where[false] - index - 1 if false else 0
        program += _statement(code, k, jt, jf)
    return program + b"".join(_statement(RET_K, value) for value in VERDICTS.values())
