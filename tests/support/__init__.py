"""Helpers shared by the test modules, one small module per concern; fixtures live in `tests/conftest.py`.

- `cli`: the installed `cxreport` console script run in a subprocess, and checks on what it prints.
- `data`: the seed sample and its event streams (`tests/data/seed-events`).
- `errors`: the one JSON error shape, asserted.
- `event_strategies`: hypothesis strategies for valid event streams.
- `postgres`: a fresh PostgreSQL database per session or test.
- `processes`: `cxreport serve` as a real process.
- `seed_derivation`: records derived from the seed's events, compared with the sample's.
- `servers`: cxreport served in a thread of the test process.
- `stores`: tenants, records and pages straight through the `Store` interface.
- `tenants`: tenants with a key of every role.

Test modules import from here (and from `cxreport`), never from one another or from `conftest`:
`tests/test_suite_layout.py` checks it. Modules here import nothing from the test modules.
"""
