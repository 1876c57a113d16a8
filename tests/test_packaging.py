"""pyproject.toml lists packages explicitly (two are data folders mapped in): keep that list complete."""

import pathlib
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_every_code_package_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("engine", "k9py")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert found - listed == set()
    assert set(config["package-dir"]) == {"k9py.themes", "k9py.sample_manifests"}


def test_the_bundled_themes_and_samples_are_found():
    from k9py.app import sample_manifests
    from k9py.theme import available_themes

    assert {"default", "light", "high-contrast", "dracula"} <= set(available_themes())
    assert (sample_manifests() / "namespaces.yaml").is_file()
