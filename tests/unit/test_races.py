"""retry_lost_races: a change that lost a race is tried again, each loss is told to `on_lost`, and one that
keeps losing becomes a conflict."""

from __future__ import annotations

import pytest

from chalicelib import errors
from chalicelib.races import LostRaceError, retry_lost_races


class OtherError(Exception):
    pass


def test_each_lost_attempt_is_told_and_the_next_one_sees_what_it_changed() -> None:
    heard: list[BaseException] = []
    tries: list[bool] = []

    def change() -> str:
        tries.append(not heard)
        if len(tries) < 3:
            raise LostRaceError() if len(tries) == 1 else OtherError()
        return "done"

    # Given a change that loses twice, in two ways
    result = retry_lost_races(change, (LostRaceError, OtherError), "conflict", on_lost=heard.append)
    # Then it is tried three times, both losses are heard in order, and its result is returned
    assert result == "done"
    assert [type(exc) for exc in heard] == [LostRaceError, OtherError]
    assert tries == [True, False, False]


def test_a_change_that_keeps_losing_is_a_conflict_and_other_errors_pass_through() -> None:
    heard: list[BaseException] = []

    def losing() -> None:
        raise LostRaceError()

    with pytest.raises(errors.ConflictError, match="try again"):
        retry_lost_races(losing, LostRaceError, "try again", attempts=2, on_lost=heard.append)
    assert len(heard) == 2

    def broken() -> None:
        raise OtherError()

    with pytest.raises(OtherError):
        retry_lost_races(broken, LostRaceError, "try again", on_lost=heard.append)
    assert len(heard) == 2
