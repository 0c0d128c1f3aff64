"""Tests of attnbook.dates: the formats say what they mean, the split holds dates out."""

import datetime as dt
import re

import numpy as np
import pytest

from attnbook import dates as D

# Each format read back with the standard library, independently of the code that writes it.
STRPTIME = {
    "d MMMM yyyy": "%d %B %Y",
    "MMMM d, yyyy": "%B %d, %Y",
    "MMM d, yyyy": "%b %d, %Y",
    "dddd d MMM yy": "%A %d %b %y",
    "dddd, MMMM d, yyyy": "%A, %B %d, %Y",
    "the dth of MMMM yyyy": "the %d of %B %Y",  # after removing st/nd/rd/th
    "dd-MMM-yy": "%d-%b-%y",
    "dd.mm.yyyy": "%d.%m.%Y",
    "mm/dd/yyyy": "%m/%d/%Y",
    "yyyy/mm/dd": "%Y/%m/%d",
    "ddmmyyyy": "%d%m%Y",
}


def parse(text: str, fmt: str) -> dt.date:
    text = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text, flags=re.IGNORECASE)
    date = dt.datetime.strptime(text, STRPTIME[fmt]).date()
    if "%y" in STRPTIME[fmt]:  # strptime's pivot is 1969; the book's two-digit years are 1950-2049
        year = date.year % 100
        date = date.replace(year=1900 + year if year >= 50 else 2000 + year)
    return date


def test_there_are_at_least_eight_formats():
    assert len(D.FORMATS) >= 8
    assert set(D.FORMATS) == set(STRPTIME)


@pytest.mark.parametrize("fmt", list(D.FORMATS))
@pytest.mark.parametrize("case", list(D.CASES))
def test_every_format_writes_the_date_it_was_given(fmt, case):
    rng = np.random.default_rng(1)
    for index in rng.integers(0, D.NUM_DAYS, size=300):
        date = D.FIRST_DAY + dt.timedelta(days=int(index))
        text = D.format_date(date, fmt, case)
        assert parse(text, fmt) == date, text
        assert len(text) <= D.MAX_INPUT_LENGTH


def test_examples_from_the_chapter():
    date = dt.date(2026, 11, 23)
    assert D.format_date(date, "d MMMM yyyy") == "23 November 2026"
    assert D.format_date(date, "MMM d, yyyy", "lower") == "nov 23, 2026"
    assert D.format_date(date, "dddd d MMM yy", "lower") == "monday 23 nov 26"
    assert D.format_date(date, "dd.mm.yyyy") == "23.11.2026"
    assert D.format_date(dt.date(2001, 3, 2), "the dth of MMMM yyyy", "upper") == "THE 2ND OF MARCH 2001"
    assert D.iso(date) == "2026-11-23"


@pytest.mark.parametrize("day,text", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"),
                                      (12, "12th"), (13, "13th"), (21, "21st"), (22, "22nd"),
                                      (23, "23rd"), (30, "30th"), (31, "31st")])
def test_ordinals(day, text):
    assert D.format_date(dt.date(2000, 1, day), "the dth of MMMM yyyy").split()[1] == text


def test_two_digit_years_cover_1950_to_2049():
    assert D.format_date(dt.date(1950, 1, 1), "dd-MMM-yy") == "01-Jan-50"
    assert D.format_date(dt.date(2049, 12, 31), "dd-MMM-yy") == "31-Dec-49"
    assert D.NUM_DAYS == 36525


def test_held_out_days_are_a_fixed_tenth_disjoint_from_training():
    held = D.held_out_days()
    train = D.training_days()
    assert len(held) == round(0.1 * D.NUM_DAYS)
    assert len(np.intersect1d(held, train)) == 0
    assert len(held) + len(train) == D.NUM_DAYS
    np.testing.assert_array_equal(held, D.held_out_days())  # fixed by its seed
    assert not np.array_equal(held, D.held_out_days(seed=1))


def test_training_samples_never_use_held_out_dates():
    held = {D.iso(D.FIRST_DAY + dt.timedelta(days=int(d))) for d in D.held_out_days()}
    _, targets, _ = D.sample(5000, np.random.default_rng(0))
    assert not held & set(targets)


def test_sample_is_reproducible_and_mixes_formats_and_cases():
    a = D.sample(400, np.random.default_rng(5))
    b = D.sample(400, np.random.default_rng(5))
    assert a == b
    assert set(a[2]) == set(D.FORMATS)
    inputs = a[0]
    assert any(t.islower() for t in inputs) and any(t.isupper() for t in inputs)


def test_test_set_is_held_out_and_balanced():
    inputs, targets, formats = D.test_set(per_format=40)
    held = {D.iso(D.FIRST_DAY + dt.timedelta(days=int(d))) for d in D.held_out_days()}
    assert set(targets) <= held
    assert len(inputs) == 40 * len(D.FORMATS)
    assert all(formats.count(f) == 40 for f in D.FORMATS)
    for text, target, fmt in zip(inputs, targets, formats):
        assert D.iso(parse(text, fmt)) == target


def test_encode_and_decode():
    ids = D.encode_inputs(["23.11.2026", "Nov 1"])
    assert ids.shape == (2, D.MAX_INPUT_LENGTH) and ids.dtype == np.int64
    assert (ids[1, 5:] == D.PAD).all() and (ids[1, :5] != D.PAD).all()
    assert "".join(D.INPUT_CHARS[i] for i in ids[0, :10]) == "23.11.2026"
    targets = D.encode_targets(["2026-11-23"])
    assert D.decode_outputs(targets) == ["2026-11-23"]


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="not one the model knows"):
        D.encode_inputs(["23 Nov 2026!"])
    with pytest.raises(ValueError, match="at most 32"):
        D.encode_inputs(["x" * 33])
    with pytest.raises(ValueError, match="empty"):
        D.encode_inputs([""])
    with pytest.raises(TypeError, match="list of strings"):
        D.encode_inputs("23.11.2026")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        D.encode_targets(["2026/11/23"])
    with pytest.raises(ValueError, match="unknown format"):
        D.format_date(dt.date(2000, 1, 1), "yyyy")
    with pytest.raises(ValueError, match="outside"):
        D.format_date(dt.date(2050, 1, 1), "dd.mm.yyyy")
    with pytest.raises(TypeError, match="Generator"):
        D.sample(3, 42)


def test_all_held_out_is_every_held_out_day_format_and_case():
    inputs, targets, formats = D.all_held_out()
    assert len(inputs) == len(D.held_out_days()) * len(D.FORMATS) * len(D.CASES) == 120_516
    assert len(set(inputs)) > 0.7 * len(inputs)  # numeric formats are the same in every case
    held = {D.iso(D.FIRST_DAY + dt.timedelta(days=int(d))) for d in D.held_out_days()}
    assert set(targets) == held
    assert formats.count("ddmmyyyy") == len(inputs) // len(D.FORMATS)
