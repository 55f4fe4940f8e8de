"""`bodies.joined`: a page's documents between their envelope's head and tail, made in one allocation, equal to
the plain concatenation for any number of documents."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from cxreport.http.bodies import joined

documents = st.lists(st.binary(max_size=40), max_size=12)


@given(head=st.binary(max_size=20), docs=documents, tail=st.binary(max_size=20))
def test_joined_is_head_documents_separated_by_commas_then_tail(head: bytes, docs: list[bytes], tail: bytes) -> None:
    assert joined(head, docs, tail) == head + b",".join(docs) + tail


def test_joined_envelopes_parse_with_none_one_and_many_records() -> None:
    for count in (0, 1, 2, 5):
        docs = [json.dumps({"n": n}).encode() for n in range(count)]
        body = joined(b'{"results":[', docs, b'],"next":null}')
        assert json.loads(body) == {"results": [{"n": n} for n in range(count)], "next": None}
