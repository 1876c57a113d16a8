"""Generate engine/apiserver/protobuf_tables.py: the field tables the API server decodes protobuf bodies with.

kubectl's typed clients (`kubectl create configmap/secret/deployment/...`) send `application/vnd.kubernetes.protobuf`
and client-go never falls back to JSON for them (its 415 fallback is for CBOR only). Decoding needs every message's
field numbers and types, from the `generated.proto` files of kubernetes/api and kubernetes/apimachinery, and the
JSON name and emptiness rules of each field, from the Go types' `json:` tags (the proto field names are the JSON
names nearly always; `,inline` fields such as Volume's `volumeSource` are the exception). Both are read here, once,
so that nothing parses .proto or Go at run time.

Usage (the repositories as bare git directories, e.g. the `fetch` tool's mirrors, and one tag of each):

    python tools/gen_protobuf_tables.py --api /work/.mirror/kubernetes+api/repo \\
        --apimachinery /work/.mirror/kubernetes+apimachinery/repo --ref v0.36.3 > engine/apiserver/protobuf_tables.py
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

# The apimachinery packages the API types refer to, with their short names in the tables.
APIMACHINERY = {"pkg/apis/meta/v1": "meta/v1", "pkg/api/resource": "resource", "pkg/util/intstr": "intstr",
                "pkg/runtime": "runtime", "pkg/runtime/schema": "schema"}
# kubernetes/api packages: the stable versions only (what a server faithful to upstream's defaults serves).
STABLE = re.compile(r"^[a-z]+/v\d+$")

REPEATED, OMIT_ZERO, INLINE = 1, 2, 4  # flags; the decoder's constants mirror these

MESSAGE = re.compile(r"^message (\w+) \{$")
OPTIONAL = re.compile(r"^\s*(optional|repeated) (\S+) (\w+) = (\d+);")
MAP = re.compile(r"^\s*map<(\S+), (\S+)> (\w+) = (\d+);")
STRUCT = re.compile(r"^type (\w+) struct \{")
TAGGED = re.compile(r"^\s*(\w+)?\s*(\S+)\s+`([^`]*)`")


@dataclass
class GoField:
    json: str
    omitempty: bool
    pointer: bool


@dataclass
class Package:
    short: str  # "core/v1", "meta/v1"
    proto: str  # "k8s.io.api.core.v1"
    api_version: str | None  # "v1", "apps/v1"; None for apimachinery's packages
    messages: dict[str, list[tuple[int, str, str, int]]] = field(default_factory=dict)
    wrappers: set[str] = field(default_factory=set)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", f"--git-dir={repo}", *args], check=True, capture_output=True, text=True).stdout


def go_structs(repo: Path, ref: str, directory: str) -> dict[str, dict[int, GoField]]:
    """struct name → proto field number → its JSON name and emptiness rules, from the package's Go files."""
    structs: dict[str, dict[int, GoField]] = {}
    for path in git(repo, "ls-tree", "--name-only", f"{ref}:{directory}").split():
        if not path.endswith(".go") or path.endswith("_test.go") or path.startswith(("zz_", "generated.")):
            continue
        current: dict[int, GoField] | None = None
        for line in git(repo, "show", f"{ref}:{directory}/{path}").splitlines():
            if (match := STRUCT.match(line)) is not None:
                current = structs.setdefault(match.group(1), {})
            elif line.startswith("}"):
                current = None
            elif current is not None and (match := TAGGED.match(line)) is not None:
                tags = dict(re.findall(r'(\w+):"([^"]*)"', match.group(3)))
                if "protobuf" not in tags:
                    continue
                wire = tags["protobuf"].split(",")
                json_name, *options = tags.get("json", "").split(",")
                if json_name == "-" or len(wire) < 2:  # `protobuf:"-"`: not on the wire
                    continue
                # By number: an embedded struct's tag may have no `name=` (EphemeralContainer's `bytes,1,req`).
                current[int(wire[1])] = GoField(json=json_name, omitempty="omitempty" in options,
                                              pointer=match.group(2).startswith("*"))
    return structs


def short_type(proto_type: str, package: Package, packages: dict[str, Package]) -> str:
    if not proto_type.startswith("."):
        return proto_type if proto_type[0].islower() else f"{package.short}.{proto_type}"
    full_package, _, name = proto_type[1:].rpartition(".")
    return f"{packages[full_package].short}.{name}"


def read_package(repo: Path, ref: str, directory: str, short: str, api_version: str | None,
                 protos: dict[str, str]) -> Package:
    text = git(repo, "show", f"{ref}:{directory}/generated.proto")
    name = re.search(r"^package ([\w.]+);", text, re.M)
    assert name is not None, directory
    protos[name.group(1)] = text
    return Package(short, name.group(1), api_version)


