"""The base form refuses text no browser could have typed: a NUL, or bytes that are not valid
UTF-8 (a lone surrogate among them), on every form, keeping the rest of what was typed."""

from urllib.parse import quote

import pytest
from sqlalchemy import select

from partyschool.accounts.models import Role
from partyschool.candidates.reports.models import ThoughtReport
from partyschool.web.forms import INVALID_TEXT, is_invalid_text
from tests.factories import make_candidate, make_user, reread


@pytest.fixture
def activist(session, school):
    """An activist `stu` with a record, who may hand in thought reports."""
    student = make_user(session, Role.ACTIVIST, school, username="stu")
    make_candidate(session, school, user=student, days_in_stage=200)
    session.commit()


def post_raw(client, title: bytes, body: bytes = b"keep+this+text"):
    """POST the thought report form as a urlencoded body of exactly these bytes."""
    token = quote(client.csrf_token("/my/thought-reports")).encode()
    data = b"csrf_token=" + token + b"&title=" + title + b"&body=" + body
    return client.raw.post(
        "/my/thought-reports", data=data, content_type="application/x-www-form-urlencoded"
    )


@pytest.mark.parametrize(
    "title",
    [
        b"surrogate+%ED%A0%80",  # a lone surrogate, UTF-8 encoded
        b"x%00y",  # a NUL
        b"bad+%FF+byte",  # a byte that starts no UTF-8 character
    ],
)
def test_invalid_characters_are_refused_and_the_rest_is_kept(client, session, activist, title):
    client.login("stu")
    response = post_raw(client, title)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and INVALID_TEXT in page
    assert "keep this text" in page
    assert reread(session).scalars(select(ThoughtReport)).all() == []


def test_raw_undecodable_bytes_store_nothing(client, session, activist):
    client.login("stu")
    post_raw(client, b"\xed\xa0\x80")
    assert reread(session).scalars(select(ThoughtReport)).all() == []


def test_valid_text_with_percent_signs_and_rare_characters_is_accepted(client, session, activist):
    client.login("stu")
    title = quote("增长50%，%E4%B8%AD 䶮𠮷").encode()
    assert post_raw(client, title).status_code == 302
    [report] = reread(session).scalars(select(ThoughtReport)).all()
    assert report.title == "增长50%，%E4%B8%AD 䶮𠮷"


def test_which_texts_are_invalid():
    assert is_invalid_text("a\udcedb") and is_invalid_text("a\ufffdb")
    assert not is_invalid_text("100%") and not is_invalid_text("%41%42")
