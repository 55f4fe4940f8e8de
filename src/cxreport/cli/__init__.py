"""The `cxreport` command (`cli/main.py`) and its bulk work: importing record and event files, exporting to a
file, the demo and its synthetic data, progress on the terminal. Errors become one line on stderr here.

May import: every other layer (service, store, records, metrics, the shared modules) and `http`, to serve.
"""
