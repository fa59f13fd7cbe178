from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from pipeline.timestamps import InvalidTimestamp, parse_timestamp

MADRID = ZoneInfo("Europe/Madrid")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2010-01-02T06:49:00+00:00", datetime(2010, 1, 2, 6, 49, tzinfo=UTC)),
        ("2010-01-02T06:49:00Z", datetime(2010, 1, 2, 6, 49, tzinfo=UTC)),
        ("2010-01-02T01:49:00-05:00", datetime(2010, 1, 2, 6, 49, tzinfo=UTC)),
        (1262414940, datetime(2010, 1, 2, 6, 49, tzinfo=UTC)),
        (1262414940000, datetime(2010, 1, 2, 6, 49, tzinfo=UTC)),
        (1262414940.5, datetime(2010, 1, 2, 6, 49, 0, 500000, tzinfo=UTC)),
        ("1262414940", datetime(2010, 1, 2, 6, 49, tzinfo=UTC)),
        ("1262414940000", datetime(2010, 1, 2, 6, 49, tzinfo=UTC)),
    ],
)
def test_parse_timestamp_forms(value: object, expected: datetime) -> None:
    assert parse_timestamp(value, MADRID) == expected.timestamp()


def test_naive_timestamp_uses_source_zone() -> None:
    winter = parse_timestamp("2021-01-15T10:00:00", MADRID)
    summer = parse_timestamp("2021-07-15T10:00:00", MADRID)
    assert winter == datetime(2021, 1, 15, 9, 0, tzinfo=UTC).timestamp()
    assert summer == datetime(2021, 7, 15, 8, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    "value", ["yesterday", "", "2010-13-45T00:00:00Z", True, None, [1], float("nan"), -5, "1969-12-31T23:00:00Z"]
)
def test_invalid_timestamp_names_value(value: object) -> None:
    with pytest.raises(InvalidTimestamp) as raised:
        parse_timestamp(value, MADRID)
    assert repr(value)[:10] in str(raised.value) or "finite" in str(raised.value) or "1970" in str(raised.value)
