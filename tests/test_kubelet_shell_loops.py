"""The simulated shell's compound commands (engine/kubelet/shell.py): `while`, `until`, `for`, `if`, `{ }`,
`break`/`continue`, their syntax errors in each shell's words, the pace of a loop that never sleeps, and
arithmetic expansion (engine/kubelet/arith.py)."""

from __future__ import annotations

import pytest

from engine.clock import VirtualClock
from engine.kubelet.shell import LOOP_ITERATIONS_PER_SECOND, Capture, Input, Interrupted, Process, run_program
from tests.test_kubelet_shell import START, run, system


async def test_loops_and_conditions_run_as_in_sh() -> None:
    assert await run(["sh", "-c", "for i in a b c; do echo $i; done"]) == (0, "a\nb\nc\n", "")
    assert await run(["sh", "-c", 'i=; while [ "$i" != xx ]; do i=${i}x; echo $i; done; echo end $?']) == (
        0, "x\nxx\nend 0\n", "")
    assert await run(["sh", "-c", "until true; do echo never; done; echo $?"]) == (0, "0\n", "")
    assert await run(["sh", "-c", "if false; then echo a; elif true; then echo b; else echo c; fi"]) == (
        0, "b\n", "")
    assert await run(["sh", "-c", "if false; then echo a; fi; echo $?"]) == (0, "0\n", "")
    assert await run(["sh", "-c", "{ echo a; echo b; } | cat"]) == (0, "a\nb\n", "")
    assert await run(["sh", "-c", "for x; do echo $x; done", "arg0", "p1", "p2"]) == (0, "p1\np2\n", "")
    # A script over several lines, as a manifest's `|` block writes it.
    assert await run(["sh", "-c", "while true\ndo\n  echo x\n  break\ndone\necho after"]) == (0, "x\nafter\n", "")


async def test_break_and_continue() -> None:
    assert await run(["sh", "-c", "for i in 1 2 3; do if [ $i = 2 ]; then break; fi; echo $i; done"]) == (
        0, "1\n", "")
    assert await run(["sh", "-c", "for i in 1 2; do for j in a b; do [ $j = b ] && continue 2; echo $i$j; done;"
                                  " done"]) == (0, "1a\n2a\n", "")
    assert await run(["sh", "-c", "while true; do while true; do break 2; done; done; echo out"]) == (0, "out\n", "")
    assert await run(["sh", "-c", "break; echo $?"]) == (0, "0\n", "")
    assert await run(["bash", "-c", "break"]) == (
        0, "", "bash: line 1: break: only meaningful in a `for', `while', or `until' loop\n")


async def test_set_e_spares_conditions() -> None:
    assert await run(["sh", "-ec", "while false; do :; done; if false; then :; fi; ! true; echo ok"]) == (
        0, "ok\n", "")
    assert await run(["sh", "-ec", "for i in 1; do false; done; echo never"]) == (1, "", "")


async def test_unfinished_compound_commands_in_each_shells_words() -> None:
    # dash's synexpect, busybox ash's raise_error_unexpected_syntax, bash 5.2's "from `until' command".
    assert await run(["sh", "-c", "until true; do"]) == (
        2, "", 'sh: 1: Syntax error: end of file unexpected (expecting "done")\n')
    assert await run(["sh", "-c", "until true; do"], flavour_name="busybox") == (
        2, "", 'sh: syntax error: unexpected end of file (expecting "done")\n')
    assert await run(["bash", "-c", "until true; do"]) == (
        2, "", "bash: -c: line 1: syntax error: unexpected end of file from `until' command on line 1\n")
    assert await run(["sh", "-c", "until true; do done"]) == (2, "", 'sh: 1: Syntax error: "done" unexpected\n')
    assert await run(["sh", "-c", "fi"]) == (2, "", 'sh: 1: Syntax error: "fi" unexpected\n')
    assert await run(["sh", "-c", "true &&"]) == (2, "", "sh: 1: Syntax error: end of file unexpected\n")


async def test_a_loop_that_never_sleeps_is_paced_on_the_engine_clock() -> None:
    clock = VirtualClock(START)
    script = "n=; while true; do n=${n}1; [ ${#n} = 250 ] && break; done; echo ${#n}"
    assert await run(["sh", "-c", script], clock=clock) == (0, "250\n", "")
    assert clock.now() == START + 250 // LOOP_ITERATIONS_PER_SECOND
    # A loop that sleeps as it goes is never slowed down.
    clock = VirtualClock(START)
    assert await run(["sh", "-c", "for i in 1 2 3; do sleep 0.5; done"], clock=clock) == (0, "", "")
    assert clock.now() == START + 1.5


async def test_interrupt_ends_the_loop_not_only_its_sleep() -> None:
    clock = VirtualClock(START)
    sys = system(clock)
    slept = 0

    async def sleep(seconds: float) -> None:  # ^C during the third sleep
        nonlocal slept
        slept += 1
        if slept == 3:
            raise Interrupted()
        clock.advance_to(clock.now() + seconds)

    sys.sleep = sleep
    out = Capture()
    process = Process(sys, {}, "/", Input(), out, Capture())
    with pytest.raises(Interrupted):  # the shell dies of the SIGINT too (run_in_container: status 130)
        await run_program(process, ["sh", "-c", "while true; do echo tick; sleep 1; done; echo never"])
    assert out.value() == b"tick\ntick\ntick\n" and clock.now() == START + 2


async def test_arithmetic_expansion_as_sh_does_it() -> None:
    assert await run(["sh", "-c", 'i=0; while [ $i -lt 3 ]; do echo "$i"; i=$((i+1)); done']) == (0, "0\n1\n2\n", "")
    # C's integer division and remainder, precedence, octal and hex, 64-bit wrap-around; bash's `**`.
    assert await run(["sh", "-c", "echo $((7/2)) $((-7/2)) $((-7%3)) $((2**10)) $(( (1+2)*3 )) $((1<2 && 3>4))"
                                  " $((0x10 + 010)) $((~0)) $((9223372036854775807 + 1))"]) == (
        0, "3 -3 -1 1024 9 0 24 -1 -9223372036854775808\n", "")
    # A variable is read by name, an unset one is 0, one that names another is followed.
    assert await run(["sh", "-c", "x=5; y=x; echo $((y*2)) $(( $x + 1 )) $((nope+1))"]) == (0, "10 6 1\n", "")


async def test_arithmetic_errors_end_the_script_in_each_shells_words() -> None:
    assert await run(["sh", "-c", "echo $((1/0)); echo after"]) == (
        2, "", 'sh: 1: arithmetic expression: division by zero: "1/0"\n')
    assert await run(["sh", "-c", "echo $((1/0))"], flavour_name="busybox") == (2, "", "sh: divide by zero\n")
    assert await run(["bash", "-c", "echo $((1+))"]) == (
        1, "", 'bash: line 1: 1+: syntax error: operand expected (error token is "1+")\n')
    code, _, err = await run(["sh", "-c", "echo $((i++))"])
    assert code == 2 and "k9py's shell does not simulate `++` in arithmetic" in err
