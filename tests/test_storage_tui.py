"""The dashboard's generic view serves the storage kinds: `:pvc`, `:pv` and `:sc` open tables of them, with the
kubectl columns (the kinds' printers) and health colours from gitops-engine's health_pvc.go."""

from __future__ import annotations

from pathlib import Path

from tui_support import command, dashboard, table, until


async def test_storage_views_open_by_their_short_names(tmp_path: Path) -> None:
    """k9s's `:pvc`, `:pv`, `:sc`: the kinds' short names (KindInfo.short_names) reach the generic table."""
    (tmp_path / "claim.yaml").write_text(
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n  namespace: default\n"
        "spec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: db\n  namespace: default\nspec:\n"
        "  containers:\n  - name: db\n    image: postgres:16\n    volumeMounts: [{name: data, mountPath: /data}]\n"
        "  volumes:\n  - name: data\n    persistentVolumeClaim: {claimName: data}\n")
    async with dashboard([tmp_path], speed=60.0) as (_app, pilot, screen, _cluster):
        await command(pilot, "pvc default")
        await until(pilot, lambda: table(screen).kind.kind == "PersistentVolumeClaim" and table(screen).row_count == 1)
        assert table(screen).visible_names() == ["data"]
        await command(pilot, "pv")
        await until(pilot, lambda: table(screen).kind.kind == "PersistentVolume" and table(screen).row_count == 1,
                    timeout=10)
        assert table(screen).visible_names()[0].startswith("pvc-")
        await command(pilot, "sc")
        await until(pilot, lambda: table(screen).kind.kind == "StorageClass" and table(screen).row_count == 1)
