"""JupyterLab server configuration for the Galata tests (started by playwright.config.js)."""
from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821

# CI runs as root.
c.ServerApp.allow_root = True  # noqa: F821
# Quiet, and no browser.
c.ServerApp.open_browser = False  # noqa: F821
c.LabApp.news_url = None  # noqa: F821
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"  # noqa: F821
