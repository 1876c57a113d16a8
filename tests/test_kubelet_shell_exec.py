"""`command -v` and `exec` in the simulated container shell (engine/kubelet/shell.py): the two builtins k9s's shell
key needs, `kubectl exec -it POD -- sh -c "command -v bash >/dev/null && exec bash || exec sh"` (k9s
internal/view/exec.go shellCheck): bash where the image has it (Debian's), else sh (busybox has no bash).

Upstream behaviour: POSIX `command -v` prints a builtin's name and a program's path, and fails for an unknown name
(bash with status 1, dash and busybox ash with 127); `exec` replaces the shell, whose status becomes the program's,
and an unknown program ends the shell with 127.
"""

from __future__ import annotations

from test_kubelet_shell import run

SHELL_CHECK = "command -v bash >/dev/null && exec bash || exec sh"


async def test_command_v_names_builtins_and_programs_and_fails_for_unknown_ones() -> None:
    assert await run(["sh", "-c", "command -v cd ls bash"]) == (0, "cd\n/usr/bin/ls\n/usr/bin/bash\n", "")
    assert await run(["bash", "-c", "command -v nope; echo $?"]) == (0, "1\n", "")
    assert await run(["sh", "-c", "command -v nope; echo $?"]) == (0, "127\n", "")
    assert await run(["sh", "-c", "command -v bash; echo $?"], flavour_name="busybox") == (0, "127\n", "")
    assert await run(["sh", "-c", "command -v sh"], flavour_name="busybox") == (0, "/bin/sh\n", "")
    assert await run(["sh", "-c", "command echo hi"]) == (0, "hi\n", "")


async def test_exec_replaces_the_shell_with_the_program() -> None:
    assert await run(["sh", "-c", "exec sh -c 'exit 3'; echo never"]) == (3, "", "")
    assert await run(["sh", "-c", "exec echo replaced; echo never"]) == (0, "replaced\n", "")
    assert await run(["sh", "-c", "exec nope; echo never"]) == (127, "", "sh: 1: exec: nope: not found\n")


async def test_k9s_shell_check_runs_bash_where_there_is_one_else_sh() -> None:
    """The shell reads the rest of stdin: `$0` tells which one k9s's check started."""
    assert await run(["sh", "-c", SHELL_CHECK], stdin=b"echo $0; exit 4\n") == (4, "bash\n", "")
    assert await run(["sh", "-c", SHELL_CHECK], stdin=b"echo $0\n", flavour_name="busybox") == (0, "sh\n", "")
