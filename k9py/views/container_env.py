"""`s` on a container (or on a pod with one container): what a shell in it would see, since there is no real one.

The environment as `kubectl exec <pod> -c <container> -- env` prints it (fixed when the container was created),
the command after `$(VAR)` expansion, the mounts, and every mounted file as `cat` prints it (ConfigMap and Secret
files follow changes within the kubelet's sync period, a subPath file never). Values that come from a Secret (and
the service-account token) are masked until `x`, k9s's decode key, shows them.
"""

from __future__ import annotations

import stat
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text

from ..keys import Key
from .base import MOVE_KEYS
from .text import TextView

if TYPE_CHECKING:
    from ..actions import Host
    from ..backend import ContainerView

MASK = "********"
# k9s's shell key: the simulated cluster has no real shell, so it shows what one would find (env, files); a real
# cluster's is `kubectl exec -it` (kube_shell).
SHELL_KEY = Key("s", "shell", "Shell")


def _argv(args: tuple[str, ...]) -> str:
    return " ".join(a if a and all(ch.isalnum() or ch in "-_./=:," for ch in a) else "'" + a.replace("'", "'\\''")
                    + "'" for a in args)


def render(view: ContainerView, pod: str, container: str, decoded: bool) -> str:
    """The text of the view (a function of its inputs, so tests can read it without a screen)."""
    def shown(value: str, secret: bool) -> str:
        return value if decoded or not secret else MASK

    lines: list[str] = []
    if view.started is None:
        lines.append(f"# container {container} has not been created yet: no environment")
    else:
        lines.append(f"# kubectl exec {pod} -c {container} -- env   (fixed when the container was created)")
        lines.extend(f"{e.name}={shown(e.value, e.secret)}" for e in view.env)
        if view.command:
            lines += ["", "# command and args, $(VAR) expanded", _argv(view.command)]
    if view.mounts:
        lines += ["", "# mounts"]
        for m in view.mounts:
            flags = ("ro" if m.read_only else "rw") + (f',path="{m.sub_path}"' if m.sub_path else "")
            lines.append(f"{m.path} from {m.volume} ({flags})   {m.source}")
        lines += ["", "# cat: ConfigMap/Secret files follow changes within a minute; subPath files never"]
        for m in view.mounts:
            if not m.files:
                lines.append(f"{m.path}/   (empty directory)")
            for f in m.files:
                lines.append(f"--- {f.path}   {stat.filemode(stat.S_IFREG | f.mode)}")
                lines.extend(shown(f.content, f.secret).splitlines() or [""])
    return "\n".join(lines)


class ContainerEnvView(TextView):
    view_name = "shell"
    label = "shell"
    KEYS: ClassVar[tuple[Key, ...]] = (*MOVE_KEYS, Key("w", "wrap", "Wrap"), Key("x", "decode", "Decode secrets"))

    decoded = False

    def title(self) -> Text:
        target = f"{self.spec.namespace}/{self.spec.name}:{self.spec.container}"
        tags = ((" [decoded]", f"bold {self.skin.title_highlight}"),) if self.decoded else ()
        return self.object_title(self.label, target, "deleted" if self.gone else "", tags)

    def render_body(self) -> str | None:
        pod = self.backend.get(self.kind, self.spec.name, self.spec.namespace)
        if pod is None:
            return None
        view = self.backend.container_view(pod, self.spec.container)
        if view is None:
            return None
        return render(view, self.spec.name, self.spec.container, self.decoded)

    def do_decode(self, host: Host, _: Key) -> None:
        self.decoded = not self.decoded
        self.update_title()
        self._refresh_body()
        host.flash("secret values shown" if self.decoded else "secret values masked")
