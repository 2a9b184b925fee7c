"""`python server.py [options of streamlit run]`: the app, with its shared work done before it listens.

`streamlit run streamlit_app.py` works as well (Streamlit Community Cloud runs that); this launcher
first imports what every page needs (torch alone takes about two seconds) and fills the caches all
sessions share (the data, the default models, the Home page's demos), so that a fresh server's first
visitor does not wait for them. `make run` and `make serve` start the app this way.
"""
import logging
import sys


def warm_up() -> None:
    """Import the pages' modules and fill the shared caches, outside any session."""
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    logging.getLogger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)
    from pages.ui import classmode, data, live_chart, train_views  # noqa: F401 (imported to be ready)

    data.warm_up()
    classmode.store()


def main(argv: list[str]) -> int:
    from streamlit.web import cli

    warm_up()
    return cli.main(args=["run", "streamlit_app.py", *argv], prog_name="streamlit", standalone_mode=False) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
