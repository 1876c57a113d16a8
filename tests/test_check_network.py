"""`k9py check` warns about traffic a folder's Services and NetworkPolicies will not carry, at the line to fix.

Each folder under tests/check_network/ is a case: its manifests, and in expected.txt the warning lines the
check prints for it (paths relative to the folder). `quiet/` holds what must not be warned about.
"""

from __future__ import annotations

import json
import pathlib

import pytest

from k9py.cli import main

CASES = pathlib.Path(__file__).resolve().parent / "check_network"


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_the_warnings_each_case_expects(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    folder = CASES / case
    code = main(["check", str(folder)])
    out = capsys.readouterr().out
    warnings = [line.replace(f"{folder}/", "") for line in out.splitlines() if line.startswith("  warning:")]
    expected = (folder / "expected.txt").read_text().splitlines()
    assert warnings == expected, out
    # Warnings are problems: the folder converged, yet the exit status says something needs a look.
    assert code == (1 if expected else 0)
    summary = out.rstrip().splitlines()[-1]
    assert summary.startswith(f"Converged with {len(expected)} warning(s):" if expected else "Converged:"), summary


def test_warnings_in_the_json_report_carry_file_line_and_column(capsys: pytest.CaptureFixture[str]) -> None:
    folder = CASES / "named-target-port"
    assert main(["check", str(folder), "-o", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["converged"]
    [warning] = report["problems"]
    assert warning["severity"] == "warning" and warning["reason"] == "TargetPortNotExposed"
    assert (pathlib.Path(warning["file"]).name, warning["line"], warning["column"]) == ("app.yaml", 35, 7)
    assert (warning["kind"], warning["namespace"], warning["name"]) == ("Service", "default", "shop")


def test_a_fixed_selector_clears_the_warning(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (CASES / "selector-typo" / "app.yaml").read_text()
    (tmp_path / "app.yaml").write_text(text.replace("app: wbe", "app: web").replace("{role: db}", "{tier: front}"))
    assert main(["check", str(tmp_path)]) == 0
    assert "warning" not in capsys.readouterr().out


def test_a_default_deny_is_warned_about_unless_its_annotation_says_it_is_meant(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    for manifest in (CASES / "quiet").glob("*.yaml"):
        text = manifest.read_text().replace("    check.k9py.io/ignore: DefaultDenyIngress, DefaultDenyEgress\n", "")
        (tmp_path / manifest.name).write_text(text)
    assert main(["check", str(tmp_path), "-o", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(p["name"], p["reason"], p["line"]) for p in report["problems"]] == [
        ("db-locked", "DefaultDenyIngress", 10), ("db-locked", "DefaultDenyEgress", 10)]
    assert "StatefulSet db (podSelector: app=db) from all egress traffic" in report["problems"][1]["message"]
