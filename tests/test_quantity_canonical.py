"""`Quantity`'s formats and canonical form, ported from apimachinery `pkg/api/resource/quantity_test.go`
(TestQuantityString, TestQuantityParseEmit, TestQuantityParse's formats, TestQuantityAddZeroPreservesSuffix,
TestAdd, TestQuantityRoundUp), plus what a real API server (v1.36.2) stored for the same manifest values."""

from __future__ import annotations

from fractions import Fraction

import pytest

from engine.quantity import (
    BINARY_SI,
    DECIMAL_EXPONENT,
    DECIMAL_SI,
    Quantity,
    canonical_quantity,
    json_number_text,
    round_up,
)


def dec(mantissa: int, exponent: int) -> Fraction:
    return Fraction(mantissa) * Fraction(10) ** exponent


# TestQuantityString: (value, format, canonical text, an alternate spelling that canonicalizes to it).
STRING_TABLE = [
    (dec(1024 * 1024 * 1024, 0), BINARY_SI, "1Gi", "1024Mi"),
    (dec(300 * 1024 * 1024, 0), BINARY_SI, "300Mi", "307200Ki"),
    (dec(6 * 1024, 0), BINARY_SI, "6Ki", ""),
    (dec(1001 * 1024 * 1024 * 1024, 0), BINARY_SI, "1001Gi", "1025024Mi"),
    (dec(1024 * 1024 * 1024 * 1024, 0), BINARY_SI, "1Ti", "1024Gi"),
    (dec(5, 0), BINARY_SI, "5", "5000m"),
    (dec(500, -3), BINARY_SI, "500m", "0.5"),
    (dec(1, 9), DECIMAL_SI, "1G", "1000M"),
    (dec(1000, 6), DECIMAL_SI, "1G", "0.001T"),
    (dec(1000000, 3), DECIMAL_SI, "1G", ""),
    (dec(1000000000, 0), DECIMAL_SI, "1G", ""),
    (dec(1, -3), DECIMAL_SI, "1m", "1000u"),
    (dec(80, -3), DECIMAL_SI, "80m", ""),
    (dec(1080, -3), DECIMAL_SI, "1080m", "1.08"),
    (dec(108, -2), DECIMAL_SI, "1080m", "1080000000n"),
    (dec(10800, -4), DECIMAL_SI, "1080m", ""),
    (dec(300, 6), DECIMAL_SI, "300M", ""),
    (dec(1, 12), DECIMAL_SI, "1T", ""),
    (dec(1234567, 6), DECIMAL_SI, "1234567M", ""),
    (dec(1234567, -3), BINARY_SI, "1234567m", ""),
    (dec(3, 3), DECIMAL_SI, "3k", ""),
    (dec(1025, 0), BINARY_SI, "1025", ""),
    (dec(0, 0), DECIMAL_SI, "0", ""),
    (dec(0, 0), BINARY_SI, "0", ""),
    (dec(1, 9), DECIMAL_EXPONENT, "1e9", ".001e12"),
    (dec(1, -3), DECIMAL_EXPONENT, "1e-3", "0.001e0"),
    (dec(1, -9), DECIMAL_EXPONENT, "1e-9", "1000e-12"),
    (dec(80, -3), DECIMAL_EXPONENT, "80e-3", ""),
    (dec(300, 6), DECIMAL_EXPONENT, "300e6", ""),
    (dec(1, 12), DECIMAL_EXPONENT, "1e12", ""),
    (dec(1, 3), DECIMAL_EXPONENT, "1e3", ""),
    (dec(3, 3), DECIMAL_EXPONENT, "3e3", ""),
    (dec(3, 3), DECIMAL_SI, "3k", ""),
    (dec(0, 0), DECIMAL_EXPONENT, "0", "00"),
    (dec(1, -9), DECIMAL_SI, "1n", ""),
    (dec(80, -9), DECIMAL_SI, "80n", ""),
    (dec(1080, -9), DECIMAL_SI, "1080n", ""),
    (dec(108, -8), DECIMAL_SI, "1080n", ""),
    (dec(10800, -10), DECIMAL_SI, "1080n", ""),
    (dec(1, -6), DECIMAL_SI, "1u", ""),
    (dec(80, -6), DECIMAL_SI, "80u", ""),
    (dec(1080, -6), DECIMAL_SI, "1080u", ""),
]


