"""Monthly reports of a site (a school): uptime, devices per SSID, incidents. Pure: no I/O.

The service (:class:`netctl.report_ops.ReportService`, ``nc.reports``) reads the rows; this module turns
them into a :class:`Report` and renders it as CSV, HTML or JSON.

A month is far older than the raw samples (kept 2 hours) and the 5-minute roll-ups (2 days), so a
report is built from the hourly roll-ups (kept 30 days, :data:`netctl.poll.store.RETENTION`); for the
hours that are not rolled up yet (the last two days of the running month) the finer rows of that hour
are averaged. Each hour counts once:

- uptime: the hour's average of the ``up`` series (1 answered, 0 did not) is its share up; an hour
  without any row is "no data", never down and never up. Uptime % = up / (up + down) of the hours
  with data; a month without data has no uptime (``None``), not 100 %.
- devices per SSID: the hourly averages of every ``clients:<ssid>@<radio>`` series of the site's APs
  are summed per SSID and hour; a day's (and the month's) average is the mean of those hourly sums,
  its peak the highest hourly sum (an hourly average: a minute's peak inside an hour does not show).
- incidents: the site's alerts opened in the month (in the site's time zone).

Raises ConfigError (:func:`parse_month`: a month that is no ``YYYY-MM`` or has not begun).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from netctl import i18n
from netctl.errors import ConfigError
from netctl.i18n import N_, _, pgettext

HOUR = 3600
#: one CSV file, one row per line of every section: a spreadsheet filters on ``section``
CSV_COLUMNS = ("section", "site", "ap", "day", "ssid", "uptime_pct", "up_hours", "down_hours", "no_data_hours",
               "devices_avg", "devices_peak", "peak_at", "alert_id", "kind", "severity", "opened", "closed",
               "duration", "acked_by", "message")
FORMATS = ("csv", "html", "json")


@dataclass(frozen=True)
class Uptime:
    """Hours of one AP (or of all APs of the site summed: AP-hours) in the month."""

    name: str
    up_hours: float
    down_hours: float
    no_data_hours: float

    @property
    def hours_with_data(self) -> float:
        return self.up_hours + self.down_hours

    @property
    def uptime_pct(self) -> float | None:
        """Share of the hours with data that the AP answered, in %; None without data."""
        if self.hours_with_data <= 0:
            return None
        return round(100.0 * self.up_hours / self.hours_with_data, 2)


@dataclass(frozen=True)
class Devices:
    """Devices on one SSID at the site: on one day (``day`` YYYY-MM-DD) or over the month (``day`` None)."""

    ssid: str
    day: str | None
    average: float
    peak: float
    peak_at: str
    hours: int


@dataclass(frozen=True)
class Incident:
    """One alert opened in the month; times in the site's time zone, ``duration_s`` None while open."""

    id: int
    kind: str
    ap: str
    severity: str | None
    opened: str
    closed: str | None
    duration_s: int | None
    acked_by: str | None
    acked_at: str | None
    message: str | None


