"""A seccomp filter that stops a process from starting programs or processes; threads still work.

Root is exempt from RLIMIT_NPROC, and the sandbox runs as the Ray worker's user (root on
our hosts), so the runner installs this filter before it imports the SME's model file:

- ``execve``, ``execveat``, ``fork``, ``vfork`` and ``clone`` without ``CLONE_THREAD``
  fail with EPERM (``subprocess``, ``os.system``, ``multiprocessing`` all raise);
- ``clone3`` fails with ENOSYS, so glibc falls back to ``clone`` for threads, where the
  flags can be checked (``clone3`` passes them in memory a filter cannot read);
- on x86-64, the x32 system-call numbers fail with EPERM; a foreign architecture kills.

``PR_SET_NO_NEW_PRIVS`` comes first (the kernel requires it of a process without
CAP_SYS_ADMIN, and it keeps a set-uid program from gaining anything). The filter is
installed with ``SECCOMP_FILTER_FLAG_TSYNC`` so threads that libraries already started get it.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct

# <linux/filter.h>, <linux/seccomp.h>, <linux/audit.h>, <linux/sched.h>
_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_JSET_K = 0x45  # BPF_JMP | BPF_JSET | BPF_K
_RET_K = 0x06  # BPF_RET | BPF_K
_RET_ALLOW = 0x7FFF0000
_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000
_OFFSET_NR = 0  # struct seccomp_data: int nr; u32 arch; u64 ip; u64 args[6]
_OFFSET_ARCH = 4
_OFFSET_ARG0_LOW = 16  # low 32 bits of args[0] (both architectures are little-endian)
_CLONE_THREAD = 0x00010000
_X32_SYSCALL_BIT = 0x40000000
_PR_SET_NO_NEW_PRIVS = 38
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_TSYNC = 1


class _Arch:
    """System-call numbers of one architecture."""

    def __init__(self, audit: int, seccomp: int, denied: dict[str, int], clone: int) -> None:
        self.audit = audit  # AUDIT_ARCH_* value in seccomp_data.arch
        self.seccomp = seccomp  # number of the seccomp system call
        self.denied = denied  # calls that fail with EPERM whatever their arguments
        self.clone = clone  # clone: EPERM unless CLONE_THREAD is set


_CLONE3 = 435  # the same number on both
_ARCHES = {
    "x86_64": _Arch(
        audit=0xC000003E,
        seccomp=317,
        denied={"fork": 57, "vfork": 58, "execve": 59, "execveat": 322},
        clone=56,
    ),
    "aarch64": _Arch(
        audit=0xC00000B7, seccomp=277, denied={"execve": 221, "execveat": 281}, clone=220
    ),
}


def supported() -> bool:
    """Whether this machine's architecture has a filter here."""
    return platform.machine() in _ARCHES


def filter_program(machine: str | None = None) -> bytes:
    """The classic-BPF program as ``struct sock_filter`` entries (8 bytes each)."""
    arch = _ARCHES[machine or platform.machine()]
    eperm = _RET_ERRNO | errno.EPERM
    # Each entry: (code, jump-if-true label, jump-if-false label, k); labels resolve below.
    program: list[tuple[int, str | int, str | int, int]] = [
        (_LD_W_ABS, 0, 0, _OFFSET_ARCH),
        (_JEQ_K, 0, "kill", arch.audit),
        (_LD_W_ABS, 0, 0, _OFFSET_NR),
    ]
    if arch.audit == _ARCHES["x86_64"].audit:
        program.append((_JGE_K, "deny", 0, _X32_SYSCALL_BIT))
    program += [(_JEQ_K, "deny", 0, number) for number in arch.denied.values()]
    program += [
        (_JEQ_K, "nosys", 0, _CLONE3),
        (_JEQ_K, 0, "allow", arch.clone),
        (_LD_W_ABS, 0, 0, _OFFSET_ARG0_LOW),
        (_JSET_K, "allow", "deny", _CLONE_THREAD),
    ]
    returns = {
        "allow": _RET_ALLOW,
        "deny": eperm,
        "nosys": _RET_ERRNO | errno.ENOSYS,
        "kill": _RET_KILL_PROCESS,
    }
    labels = {name: len(program) + i for i, name in enumerate(returns)}
    program += [(_RET_K, 0, 0, value) for value in returns.values()]

    def jump(at: int, target: str | int) -> int:
        return target if isinstance(target, int) else labels[target] - at - 1

    return b"".join(
        struct.pack("=HBBI", code, jump(at, jt), jump(at, jf), k)
        for at, (code, jt, jf, k) in enumerate(program)
    )


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def deny_process_creation() -> None:
    """Install the filter on this process and all its threads; irreversible.

    Raises:
        OSError: the kernel refused (no seccomp, or an unknown architecture).
    """
    machine = platform.machine()
    if machine not in _ARCHES:
        raise OSError(errno.ENOSYS, f"no seccomp filter for the {machine} architecture")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    program = filter_program(machine)
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    result = libc.syscall(
        _ARCHES[machine].seccomp,
        _SECCOMP_SET_MODE_FILTER,
        _SECCOMP_FILTER_FLAG_TSYNC,
        ctypes.byref(fprog),
    )
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"seccomp(SECCOMP_SET_MODE_FILTER) failed: {os.strerror(code)}")
