"""A Dask worker's start (``dask worker … --preload earnings_brief.worker``): the imports that its
notebook, assembly and PDF jobs need, and its kernel fork server, paid once when the worker starts
instead of by its first jobs, as the local pool's workers inherit them from the build."""

from __future__ import annotations

import contextlib


def dask_setup(worker) -> None:  # noqa: ARG001  Dask's preload hook takes the worker
    from . import kernels

    kernels.ensure()  # imports the notebooks' stack in its own process, meanwhile
    import papermill  # noqa: F401
    from nbconvert import HTMLExporter  # noqa: F401

    from . import assemble, executors  # noqa: F401

    with contextlib.suppress(ImportError, OSError):  # no Pango here: the PDF job says so itself
        import weasyprint  # noqa: F401
