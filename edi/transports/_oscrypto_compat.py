"""Let oscrypto 1.3.0 load on OpenSSL versions with a two-digit part ("3.0.19").

Why: pyas2lib signs and encrypts with oscrypto. oscrypto 1.3.0, the latest release
on PyPI, finds the libcrypto version with the regex ``\\b(\\d\\.\\d\\.\\d[a-z]*)\\b``,
which matches no version of "OpenSSL 3.0.10" and later, so ``import pyas2lib``
fails with ``LibraryNotFoundError: Error detecting the version of libcrypto``
(upstream issues wbond/oscrypto#75 and #78). oscrypto's master branch fixed the
regex to ``\\b(\\d+\\.\\d+\\.\\d+[a-z]*)\\b`` but no release carries it yet.

How: when, and only when, the installed module fails on exactly that error, its
source is read through importlib, that one literal is replaced, and the result is
compiled and registered in ``sys.modules`` under its own name, so that oscrypto's
``from ._libcrypto_cffi import …`` finds it. Site-packages are never written (CI
installs from PyPI on a fresh machine). An oscrypto that loads, a backend other
than OpenSSL (macOS, Windows) or a source without the old literal are left alone.

Delete this module, and its call in ``edi/transports/as2.py``, once an oscrypto
release with the fixed regex (> 1.3.0) is pinned.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

# The literals exactly as they are written in oscrypto/_openssl/_libcrypto_{cffi,ctypes}.py.
_VERSION_REGEX_BROKEN = r"'\\b(\\d\\.\\d\\.\\d[a-z]*)\\b'"
_VERSION_REGEX_FIXED = r"'\\b(\\d+\\.\\d+\\.\\d+[a-z]*)\\b'"
_VERSION_ERROR = "Error detecting the version of libcrypto"


def oscrypto_libcrypto_load() -> bool:
    """Make sure oscrypto's libcrypto binding is loaded; patch its version regex if needed.

    Call before the first import of pyas2lib (or of ``oscrypto.asymmetric``).
    Returns True when the patched module was installed, False when oscrypto works
    as released (or is not on OpenSSL). Idempotent. Any other failure of oscrypto
    (no libcrypto at all, for instance) is raised unchanged.
    """
    import oscrypto
    from oscrypto.errors import LibraryNotFoundError

    if oscrypto.backend() != "openssl":
        return False
    # ffi() is fixed from here on: oscrypto.use_ctypes() refuses once backend() ran.
    module_name = f"oscrypto._openssl._libcrypto_{oscrypto.ffi()}"
    if module_name in sys.modules:
        return False
    try:
        importlib.import_module(module_name)
    except LibraryNotFoundError as error:
        if str(error) != _VERSION_ERROR:
            raise
        if not _module_with_fixed_regex_load(module_name):
            raise
        return True
    return False


def _module_with_fixed_regex_load(module_name: str) -> bool:
    # A failed import leaves nothing in sys.modules, so the name is free.
    spec = importlib.util.find_spec(module_name)
    if spec is None or spec.loader is None or spec.origin is None:
        return False
    source = spec.loader.get_source(module_name)  # type: ignore[attr-defined]
    if not source or _VERSION_REGEX_BROKEN not in source:
        return False
    code = compile(source.replace(_VERSION_REGEX_BROKEN, _VERSION_REGEX_FIXED), spec.origin, "exec")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        exec(code, module.__dict__)
    except BaseException:
        del sys.modules[module_name]
        raise
    # What the import system does after loading a submodule.
    parent_name, _, child_name = module_name.rpartition(".")
    setattr(sys.modules[parent_name], child_name, module)
    return True
