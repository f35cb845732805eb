"""oumi's own config classes, imported once in the background so no answer waits for them.

The first validate_config / pre_flight_check answers from the index (oumi_index) in well under a
second and then starts this import (several seconds: oumi pulls in torch and transformers);
later calls, once it is done, also run oumi's own loader and `finalize_and_validate()`.
"""

from __future__ import annotations

import logging
import sys
import threading

logger = logging.getLogger(__name__)
_lock = threading.Lock()
_done = threading.Event()
_thread: threading.Thread | None = None
_error: str | None = None
_MODULES = ("oumi.core.configs", "oumi.analyze.config")


def _import() -> None:
    global _error
    try:
        import importlib

        for name in _MODULES:
            importlib.import_module(name)
    except Exception as exc:  # a broken oumi install: deep checks are reported unavailable
        _error = f"{type(exc).__name__}: {exc}"[:300]
        logger.warning("oumi's config classes did not import: %s", _error)
    finally:
        _done.set()


def _imported(name: str) -> bool:
    """Fully imported (a module another thread is still importing is in sys.modules too)."""
    module = sys.modules.get(name)
    spec = getattr(module, "__spec__", None)
    return module is not None and not getattr(spec, "_initializing", False)


def ready() -> bool:
    """oumi's config classes are importable without waiting."""
    if _done.is_set():
        return _error is None
    return all(_imported(name) for name in _MODULES)


def error() -> str | None:
    return _error


def start() -> None:
    """Begin importing oumi in a daemon thread (once per process)."""
    global _thread
    with _lock:
        if _thread is None and not ready():
            _thread = threading.Thread(target=_import, name="oumi-warmup", daemon=True)
            _thread.start()


def wait(timeout: float | None = None) -> bool:
    """Import now (or wait for the background import); True when oumi is usable."""
    if ready():
        return True
    start()
    _done.wait(timeout)
    return ready()
