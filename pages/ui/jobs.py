"""Heavy work for a page (mnist37.jobs): done within the page view when it fits the budget,
otherwise by the server's background job, shown as a progress bar until it is done."""
from __future__ import annotations

from typing import Callable, Hashable

import streamlit as st

from mnist37.jobs import SYNC_BUDGET, Busy, Job, Jobs


@st.cache_resource
def server_jobs() -> Jobs:
    """The process's one job queue, shared by every session."""
    return Jobs()


def result(key: Hashable, work: Callable[[Job], object], cost: int, label: str):
    """The result of `work` for `key`, or None while a background job computes it (a progress
    bar then follows the job, and the page reruns when it is done). An error is shown in one
    sentence and gives None too."""
    try:
        job = server_jobs().submit(key, work, here=cost <= SYNC_BUDGET)
    except Busy as e:
        st.warning(str(e), icon="⏳")
        return None
    if job.done:
        if job.error is not None:
            st.error(f"{label} failed: {job.error}")
            return None
        return job.result

    def follow() -> None:
        if job.done:
            st.rerun()  # the whole page, which now finds the result
        st.progress(job.progress, text=f"{label} in the background ({cost:,} steps): {job.progress:.0%}. "
                                       f"The rest of the app works meanwhile.")

    st.fragment(follow, run_every=0.5)()
    return None