@pytest.mark.parametrize(("value", "fmt", "expect", "alternate"), STRING_TABLE)
def test_quantity_string(value: Fraction, fmt: str, expect: str, alternate: str) -> None:
    assert str(Quantity(value, fmt)) == expect
    parsed = Quantity.parse(expect)
    assert str(parsed) == expect
    assert parsed == Quantity(value, fmt)
    if alternate:
        assert str(Quantity.parse(alternate)) == expect
    if value:
        assert str(Quantity(-value, fmt)) == "-" + expect  # never "-0"


# TestQuantityParseEmit.
PARSE_EMIT_TABLE = [
    ("1Ki", "1Ki"),
    ("1Mi", "1Mi"),
    ("1Gi", "1Gi"),
    ("1024Mi", "1Gi"),
    ("1000M", "1G"),
    (".001Ki", "1024m"),
    (".000001Ki", "1024u"),
    (".000000001Ki", "1024n"),
    (".000000000001Ki", "2n"),
]


@pytest.mark.parametrize(("text", "expect"), PARSE_EMIT_TABLE)
def test_parse_emit(text: str, expect: str) -> None:
    assert str(Quantity.parse(text)) == expect
    assert str(Quantity.parse("-" + text)) == "-" + expect


# TestQuantityParse: the format each spelling is remembered in.
FORMAT_TABLE = [
    ("0", DECIMAL_SI),
    ("0m", DECIMAL_SI),
    ("0Ki", BINARY_SI),
    ("0Mi", BINARY_SI),
    ("1", DECIMAL_SI),
    ("1Ki", BINARY_SI),
    ("3Ei", BINARY_SI),
    ("5n", DECIMAL_SI),
    ("1E", DECIMAL_SI),
    ("1E-3", DECIMAL_EXPONENT),
    ("1e3", DECIMAL_EXPONENT),
    ("1E18", DECIMAL_EXPONENT),
    ("100.035k", DECIMAL_SI),
    ("0.5e-1", DECIMAL_EXPONENT),
    ("1.3E+6", DECIMAL_EXPONENT),
    ("1.01E", DECIMAL_SI),
    ("1.1E-9", DECIMAL_EXPONENT),
    ("9Ei", BINARY_SI),
    ("12E", DECIMAL_SI),
    ("100.035Ki", BINARY_SI),
    ("0.5Mi", BINARY_SI),
    ("0.000000000001Ki", DECIMAL_SI),  # rounds up to 2n, and a binary amount below 1 becomes DecimalSI
    (".001", DECIMAL_SI),
    ("1.G", DECIMAL_SI),
]


@pytest.mark.parametrize(("text", "fmt"), FORMAT_TABLE)
def test_parse_format(text: str, fmt: str) -> None:
    assert Quantity.parse(text).format == fmt
    assert Quantity.parse("-" + text).format == fmt
    assert Quantity.parse("+" + text).format == fmt


def test_zero_parses_and_prints_as_zero() -> None:
    # TestQuantityParseZero, TestQuantityCanocicalizeZero.
    assert str(Quantity.parse("0")) == "0"
    assert str(Quantity(0, DECIMAL_SI)) == "0"
    assert str(Quantity.parse("1000m") + -Quantity.parse("1")) == "0"


@pytest.mark.parametrize("text", ["100m", "1Gi"])
def test_add_zero_preserves_suffix(text: str) -> None:
    # TestQuantityAddZeroPreservesSuffix: either order keeps the non-zero operand's format.
    value, zero = Quantity.parse(text), Quantity.parse("0")
    assert str(value + zero) == text
    assert str(zero + value) == text


@pytest.mark.parametrize(
    ("a", "b", "expected", "fmt"),
    [
        # TestAdd, with the format the sum keeps.
        (Quantity(10, DECIMAL_SI), Quantity(10, DECIMAL_SI), 20, DECIMAL_SI),
        (Quantity(10, DECIMAL_SI), Quantity(1, BINARY_SI), 11, DECIMAL_SI),
        (Quantity(10, BINARY_SI), Quantity(1, DECIMAL_SI), 11, BINARY_SI),
        (Quantity(0, DECIMAL_SI), Quantity(50, DECIMAL_SI), 50, DECIMAL_SI),
        (Quantity(50, DECIMAL_SI), Quantity(0, DECIMAL_SI), 50, DECIMAL_SI),
        (Quantity(0, DECIMAL_SI), Quantity(0, DECIMAL_SI), 0, DECIMAL_SI),
        (Quantity(0, DECIMAL_SI), Quantity(2**30, BINARY_SI), 2**30, BINARY_SI),
    ],
)
def test_add(a: Quantity, b: Quantity, expected: int, fmt: str) -> None:
    total = a + b
    assert total == Quantity(expected)
    assert total.format == fmt


