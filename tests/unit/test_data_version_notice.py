"""models.audit tells listeners once a transaction that bumped the data version has committed, and only then."""
from __future__ import annotations

import pytest

from models import audit
from models.audit import bump_data_version, current_data_version


@pytest.fixture
def notices(monkeypatch):
    """The engines listeners were told about, in order."""
    told = []
    monkeypatch.setattr(audit, "_COMMITTED", [told.append])
    return told


def test_listeners_hear_of_a_bump_after_the_outermost_commit_only(session, notices):
    before = current_data_version(session)
    session.commit()
    assert notices == []  # a commit without a bump says nothing

    savepoint = session.begin_nested()
    bump_data_version(session)
    savepoint.commit()
    assert notices == [], "a savepoint's release is not the commit: readers must not look before it"
    session.commit()
    assert notices == [session.get_bind()]
    assert current_data_version(session) == before + 1


def test_a_rollback_forgets_the_bump_but_a_savepoints_does_not(session, notices):
    bump_data_version(session)
    session.rollback()
    session.commit()
    assert notices == []

    bump_data_version(session)
    savepoint = session.begin_nested()
    savepoint.rollback()
    session.commit()
    assert len(notices) == 1, "the outer transaction's bump still committed"


def test_a_failing_listener_does_not_fail_the_committed_write(session, monkeypatch):
    def broken(_engine):
        raise RuntimeError("listener down")

    monkeypatch.setattr(audit, "_COMMITTED", [broken])
    before = current_data_version(session)
    bump_data_version(session)
    session.commit()
    assert current_data_version(session) == before + 1
