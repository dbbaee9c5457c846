"""Named, swappable implementations (backends), chosen for a block of code.

fsimlib has two such choices: the FFT engine (:mod:`fsimlib.backends._fft`) and the
inner loops (:mod:`fsimlib.backends._loops`).  Each is a :class:`Seam`: a registry
of named backends, best first, loaded on first use; a context variable that
holds the name chosen by the innermost :meth:`Seam.use` block; and
:meth:`Seam.get`, which returns the backend in force.  The design follows
``scipy.fft``'s backend seam (``scipy.fft.set_backend``).

A context variable is local to a thread (and to an ``asyncio`` task), so a
choice made on one thread does not reach threads that fsimlib starts on its
own.  :func:`carry_context` wraps work submitted to those threads so that it
runs in a copy of the submitting thread's context: the choice in force where
the user called fsimlib applies to all of that call's work.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Generic, ParamSpec, TypeVar

B = TypeVar("B")
P = ParamSpec("P")
R = TypeVar("R")


class Seam(Generic[B]):
    """A registry of named backends and the choice among them in force.

    Parameters
    ----------
    kind : str
        What the backends are, for messages (``"FFT engine"``).
    loaders : mapping of str to callable
        The backends by name, best first.  A loader returns the backend, or
        ``None`` where it cannot work here (a library that fails to
        import); it is called at most once.
    requirements : mapping of str to str, optional
        For a backend whose loader may return ``None``: what it needs, for
        the message that says it is not available.
    """

    def __init__(
        self,
        kind: str,
        loaders: Mapping[str, Callable[[], B | None]],
        requirements: Mapping[str, str] | None = None,
    ) -> None:
        self.kind = kind
        self._loaders = dict(loaders)
        self._requirements = dict(requirements or {})
        self._loaded: dict[str, B | None] = {}
        self._best_name: str | None = None
        self._lock = threading.Lock()
        self._selected: contextvars.ContextVar[str | None] = contextvars.ContextVar(
            f"fsimlib {kind}", default=None
        )

    @property
    def names(self) -> tuple[str, ...]:
        """Every registered name, available here or not, best first."""
        return tuple(self._loaders)

    def _load(self, name: str) -> B | None:
        # Lock-free once loaded: reading a dict entry is atomic.
        if name in self._loaded:
            return self._loaded[name]
        with self._lock:
            if name not in self._loaded:
                self._loaded[name] = self._loaders[name]()
            return self._loaded[name]

    def available(self) -> tuple[str, ...]:
        """Names of the backends that work here, best first."""
        return tuple(name for name in self._loaders if self._load(name) is not None)

    def loaded(self) -> tuple[B, ...]:
        """Return the backends loaded so far."""
        with self._lock:
            return tuple(b for b in self._loaded.values() if b is not None)

    def _require(self, name: object) -> tuple[str, B]:
        if not isinstance(name, str):
            msg = f"{self.kind} name must be a str, got {type(name).__name__}"
            raise TypeError(msg)
        if name not in self._loaders:
            msg = f"Unknown {self.kind} {name!r}; available: {self.available()}"
            raise ValueError(msg)
        backend = self._load(name)
        if backend is None:
            needs = self._requirements.get(name, "what it needs")
            msg = (
                f"{self.kind} {name!r} is not available: {needs} failed to "
                f"import; available: {self.available()}"
            )
            raise ValueError(msg)
        return name, backend

    def check(self, name: object) -> str:
        """Return ``name`` if it names a backend that works here; else raise.

        Raises
        ------
        TypeError
            If ``name`` is not a str.
        ValueError
            If no backend has that name, or it cannot work here.
        """
        return self._require(name)[0]

    def get(self, name: str | None = None) -> B:
        """Return the backend ``name``, or the one in force.

        The one in force is that of the innermost :meth:`use` block of the
        current context, else the best available.
        """
        if name is None:
            name = self._selected.get() or self._best()
        return self._require(name)[1]

    def _best(self) -> str:
        # Loaders run once, so the best name never changes once known.
        if self._best_name is None:
            self._best_name = self.available()[0]
        return self._best_name

    def use(self, name: str) -> contextlib.AbstractContextManager[None]:
        """Choose the backend ``name`` for a ``with`` block.

        The name is checked (and the backend loaded) here, before the block.
        """
        return self._scoped(self.check(name))

    @contextlib.contextmanager
    def _scoped(self, name: str) -> Iterator[None]:
        token = self._selected.set(name)
        try:
            yield
        finally:
            self._selected.reset(token)


def carry_context(function: Callable[P, R]) -> Callable[P, R]:
    """Wrap ``function`` to run in a copy of the caller's context.

    The context (and so every :meth:`Seam.use` choice in force) is taken
    when ``carry_context`` is called, on the submitting thread; each call
    of the wrapper runs in its own copy, so calls may run on several
    threads at once.
    """
    context = contextvars.copy_context()

    @functools.wraps(function)
    def in_context(*args: P.args, **kwargs: P.kwargs) -> R:
        return context.copy().run(function, *args, **kwargs)

    return in_context