def test_sums_print_canonically() -> None:
    assert str(Quantity.parse("1Gi") + Quantity.parse("512Mi")) == "1536Mi"
    assert str(Quantity.parse("500m") + Quantity.parse("0.5")) == "1"
    assert str(Quantity.parse("250m") + Quantity.parse("1")) == "1250m"
    assert str(Quantity.parse("1") + Quantity.parse("1Gi")) == "1073741825"


def test_compares_by_value() -> None:
    assert Quantity.parse("1") == Quantity.parse("1000m")
    assert Quantity.parse("1Gi") == Quantity.parse("1073741824")
    assert Quantity.parse("1Gi") > Quantity.parse("1G")
    assert hash(Quantity.parse("1")) == hash(Quantity.parse("1000m"))
    assert Quantity.parse("1").milli_value() == 1000
    assert Quantity.parse("1.5Gi").int_value() == 1536 * 2**20


@pytest.mark.parametrize(
    ("text", "scale", "expected"),
    [
        # TestQuantityRoundUp.
        ("9.01", -3, dec(901, -2)),
        ("9.01", -2, dec(901, -2)),
        ("9.01", -1, dec(91, -1)),
        ("9.01", 0, dec(10, 0)),
        ("9.01", 1, dec(10, 0)),
        ("9.01", 2, dec(100, 0)),
        ("-9.01", -3, dec(-901, -2)),
        ("-9.01", -2, dec(-901, -2)),
        ("-9.01", -1, dec(-91, -1)),
        ("-9.01", 0, dec(-10, 0)),
        ("-9.01", 1, dec(-10, 0)),
        ("-9.01", 2, dec(-100, 0)),
    ],
)
def test_round_up(text: str, scale: int, expected: Fraction) -> None:
    assert round_up(Quantity.parse(text), scale).value == expected


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        # The brief's examples.
        ("0.5", "500m"),
        ("1.5Gi", "1536Mi"),
        ("1000m", "1"),
        # `kubectl apply` then `kubectl get -o yaml` against kube-apiserver v1.36.2.
        (0.5, "500m"),
        (1000, "1k"),
        (2e9, "2G"),
        (1e21, "1e+21"),
        (1.5e300, "1500e297"),
        ("1024Mi", "1Gi"),
        (" 2 ", "2"),  # UnmarshalJSON trims spaces
        ("1.0", "1"),
        ("0.5Gi", "512Mi"),
        # Text Go's fast path already calls canonical is stored exactly as written.
        ("+1", "+1"),
        ("05", "05"),
        ("1E3", "1E3"),
        ("+1Ki", "+1Ki"),
        ("100m", "100m"),
        ("1e3", "1e3"),
    ],
)
def test_canonical_as_the_api_server_stores_it(raw: object, stored: str) -> None:
    assert canonical_quantity(raw) == stored


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        # SetDefaults_ResourceList rounds every ResourceList value up to a milli-unit (observed on v1.36.2).
        (1e-7, "1e-3"),
        (1.5e-6, "1m"),
        ("100u", "1m"),
        ("1000u", "1m"),
        ("1500u", "2m"),
        ("05", "05"),
        ("250m", "250m"),
    ],
)
def test_resource_lists_round_up_to_milli(raw: object, stored: str) -> None:
    assert canonical_quantity(raw, resource_list=True) == stored


@pytest.mark.parametrize("raw", ["", "1.1.M", "abc", "1i", True, None, [1]])
def test_canonical_refuses_what_is_not_a_quantity(raw: object) -> None:
    with pytest.raises(ValueError):
        canonical_quantity(raw)


@pytest.mark.parametrize(
    ("number", "text"),
    [(2, "2"), (0.5, "0.5"), (1e9, "1000000000"), (1e21, "1e+21"), (1e-7, "1e-7"), (1.5e-6, "0.0000015"),
     (0.0, "0"), (-2.5, "-2.5")],
)
def test_json_number_text_is_encoding_json(number: float, text: str) -> None:
    assert json_number_text(number) == text
