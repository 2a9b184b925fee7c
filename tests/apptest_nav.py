"""AppTest runs every page through streamlit_app.py, as the server does.

Streamlit decides `PagesManager.uses_pages_directory` from whether a `pages/` folder sits next to
the entrypoint, and only an `st.navigation` call turns it off. AppTest resets it before every
run, so from a test's second `run()` on it would execute the page file alone and skip
streamlit_app.py (its sidebar and URL sync). This fixture keeps it off, which is the server's
state once streamlit_app.py has run: the app always registers its pages with st.navigation.
"""
import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from harness.server import ROOT

APP = str(ROOT / "streamlit_app.py")


@pytest.fixture
def entrypoint_every_run(monkeypatch):
    init = PagesManager.__init__

    def patched(self, *args, **kwargs):
        init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", patched)
    yield
    PagesManager.uses_pages_directory = None


def open_page(page: str | None = None, timeout: float = 180, **query) -> AppTest:
    """A new session opened on a link: the app's `page` (e.g. "pages/train.py"; None: Home) with
    the query parameters `query`, after its first run."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for k, v in query.items():
        at.query_params[k] = str(v)
    at.run()
    return at.switch_page(page).run() if page else at



def metric(at: AppTest, label: str, prefix: bool = False) -> str:
    """The value of the metric labelled `label` (or whose label starts with it)."""
    return next(m.value for m in at.metric if (m.label.startswith(label) if prefix else m.label == label))
