from __future__ import annotations

import os
import random
import zlib
from datetime import timedelta
from fractions import Fraction

import pytest

from mimo.scheduler import spread_offset
from mimo.scheduler.spread import spread_fraction

SEED = int(os.environ.get("MIMO_TEST_SEED", "20261127"))
RID = (
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/"
    "Microsoft.RedHatOpenShift/openShiftClusters/cluster-{}"
)


def expected_offset(resource_id: str, across: timedelta) -> timedelta:
    """Independent: exact rational arithmetic, round half up (no half ever occurs for these IDs)."""
    if across <= timedelta(seconds=1):
        return timedelta(0)
    crc = zlib.crc32(resource_id.lower().encode())
    exact = Fraction(crc, 2**32 - 1) * (Fraction(across.total_seconds()) - 1)
    return timedelta(seconds=int(exact + Fraction(1, 2)))


def test_check_value_by_hand() -> None:
    # the IEEE CRC-32 check value: crc32(b"123456789") == 0xCBF43926 == 3421780262
    assert zlib.crc32(b"123456789") == 0xCBF43926
    # p = 3421780262 / 4294967295 = 0.796694803...; p * 86399 s = 68833.6...
    assert spread_offset("123456789", timedelta(hours=24)) == timedelta(seconds=68834)
    # p * 3599 s = 2867.3 -> 2867
    assert spread_offset("123456789", timedelta(hours=1)) == timedelta(seconds=2867)
    # p * 59 s = 47.005 -> 47
    assert spread_offset("123456789", timedelta(minutes=1)) == timedelta(seconds=47)


def test_lower_cased_before_hashing() -> None:
    rid = RID.format("Alpha")
    assert spread_offset(rid, timedelta(hours=24)) == spread_offset(rid.lower(), timedelta(hours=24))
    assert spread_offset(rid, timedelta(hours=24)) == spread_offset(rid.upper(), timedelta(hours=24))
    assert spread_fraction(rid) == zlib.crc32(rid.lower().encode()) / (2**32 - 1)


@pytest.mark.parametrize("across", [timedelta(0), timedelta(milliseconds=500), timedelta(seconds=1)])
def test_window_of_a_second_or_less_gives_zero(across: timedelta) -> None:
    for i in range(50):
        assert spread_offset(RID.format(i), across) == timedelta(0)


@pytest.mark.parametrize("across", [timedelta(seconds=2), timedelta(minutes=90), timedelta(hours=24), timedelta(days=7)])
def test_against_exact_arithmetic_and_last_second_unused(across: timedelta) -> None:
    print(f"seed={SEED}")
    rng = random.Random(SEED)
    offsets = []
    for _ in range(2000):
        rid = RID.format(rng.getrandbits(64))
        off = spread_offset(rid, across)
        assert off == expected_offset(rid, across), rid
        assert off.microseconds == 0
        assert timedelta(0) <= off <= across - timedelta(seconds=1)
        offsets.append(off.total_seconds())
    if across >= timedelta(minutes=90):
        # roughly uniform: the mean sits near the middle of the window
        mean = sum(offsets) / len(offsets)
        assert abs(mean / (across.total_seconds() - 1) - 0.5) < 0.05


def test_deterministic_across_calls() -> None:
    rid = RID.format("stable")
    assert len({spread_offset(rid, timedelta(hours=6)) for _ in range(10)}) == 1


def test_bad_types() -> None:
    with pytest.raises(TypeError, match="schedule_across"):
        spread_offset("x", 60)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="resource_id"):
        spread_offset(None, timedelta(hours=1))  # type: ignore[arg-type]


# -- issue #8: the extremes of p, and the spread over a fleet ---------------------------------------

_PREFIX = (
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/rg/providers/"
    "microsoft.redhatopenshift/openshiftclusters/spread-"
)
#: resource IDs forged (by solving CRC-32's linear system over GF(2)) for an exact checksum
RID_CRC_MAX = _PREFIX + "1610257446000000"  # crc32 == 0xFFFFFFFF: p == 1 exactly
RID_CRC_ZERO = _PREFIX + "6323341753000000"  # crc32 == 0: p == 0 exactly


def test_forged_ids_have_the_extreme_checksums() -> None:
    assert zlib.crc32(RID_CRC_MAX.encode()) == 0xFFFFFFFF
    assert zlib.crc32(RID_CRC_ZERO.encode()) == 0
    assert spread_fraction(RID_CRC_MAX) == 1.0
    assert spread_fraction(RID_CRC_MAX.upper()) == 1.0  # lower-cased before hashing
    assert spread_fraction(RID_CRC_ZERO) == 0.0


@pytest.mark.parametrize(
    "across",
    [timedelta(seconds=2), timedelta(seconds=60), timedelta(minutes=90), timedelta(hours=24), timedelta(days=7)],
)
def test_the_windows_last_second_is_never_used(across: timedelta) -> None:
    # p == 1 is the largest offset any cluster can get: exactly one second before the window's end
    assert spread_offset(RID_CRC_MAX, across) == across - timedelta(seconds=1)
    assert spread_offset(RID_CRC_ZERO, across) == timedelta(0)


@pytest.mark.parametrize("across", [timedelta(0), timedelta(milliseconds=999), timedelta(seconds=1)])
def test_window_of_a_second_or_less_gives_zero_even_for_p_one(across: timedelta) -> None:
    assert spread_offset(RID_CRC_MAX, across) == timedelta(0)


def test_offsets_spread_across_the_window() -> None:
    across = timedelta(hours=24)
    fleet = [RID.format(f"c{i:03d}") for i in range(400)]
    offsets = [spread_offset(rid, across).total_seconds() for rid in fleet]
    # a different place for (almost) every cluster: 400 draws from 86400 seconds collide ~once
    assert len(set(offsets)) >= 395
    # each eighth of the window gets its share (50 expected; a fair draw stays within 25..75)
    eighths = [0] * 8
    for off in offsets:
        eighths[int(off // (across.total_seconds() / 8))] += 1
    assert all(25 <= n <= 75 for n in eighths), eighths
    # and the same cluster always gets the same offset
    assert offsets == [spread_offset(rid, across).total_seconds() for rid in fleet]
    assert offsets == [spread_offset(rid.upper(), across).total_seconds() for rid in fleet]


def test_each_cluster_keeps_its_relative_place_as_the_window_changes() -> None:
    # the offset is p × (window − 1 s): doubling the window roughly doubles every offset
    for i in range(50):
        rid = RID.format(f"c{i}")
        small = spread_offset(rid, timedelta(hours=1)).total_seconds()
        big = spread_offset(rid, timedelta(hours=2) - timedelta(seconds=1)).total_seconds()
        assert abs(big - 2 * small) <= 1, rid
