"""Spread promised checkpoints over the promise period in time as well as in space.

In the spirit of Queensland's Random Road Watch: the period is cut into (date, time block)
slots, slots are drawn at random with weights for seasons, weekdays and campaign weeks, and
each drawn slot gets a site so that sectors are used evenly and no site repeats within a
quarantine of days. The draw is reproducible from the seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from geodata.errors import InfeasibleError, InvalidInputError

#: Checkpoints are planned in Swedish local time (CET/CEST).
LOCAL_TIME = ZoneInfo("Europe/Stockholm")


@dataclass(frozen=True)
class TimeBlock:
    """A daily time window, e.g. ``TimeBlock("natt", time(22), 4)``."""

    label: str
    start: time
    hours: int
    weight: float = 1.0


#: Default blocks: daytime control work plus the evening and night when drink-driving peaks.
DEFAULT_BLOCKS: tuple[TimeBlock, ...] = (
    TimeBlock("morgon", time(6), 4, 1.0),
    TimeBlock("dag", time(10), 4, 1.0),
    TimeBlock("eftermiddag", time(14), 4, 1.0),
    TimeBlock("kväll", time(18), 4, 1.2),
    TimeBlock("natt", time(22), 4, 1.0),
)


@dataclass(frozen=True)
class Campaign:
    """A period with extra weight, e.g. a national traffic safety week."""

    name: str
    start: date
    end: date
    weight: float = 3.0


@dataclass
class SchedulePolicy:
    """Weights and rules for drawing slots.

    Attributes
    ----------
    blocks
        Daily time blocks to draw from.
    month_weights
        Weight per month number (1-12); missing months weigh 1. E.g. the winter season in Åre.
    weekend_night_weight
        Multiplier for evening and night blocks on Friday and Saturday.
    campaigns
        Weeks with extra weight (national traffic safety weeks, ROADPOL operations).
    min_days_between_same_site
        No site is used twice within this many days.
    """

    blocks: Sequence[TimeBlock] = DEFAULT_BLOCKS
    month_weights: dict[int, float] = field(default_factory=dict)
    weekend_night_weight: float = 1.5
    campaigns: Sequence[Campaign] = ()
    min_days_between_same_site: int = 14


@dataclass(frozen=True)
class ScheduledEvent:
    """One planned checkpoint: where, when and which draw put it there."""

    order: int
    site_id: str
    sector: str
    start: datetime
    end: datetime
    block: str
    joint: bool = False


def _slot_table(start: date, end: date, policy: SchedulePolicy) -> pd.DataFrame:
    days = pd.date_range(start, end, freq="D")
    n_blocks = len(policy.blocks)
    day = np.repeat(days.to_numpy(), n_blocks)
    block = np.tile(np.arange(n_blocks), len(days))
    block_weight = np.array([b.weight for b in policy.blocks])[block]
    month = pd.DatetimeIndex(day).month.to_numpy()
    month_weight = np.array([policy.month_weights.get(int(m), 1.0) for m in range(13)])[month]
    weekday = pd.DatetimeIndex(day).day_of_week.to_numpy()
    late = np.array([b.start.hour >= 18 for b in policy.blocks])[block]
    weekend_night = np.where((weekday >= 4) & (weekday <= 5) & late, policy.weekend_night_weight, 1)
    campaign = np.ones(len(day))
    for c in policy.campaigns:
        inside = (day >= np.datetime64(c.start)) & (day <= np.datetime64(c.end))
        campaign = np.where(inside, np.maximum(campaign, c.weight), campaign)
    weight = block_weight * month_weight * weekend_night * campaign
    return pd.DataFrame({"day": day, "block": block, "weight": weight})


def schedule_checkpoints(
    site_ids: Sequence[str],
    count: int,
    start: date,
    end: date,
    *,
    sectors: Sequence[str] | None = None,
    policy: SchedulePolicy | None = None,
    joint_dates: Sequence[date] = (),
    seed: int = 0,
) -> list[ScheduledEvent]:
    """Draw ``count`` checkpoint events over ``start``..``end`` at the given sites.

    Parameters
    ----------
    site_ids
        The planned sites (e.g. from the checkpoint planner).
    count
        Promised number of checkpoints in the period.
    start, end
        The promise period (inclusive).
    sectors
        Sector label per site (settlement, district or hexagon). Sectors are drawn evenly,
        then sites within a sector; by default every site is its own sector.
    policy
        Weights and quarantine rules.
    joint_dates
        Dates of joint operations with the municipality: one event is placed on each, and
        those events are flagged ``joint``.
    seed
        Seed for the random draw; the same seed gives the same schedule.

    Raises
    ------
    InvalidInputError
        If the period or the count is invalid.
    InfeasibleError
        If the quarantine makes the count impossible with the sites given.
    """
    policy = policy or SchedulePolicy()
    if not site_ids:
        raise InvalidInputError("Inga platser att schemalägga.")
    if count < 1:
        raise InvalidInputError("Antalet kontroller måste vara minst 1.")
    if end < start:
        raise InvalidInputError("Periodens slut ligger före dess start.")
    sectors = list(sectors) if sectors is not None else list(site_ids)
    if len(sectors) != len(site_ids):
        raise InvalidInputError("Det måste finnas en sektor per plats.")
    days = (end - start).days + 1
    per_site = -(-days // (policy.min_days_between_same_site or 1))
    if count > per_site * len(site_ids) or count > days * len(policy.blocks):
        raise InfeasibleError(
            f"{count} kontroller ryms inte: {len(site_ids)} platser med minst "
            f"{policy.min_days_between_same_site} dagar mellan besök på samma plats under "
            f"{days} dagar."
        )
    if any(not (start <= d <= end) for d in joint_dates):
        raise InvalidInputError("Ett datum för gemensam insats ligger utanför perioden.")

    rng = np.random.default_rng(seed)
    slots = _slot_table(start, end, policy)
    slots = slots[slots["weight"] > 0]  # weight 0 means never (a month, nights, ...)
    joint = sorted(set(joint_dates))[:count]
    joint_rows = []
    for d in joint:
        on_day = slots.index[slots["day"] == pd.Timestamp(d)]
        if len(on_day) == 0:
            raise InvalidInputError(f"Den gemensamma insatsen {d.isoformat()} har vikt 0.")
        p = slots.loc[on_day, "weight"].to_numpy()
        joint_rows.append(int(rng.choice(on_day, p=p / p.sum())))
    free = slots.drop(index=joint_rows)
    # At most one event per day keeps the draw spread in time.
    drawn_days = {slots.loc[r, "day"] for r in joint_rows}
    free = free[~free["day"].isin(drawn_days)]
    n_more = count - len(joint_rows)
    if n_more > len(free):
        raise InfeasibleError(
            f"{count} kontroller ryms inte: bara {len(free) + len(joint_rows)} tider i perioden "
            "har en vikt över 0."
        )
    day_weight = free.groupby("day")["weight"].sum()
    if n_more > len(day_weight):
        free_rows = free.index.to_numpy()
        p = free["weight"].to_numpy()
        chosen = [int(r) for r in rng.choice(free_rows, size=n_more, replace=False, p=p / p.sum())]
    else:
        picked_days = rng.choice(
            day_weight.index.to_numpy(),
            size=n_more,
            replace=False,
            p=(day_weight / day_weight.sum()).to_numpy(),
        )
        chosen = []
        for d in picked_days:
            rows = free.index[free["day"] == d]
            p = free.loc[rows, "weight"].to_numpy()
            chosen.append(int(rng.choice(rows, p=p / p.sum())))
    rows = sorted([*joint_rows, *map(int, chosen)], key=lambda r: (slots.loc[r, "day"], r))
    return _assign_sites(rows, slots, site_ids, sectors, policy, set(joint_rows), rng)


def _assign_sites(
    rows: list[int],
    slots: pd.DataFrame,
    site_ids: Sequence[str],
    sectors: Sequence[str],
    policy: SchedulePolicy,
    joint_rows: set[int],
    rng: np.random.Generator,
) -> list[ScheduledEvent]:
    sector_names = sorted(set(sectors))
    sector_uses = dict.fromkeys(sector_names, 0)
    sector_size = {name: sum(1 for s in sectors if s == name) for name in sector_names}
    site_uses = dict.fromkeys(site_ids, 0)
    last_used: dict[str, date] = {}
    quarantine = timedelta(days=policy.min_days_between_same_site)
    tie_break = {s: float(rng.random()) for s in site_ids}
    events: list[ScheduledEvent] = []
    for order, row in enumerate(rows, start=1):
        day = pd.Timestamp(slots.loc[row, "day"]).date()
        allowed = [
            (site, sector)
            for site, sector in zip(site_ids, sectors, strict=True)
            if site not in last_used or day - last_used[site] >= quarantine
        ]
        if not allowed:
            raise InfeasibleError(
                f"Ingen plats är ledig {day}: minska karensen mellan besök eller lägg till platser."
            )
        # Sectors share the events in proportion to their sites (a lone site in its own
        # sector would otherwise be drawn as often as a whole town's); then the least-used
        # site; then the seeded tie-break.
        site, sector = min(
            allowed,
            key=lambda s: (
                sector_uses[s[1]] / sector_size[s[1]],
                site_uses[s[0]],
                tie_break[s[0]],
            ),
        )
        sector_uses[sector] += 1
        site_uses[site] += 1
        last_used[site] = day
        block = policy.blocks[int(slots.loc[row, "block"])]
        begin = datetime.combine(day, block.start, tzinfo=LOCAL_TIME)
        events.append(
            ScheduledEvent(
                order=order,
                site_id=str(site),
                sector=str(sector),
                start=begin,
                end=begin + timedelta(hours=block.hours),
                block=block.label,
                joint=row in joint_rows,
            )
        )
    return events
