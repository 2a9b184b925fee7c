"""What the pages share on the Streamlit side: cached data, the session's state, clicks, the
shareable link, presentation mode, routing and the live chart. The rules behind them live in
`mnist37`; these modules only hold them in Streamlit's caches and session state."""
