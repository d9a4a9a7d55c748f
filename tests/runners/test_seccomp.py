"""The hand-assembled seccomp program: well formed for each architecture it knows."""

from __future__ import annotations

import struct

import pytest

from reviewbot.runners.seccomp import (
    ARCHITECTURES,
    DENIED,
    RET_ALLOW,
    RET_KILL_PROCESS,
    SeccompUnsupported,
    filter_program,
)


@pytest.mark.parametrize("machine", sorted(ARCHITECTURES))
def test_every_jump_lands_on_a_statement_and_the_program_ends_in_verdicts(machine: str) -> None:
    program = filter_program(machine)
    statements = [struct.unpack("<HBBI", program[i:i + 8]) for i in range(0, len(program), 8)]
    for index, (code, jt, jf, _) in enumerate(statements):
        if code & 0x07 == 0x05:  # a jump
            assert index + 1 + max(jt, jf) < len(statements)
    verdicts = [k for code, _, _, k in statements[-4:]]
    assert verdicts[0] == RET_ALLOW and verdicts[-1] == RET_KILL_PROCESS
    compared = {k for code, _, _, k in statements if code == 0x15}
    numbers = ARCHITECTURES[machine][1]
    assert {numbers[name] for name in DENIED if name in numbers} <= compared


def test_an_unknown_architecture_is_said_not_guessed() -> None:
    with pytest.raises(SeccompUnsupported, match="no seccomp filter for the s390x architecture"):
        filter_program("s390x")
