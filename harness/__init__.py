"""What the tests and the benchmarks share: a live streamlit server, Debian's Chromium driven by
Playwright, strokes that draw digits, and readings of processes from /proc. Neither the app nor
the core imports this package."""
