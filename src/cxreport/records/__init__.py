"""What an interaction record is: its shape (`schema.py`), validation into the exact text stored
(`validate.py`), the one registry of facets it exposes to searches (`facets.py`), the filter grammar over them
(`filters.py`), what the stores keep of it (`stored.py`) and its CSV row (`csv.py`).

May import: `metrics` and the shared modules (never `store`, `service`, `http` or `cli`).
"""