def fill(package: Package, text: str, go: dict[str, dict[int, GoField]], packages: dict[str, Package]) -> None:
    comments: list[str] = []
    current: list[tuple[int, str, str, int]] | None = None
    message = ""
    for line in text.splitlines():
        stripped = line.strip()
        if (match := MESSAGE.match(line)) is not None:
            message = match.group(1)
            current = package.messages.setdefault(message, [])
            if "// +protobuf.nullable=true" in comments:
                package.wrappers.add(message)  # a Go slice type (`ExtraValue []string`): JSON is the bare list
            continue
        comments = [*comments, stripped] if stripped.startswith("//") else []
        if current is None:
            continue
        if stripped == "}":
            current = None
            continue
        flags = 0
        if (match := MAP.match(line)) is not None:
            key, value, proto_name, number = match.groups()
            assert key == "string", (message, proto_name)
            kind = "map:" + short_type(value, package, packages)
        elif (match := OPTIONAL.match(line)) is not None:
            label, value, proto_name, number = match.groups()
            kind = short_type(value, package, packages)
            flags |= REPEATED if label == "repeated" else 0
        else:
            continue
        go_field = go.get(message, {}).get(int(number))
        if go_field is None:  # a proto-only message (runtime.Unknown, meta's Time): its own name, kept as sent
            json_name = proto_name
            print(f"no Go field for {package.short}.{message}.{proto_name}", file=sys.stderr)
        else:
            json_name = go_field.json
            if not json_name:
                flags |= INLINE
            if go_field.omitempty and not go_field.pointer:
                flags |= OMIT_ZERO
        current.append((int(number), json_name, kind, flags))


def render(packages: list[Package], source: str) -> str:
    out = [
        f'"""Protobuf field tables of the Kubernetes API types, generated by tools/gen_protobuf_tables.py from\n'
        f'{source}. Do not edit: regenerate.\n\n'
        "MESSAGES: message (`package.Name`) → its fields in declaration order, as (number, JSON name, type, flags);\n"
        "a type is a proto scalar, a message, or `map:<value type>` (keys are strings). Flags: 1 repeated, 2 the\n"
        "JSON form omits the field's zero value (omitempty on a non-pointer), 4 inlined into the parent's JSON.\n"
        'WRAPPERS: messages standing for a Go slice type, whose JSON is the bare list of their `items`.\n'
        'API_VERSIONS: apiVersion → package."""',
        "",
        "# ruff: noqa: E501",
        "from __future__ import annotations",
        "",
        "Field = tuple[int, str, str, int]",
        "",
        "API_VERSIONS: dict[str, str] = {",
    ]
    out += [f"    {p.api_version!r}: {p.short!r}," for p in packages if p.api_version is not None]
    out += ["}", "", "WRAPPERS: frozenset[str] = frozenset({"]
    out += [f"    {p.short + '.' + w!r}," for p in packages for w in sorted(p.wrappers)]
    out += ["})", "", "MESSAGES: dict[str, tuple[Field, ...]] = {"]
    for package in packages:
        for name, fields in package.messages.items():
            rendered = ", ".join(f"({n}, {j!r}, {t!r}, {f})" for n, j, t, f in fields)
            out.append(f"    {package.short + '.' + name!r}: ({rendered}{',' if len(fields) == 1 else ''}),")
    out += ["}", ""]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api", type=Path, required=True, help="git directory of kubernetes/api")
    parser.add_argument("--apimachinery", type=Path, required=True, help="git directory of kubernetes/apimachinery")
    parser.add_argument("--ref", default="v0.36.3", help="the tag (or commit) of both repositories")
    args = parser.parse_args()
    protos: dict[str, str] = {}
    found: list[tuple[Package, Path, str]] = []
    for directory, short in APIMACHINERY.items():
        found.append((read_package(args.apimachinery, args.ref, directory, short, None, protos),
                      args.apimachinery, directory))
    for path in sorted(git(args.api, "ls-tree", "-r", "--name-only", args.ref).split()):
        directory = path.removesuffix("/generated.proto")
        if path.endswith("/generated.proto") and STABLE.match(directory):
            register = git(args.api, "show", f"{args.ref}:{directory}/register.go")
            group = re.search(r'GroupName = "([^"]*)"', register)
            assert group is not None, directory
            version = directory.split("/")[1]
            api_version = f"{group.group(1)}/{version}" if group.group(1) else version
            found.append((read_package(args.api, args.ref, directory, directory, api_version, protos),
                          args.api, directory))
    by_proto = {package.proto: package for package, _, _ in found}
    for package, repo, directory in found:
        fill(package, protos[package.proto], go_structs(repo, args.ref, directory), by_proto)
    commits = [f"{name} {args.ref} (commit {git(repo, 'rev-parse', args.ref + '^{commit}').strip()})"
               for name, repo in (("kubernetes/api", args.api), ("kubernetes/apimachinery", args.apimachinery))]
    sys.stdout.write(render([p for p, _, _ in found], " and ".join(commits)))


if __name__ == "__main__":
    main()
