"""locolens: gait and locomotion biomechanics analysis for LocoHub-standard datasets in JupyterLab.

The Python package ships the prebuilt JupyterLab extension (``share/jupyter/labextensions/locolens``).
"""

try:
    from ._version import __version__
except ImportError:  # pragma: no cover - only in a source tree that was never built
    import warnings

    warnings.warn("Importing 'locolens' outside a proper installation.")
    __version__ = "dev"


from .widgets import MIME_TYPE, LocolensView, read_features, show  # noqa: E402
from .analysis import Analysis, LocolensError, ResultsPending, analyze  # noqa: E402

__all__ = [
    "MIME_TYPE",
    "Analysis",
    "LocolensError",
    "LocolensView",
    "ResultsPending",
    "analyze",
    "read_features",
    "show",
    "__version__",
]


def _jupyter_labextension_paths():
    """Tell JupyterLab where the prebuilt extension lives."""
    return [{"src": "labextension", "dest": "locolens"}]
