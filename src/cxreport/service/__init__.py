"""Use cases: ingest records and events, search, export, contact history, SLAs, tenants, credentials. Each
takes typed values (a `SearchRequest`, a request body's bytes, ids) and returns values (a `SearchResult`,
counts, stored JSON text); no HTTP and no SQL here.

May import: `store`, `records`, `metrics` and the shared modules (never `http` or `cli`).
"""
