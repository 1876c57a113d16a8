"""A pod waiting for its volumes before its sandbox starts, as the kubelet's volume manager and pod worker see it.

Two loops meet here (`pkg/kubelet/volumemanager`):

- The reconciler mounts what the desired-state populator put in its desired state, and retries a failed
  operation with exponential back-off (nestedpendingoperations: 0.5 s doubling to 2m2s). A failed SetUp records a
  `FailedMount` event, `MountVolume.SetUp failed for volume "cfg" : configmap "settings" not found`, at each
  attempt. An attachable volume the attach/detach controller has not attached here (Multi-Attach) fails
  VerifyControllerAttachedVolume the same way, but that operation records no event: the controller's
  `FailedAttachVolume` is what a user sees.
- The pod worker's SyncPod waits in WaitForAttachAndMount for every volume a container mounts, up to
  podAttachAndMountTimeout (2m3s), then gives up and tries again after its back-off (10 s). When the populator
  could not process a claim (missing, unbound, being deleted…), the wait ends at once with its error and the
  kubelet records `Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[],
  failed to process volumes=[data]: error processing PVC default/data: PVC is not bound`. A wait that merely
  times out records nothing: since v1.28 (kubernetes/kubernetes#117412) SyncPod skips the event when
  `wait.Interrupted(err)`, which holds for the `context deadline exceeded` PollUntilContextTimeout returns;
  the error only reaches the kubelet's log. (Before, the event ended with `timed out waiting for the
  condition`; kubernetes/kubernetes#127004 asks for one back.)

The sandbox starts as soon as a waiting pod worker sees every volume mounted.

A mixin of `Kubelet`: it uses the kubelet's `_pod`, `_after`, `_event`, `_post`, `_start_sandbox`, `host` and
`_volume_setups`.
"""

from __future__ import annotations

from typing import Any

import attrs

from .config_refs import VolumeWait, volume_wait
from .state import PodState

Obj = dict[str, Any]

MOUNT_RETRY_INITIAL = 0.5  # nestedpendingoperations initialDurationBeforeRetry
MOUNT_RETRY_MAX = 122.0  # maxDurationBeforeRetry, 2m2s
MOUNT_TIMEOUT = 123.0  # volumemanager podAttachAndMountTimeout, 2m3s
SYNC_BACKOFF = 10.0  # the pod worker's backOffPeriod after a failed sync (upstream jitters it up to 15 s)


@attrs.define
class VolumeSetup:
    """One pod's progress through the two loops."""

    polling: bool = False  # the pod worker is inside WaitForAttachAndMount (not in its back-off)
    reconciling: bool = False  # the reconciler has a retry of the pod's failing volumes scheduled
    retry_in: float = MOUNT_RETRY_INITIAL


class VolumeMixin:
    """The volume waits of one kubelet's pods."""

    host: Any
    _volume_setups: dict[str, VolumeSetup]
    _pod: Any
    _after: Any
    _event: Any
    _post: Any
    _start_sandbox: Any

    def _set_up_volumes(self, ps: PodState, spec: Obj) -> None:
        """A pod is admitted: start it, or wait for its volumes first (ContainerCreating, no sandbox, no IP)."""
        wait = volume_wait(self.host.store, ps.namespace, spec)
        if not wait:
            self._start_sandbox(ps)
            return
        ps.sandbox_ready = False
        self._post(ps)
        self._volume_setups[ps.uid] = VolumeSetup()
        self._reconcile_volumes(ps, wait)
        self._wait_for_volumes(ps)

    def _waiting_pod(self, ps: PodState) -> tuple[Obj, VolumeSetup] | None:
        pod = self._pod(ps)
        setup = self._volume_setups.get(ps.uid)
        # A pod being deleted stops waiting: its sync's context is cancelled (no event), and with no containers to
        # stop its volumes leave the desired state at once.
        if pod is None or setup is None or ps.sandbox_ready or ps.terminating or ps.killing:
            return None
        return pod, setup

    def _wait_for_volumes(self, ps: PodState) -> None:
        """One SyncPod's WaitForAttachAndMount."""
        found = self._waiting_pod(ps)
        if found is None:
            return
        pod, setup = found
        wait = volume_wait(self.host.store, ps.namespace, pod["spec"])
        if not wait:
            self._volumes_mounted(ps)
            return
        if wait.unprocessed:
            self._event(pod, "Warning", "FailedMount", wait.unable_message())
            self._after(ps, SYNC_BACKOFF, lambda: self._wait_for_volumes(ps))
            return
        setup.polling = True
        self._reconcile_volumes(ps, wait)  # the claims just processed may fail to attach or mount in turn

        def timed_out() -> None:
            if self._waiting_pod(ps) is not None:
                setup.polling = False  # `context deadline exceeded`: no event, the pod worker backs off
                self._after(ps, SYNC_BACKOFF, lambda: self._wait_for_volumes(ps))

        self._after(ps, MOUNT_TIMEOUT, timed_out)

    def _reconcile_volumes(self, ps: PodState, wait: VolumeWait) -> None:
        """The reconciler's attempt at the pod's volumes in its desired state; failures retry with back-off."""
        found = self._waiting_pod(ps)
        if found is None:
            return
        pod, setup = found
        if setup.reconciling or not (wait.setup or wait.unattached):
            return
        for name, error in wait.setup.items():
            self._event(pod, "Warning", "FailedMount", f'MountVolume.SetUp failed for volume "{name}" : {error}')
        setup.reconciling = True

        def retry() -> None:
            setup.reconciling = False
            found_now = self._waiting_pod(ps)
            if found_now is None:
                return
            now = volume_wait(self.host.store, ps.namespace, found_now[0]["spec"])
            if now.setup or now.unattached:
                setup.retry_in = min(setup.retry_in * 2, MOUNT_RETRY_MAX)
                self._reconcile_volumes(ps, now)
                return
            setup.retry_in = MOUNT_RETRY_INITIAL  # the operations succeeded: their back-off is forgotten
            if setup.polling and not now:
                self._volumes_mounted(ps)

        self._after(ps, setup.retry_in, retry)

    def _volumes_mounted(self, ps: PodState) -> None:
        self._volume_setups.pop(ps.uid, None)
        self._start_sandbox(ps)