@dataclass(frozen=True)
class Report:
    """A site's month. ``hours``: the hours of the month up to ``generated`` (all of them for a past month)."""

    site: str
    title: str | None
    tenant: str
    timezone: str
    month: str
    start: str
    end: str
    hours: int
    generated: str
    site_uptime: Uptime
    #: hours at the start of the month older than the hourly roll-ups' retention (among the "no data" hours)
    expired_hours: int = 0
    aps: list[Uptime] = field(default_factory=list)
    devices: list[Devices] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        return self.site_uptime.hours_with_data > 0 or bool(self.devices)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: the dataclass fields plus ``uptime_pct`` per uptime and ``has_data``."""
        out = asdict(self)
        out["site_uptime"]["uptime_pct"] = self.site_uptime.uptime_pct
        for row, ap in zip(out["aps"], self.aps, strict=True):
            row["uptime_pct"] = ap.uptime_pct
        out["has_data"] = self.has_data
        out["source"] = "hourly roll-ups"
        return out


# -- months and hours -----------------------------------------------------------------------------
def read_month(text: str) -> tuple[int, int]:
    """``YYYY-MM`` -> (year, month). Raises ConfigError for other text."""
    match = re.fullmatch(r"\s*(\d{4})-(\d{2})\s*", text or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ConfigError(f"cannot read the month {text!r}", hint="use YYYY-MM, e.g. 2026-11")
    return int(match.group(1)), int(match.group(2))


def parse_month(text: str, now: float, zone: str) -> tuple[float, float]:
    """``YYYY-MM`` -> (start, end) epoch seconds of that month in ``zone``. Raises ConfigError for other
    text or a month that has not begun at ``now``."""
    year, month = read_month(text)
    tz = ZoneInfo(zone)
    start = dt.datetime(year, month, 1, tzinfo=tz)
    end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    if start.timestamp() > now:
        raise ConfigError(f"the month {text.strip()} has not begun", hint="report on this month or an earlier one")
    return start.timestamp(), end.timestamp()


def hourly(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, int], float]:
    """(metric, hour start) -> the hour's value, from rows of :func:`netctl.poll.store.series`.

    The hourly roll-up of an hour wins; an hour without one (not rolled up yet) gets the plain average
    of its 5-minute and raw rows.
    """
    rolled: dict[tuple[str, int], float] = {}
    finer: dict[tuple[str, int], list[float]] = {}
    for row in rows:
        if row.get("value") is None:
            continue
        key = (str(row["metric"]), int(row["epoch"]) // HOUR * HOUR)
        if row.get("resolution") == "1h":
            rolled[key] = float(row["value"])
        else:
            finer.setdefault(key, []).append(float(row["value"]))
    out = {key: sum(values) / len(values) for key, values in finer.items()}
    out.update(rolled)
    return out


def ssid_of(metric: str) -> str | None:
    """``clients:Schule@ng`` -> ``Schule``; None for other metrics (the total ``clients`` among them)."""
    if not metric.startswith("clients:"):
        return None
    name = metric[len("clients:"):]
    return name.rpartition("@")[0] if "@" in name else name


# -- building -------------------------------------------------------------------------------------
def build_report(site: Mapping[str, Any], month: str, zone: str, start: float, end: float, now: float,
                 rows_by_ap: Mapping[str, Sequence[Mapping[str, Any]]],
                 alerts: Iterable[Mapping[str, Any]], *, kept_from: float | None = None) -> Report:
    """The report of ``site`` (a sites row: name, tenant, title) for ``month`` = [start, end).

    ``rows_by_ap``: each AP of the site -> its ``up`` and ``clients:*`` rows since ``start`` (rows at or
    after ``end`` are ignored); ``alerts``: the site's alerts (rows of the ``alerts`` table; those not
    opened in the month are ignored). ``kept_from``: the oldest hour the hourly roll-ups still keep.
    """
    tz = ZoneInfo(zone)
    upto = min(end, now)
    first_hour = int(start) // HOUR * HOUR
    hours = max(0, int(upto - first_hour) // HOUR)
    expired = 0 if kept_from is None else min(hours, max(0, -(-int(kept_from - first_hour) // HOUR)))
    aps: list[Uptime] = []
    per_ssid: dict[tuple[str, int], float] = {}
    for ap in sorted(rows_by_ap):
        values = {key: value for key, value in hourly(rows_by_ap[ap]).items() if start <= key[1] < upto}
        ups = [min(1.0, max(0.0, value)) for (metric, _hour), value in values.items() if metric == "up"]
        up = round(sum(ups), 3)
        aps.append(Uptime(ap, up, round(len(ups) - up, 3), max(0, hours - len(ups))))
        for (metric, hour), value in values.items():
            ssid = ssid_of(metric)
            if ssid is not None:
                per_ssid[(ssid, hour)] = per_ssid.get((ssid, hour), 0.0) + value
    site_uptime = Uptime(str(site["name"]), round(sum(a.up_hours for a in aps), 3),
                         round(sum(a.down_hours for a in aps), 3), sum(a.no_data_hours for a in aps))
    devices: list[Devices] = []
    for ssid in sorted({s for s, _hour in per_ssid}):
        hourly_sums = sorted((hour, total) for (s, hour), total in per_ssid.items() if s == ssid)
        by_day: dict[str, list[tuple[int, float]]] = {}
        for hour, total in hourly_sums:
            by_day.setdefault(_local(hour, tz)[:10], []).append((hour, total))
        devices += [_devices(ssid, day, points, tz) for day, points in sorted(by_day.items())]
        devices.append(_devices(ssid, None, hourly_sums, tz))
    incidents = [_incident(row, tz) for row in alerts if start <= _epoch(row.get("first_seen")) < end]
    incidents.sort(key=lambda i: (i.opened, i.id))
    return Report(site=str(site["name"]), title=site.get("title"), tenant=str(site.get("tenant") or ""),
                  timezone=zone, month=month, start=_local(start, tz), end=_local(end, tz), hours=hours,
                  generated=_local(now, tz), site_uptime=site_uptime, expired_hours=expired, aps=aps,
                  devices=devices, incidents=incidents)


def _devices(ssid: str, day: str | None, points: Sequence[tuple[int, float]], tz: ZoneInfo) -> Devices:
    peak_hour, peak = max(points, key=lambda p: (p[1], -p[0]))
    return Devices(ssid, day, round(sum(v for _when, v in points) / len(points), 1), round(peak, 1),
                   _local(peak_hour, tz), len(points))


def _epoch(text: Any) -> float:
    if not text:
        return float("-inf")
    moment = dt.datetime.fromisoformat(str(text))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def _local(ts: float, tz: ZoneInfo) -> str:
    return dt.datetime.fromtimestamp(ts, tz).isoformat(timespec="minutes")


def _incident(row: Mapping[str, Any], tz: ZoneInfo) -> Incident:
    opened = _epoch(row.get("first_seen"))
    closed = _epoch(row["closed"]) if row.get("closed") else None
    acked = _epoch(row["acked_at"]) if row.get("acked_at") else None
    return Incident(id=int(row["id"]), kind=str(row["kind"]), ap=str(row["ap"]), severity=row.get("severity"),
                    opened=_local(opened, tz), closed=_local(closed, tz) if closed is not None else None,
                    duration_s=int(closed - opened) if closed is not None else None,
                    acked_by=row.get("acked_by"), acked_at=_local(acked, tz) if acked is not None else None,
                    message=row.get("message"))


# -- rendering ------------------------------------------------------------------------------------
def _same(text: str) -> str:
    return text


def duration(seconds: int | None, words: Callable[[str], str] = _same) -> str:
    """``45 s``, ``12 min``, ``2 h 05 min``, ``3 d 4 h``; ``open`` for None (still open). ``words``: ``_`` for
    the language people read (the HTML page); CSV keeps English."""
    if seconds is None:
        return words(N_("open"))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return words(N_("{days} d {hours} h")).format(days=days, hours=hours)


def percent(value: float | None, words: Callable[[str], str] = _same) -> str:
    """``99.5 %``, or ``no data`` (``words``: as for :func:`duration`)."""
    return words(N_("no data")) if value is None else f"{value:.1f} %"


def _cell(value: Any) -> str:
    """A CSV cell; text a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) gets a leading ``'``."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(report: Report) -> str:
    """One CSV table (:data:`CSV_COLUMNS`, a header row), one row per line of every section:
    ``summary`` (the site, its title in ``message``; ``no data`` there when the month has none),
    ``uptime`` (the site, then each AP), ``devices`` (per SSID and day, then the month with ``day`` empty),
    ``incidents``. Empty cells where a column does not apply."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()

    def put(**row: Any) -> None:
        writer.writerow({key: _cell(row.get(key)) for key in CSV_COLUMNS})

    summary = f"{report.title or report.site}; {report.month}; time zone {report.timezone}; from hourly roll-ups"
    if report.expired_hours:
        summary += f"; the first {report.expired_hours} hours are older than the roll-ups' retention"
    put(section="summary", site=report.site, day=report.month,
        message=summary if report.has_data else summary + "; no data for this month")
    for up, ap in [(report.site_uptime, None), *((a, a.name) for a in report.aps)]:
        put(section="uptime", site=report.site, ap=ap, uptime_pct=up.uptime_pct, up_hours=up.up_hours,
            down_hours=up.down_hours, no_data_hours=up.no_data_hours)
    for d in report.devices:
        put(section="devices", site=report.site, day=d.day, ssid=d.ssid, devices_avg=d.average,
            devices_peak=d.peak, peak_at=d.peak_at)
    for i in report.incidents:
        put(section="incidents", site=report.site, ap=i.ap, alert_id=i.id, kind=i.kind, severity=i.severity,
            opened=i.opened, closed=i.closed, duration=duration(i.duration_s), acked_by=i.acked_by,
            message=i.message)
    return buffer.getvalue()


_STYLE = """body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:0 0 2em}
th,td{border:1px solid #bbb;padding:.25em .6em;text-align:left}td.n{text-align:right}th{background:#eee}
.nodata{color:#a00;font-weight:bold}small{color:#666}"""


def to_html(report: Report) -> str:
    """One self-contained HTML page (inline style, no scripts, no external assets); all text escaped. In the
    language in use (:mod:`netctl.i18n`): headings, labels and sentences; names, numbers and times as stored."""
    e = html.escape

    def say(text: str, **values: Any) -> str:
        """``text`` in the language in use, escaped, with the escaped ``values`` filled in."""
        return e(_(text), quote=False).format(**{key: e(str(value)) for key, value in values.items()})

    name = report.title or report.site
    parts = ["<!DOCTYPE html>", f'<html lang="{e(i18n.current())}"><head><meta charset="utf-8">',
             f"<title>{e(name)} — {e(report.month)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>{e(name)} <small>({e(report.site)})</small></h1>",
             "<p>" + say(N_("Month {month} ({start} to {end}, time zone {timezone}), {hours} hours; from the hourly "
                            "roll-ups. Generated {generated}."), month=report.month, start=report.start, end=report.end,
                         timezone=report.timezone, hours=report.hours, generated=report.generated) + "</p>"]
    if not report.has_data:
        parts.append('<p class="nodata">' + say(N_(
            "No data for this month: no poll of this site was recorded (or its hourly roll-ups are older than the "
            "retention of 30 days).")) + "</p>")

    def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Sequence[int] = ()) -> None:
        parts.append("<table><tr>" + "".join(f"<th>{e(_(h))}</th>" for h in headers) + "</tr>")
        for row in rows:
            cells = "".join(f'<td{" class=n" if i in numeric else ""}>{e("" if v is None else str(v))}</td>'
                            for i, v in enumerate(row))
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</table>")

    if report.expired_hours:
        parts.append("<p>" + say(N_("The first {hours} hours of the month are older than the hourly roll-ups' "
                                    "retention: they count as hours without data."), hours=report.expired_hours)
                     + "</p>")
    parts.append("<h2>" + e(pgettext("report", "Uptime")) + "</h2><p>"
                 + say(N_("Hours without data are counted apart, neither up nor down.")) + "</p>")
    table([N_("AP"), pgettext("report", "uptime"), N_("hours up"), N_("hours down"), N_("hours without data")],
          [(up.name if up is not report.site_uptime else _("all APs (AP-hours)"), percent(up.uptime_pct, _),
            f"{up.up_hours:g}", f"{up.down_hours:g}", f"{up.no_data_hours:g}")
           for up in [report.site_uptime, *report.aps]], numeric=(1, 2, 3, 4))
    parts.append("<h2>" + say(N_("Devices per SSID")) + "</h2>")
    if report.devices:
        parts.append("<p>" + say(N_("Average and peak of the hourly averages of devices online.")) + "</p>")
        table([N_("SSID"), N_("day"), N_("average"), N_("peak"), N_("peak at")],
              [(d.ssid, d.day or _("month"), f"{d.average:g}", f"{d.peak:g}", d.peak_at) for d in report.devices],
              numeric=(2, 3))
    else:
        parts.append("<p>" + say(N_("No device counts in this month.")) + "</p>")
    parts.append("<h2>" + say(N_("Incidents")) + "</h2>")
    if report.incidents:
        table([N_("#"), N_("kind"), N_("AP"), N_("opened"), N_("closed"), N_("duration"), N_("acknowledged by"),
               N_("message")],
              [(i.id, i.kind, i.ap, i.opened, i.closed or "", duration(i.duration_s, _), i.acked_by or "",
                i.message or "") for i in report.incidents], numeric=(0,))
    else:
        parts.append("<p>" + say(N_("No alerts were opened in this month.")) + "</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


__all__ = ["CSV_COLUMNS", "FORMATS", "Devices", "Incident", "Report", "Uptime", "build_report", "duration",
           "hourly", "parse_month", "percent", "read_month", "ssid_of", "to_csv", "to_html"]
