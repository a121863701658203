from datetime import date, timedelta

import pytest

from geodata.errors import InfeasibleError, InvalidInputError
from service.planning.schedule import Campaign, SchedulePolicy, schedule_checkpoints

SITES = [f"s{i:02d}" for i in range(40)]
SECTORS = [f"sektor{i % 8}" for i in range(40)]
YEAR = (date(2025, 1, 1), date(2025, 12, 31))


def test_hundred_events_spread_over_a_year():
    events = schedule_checkpoints(SITES, 100, *YEAR, sectors=SECTORS, seed=7)
    assert len(events) == 100
    assert all(YEAR[0] <= e.start.date() <= YEAR[1] for e in events)
    assert len({e.start.date() for e in events}) == 100  # one a day at most
    per_sector = {s: sum(e.sector == s for e in events) for s in set(SECTORS)}
    assert max(per_sector.values()) - min(per_sector.values()) <= 1
    last: dict[str, date] = {}
    for e in events:
        if e.site_id in last:
            assert e.start.date() - last[e.site_id] >= timedelta(days=14)
        last[e.site_id] = e.start.date()


def test_same_seed_same_schedule_other_seed_other_schedule():
    a = schedule_checkpoints(SITES, 50, *YEAR, seed=3)
    b = schedule_checkpoints(SITES, 50, *YEAR, seed=3)
    c = schedule_checkpoints(SITES, 50, *YEAR, seed=4)
    assert a == b
    assert a != c


def test_winter_weight_and_campaigns_shift_the_draw():
    winter = SchedulePolicy(month_weights={12: 4, 1: 4, 2: 4, 3: 4})
    events = schedule_checkpoints(SITES, 100, *YEAR, policy=winter, seed=1)
    in_winter = sum(e.start.month in (12, 1, 2, 3) for e in events)
    assert in_winter > 100 * 4 / 12 * 1.5  # uniform would give about a third
    week = Campaign("Trafiksäkerhetsvecka", date(2025, 4, 7), date(2025, 4, 13), weight=50)
    events = schedule_checkpoints(SITES, 100, *YEAR, policy=SchedulePolicy(campaigns=[week]))
    assert sum(week.start <= e.start.date() <= week.end for e in events) >= 5


def test_joint_operations_on_shared_dates():
    dates = [date(2025, 3, 14), date(2025, 9, 19)]
    events = schedule_checkpoints(SITES, 20, *YEAR, joint_dates=dates, seed=2)
    joint = [e for e in events if e.joint]
    assert sorted(e.start.date() for e in joint) == dates


def test_bad_input():
    with pytest.raises(InvalidInputError):
        schedule_checkpoints([], 10, *YEAR)
    with pytest.raises(InvalidInputError):
        schedule_checkpoints(SITES, 0, *YEAR)
    with pytest.raises(InvalidInputError):
        schedule_checkpoints(SITES, 10, YEAR[1], YEAR[0])
    with pytest.raises(InfeasibleError):
        schedule_checkpoints(SITES[:2], 100, *YEAR)  # 2 sites, 14-day quarantine


def test_sectors_share_events_in_proportion_to_their_sites():
    sectors = ["stor"] * 9 + ["ensam"]
    events = schedule_checkpoints(SITES[:10], 50, *YEAR, sectors=sectors, seed=4)
    uses = {s: sum(e.site_id == s for e in events) for s in SITES[:10]}
    assert max(uses.values()) - min(uses.values()) <= 1  # the lone site is not over-drawn
