"""Who the current request acts as, for the checks that live inside the API's storage (RBAC's escalation
prevention) rather than in front of it. Unset (None) means an engine component, which is trusted."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from .user import UserInfo

CURRENT: ContextVar[UserInfo | None] = ContextVar("k9py_rbac_user", default=None)


@contextlib.contextmanager
def acting_as(user: UserInfo | None) -> Iterator[None]:
    token = CURRENT.set(user)
    try:
        yield
    finally:
        CURRENT.reset(token)
