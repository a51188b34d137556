"""Rebuild china_holidays.csv (run by hand when a new year's notice is published; never imported by cpjax).

Needs ``chinese-calendar`` and ``holidays`` (both MIT):

    python cpjax/data/calendars/make_china_holidays.py > cpjax/data/calendars/china_holidays.csv

The days off and the adjusted working days come from ``chinese-calendar``; ``holidays`` (CN)
names the rest day each working day was swapped for, which assigns the working day to its
break. The two libraries must agree on every weekday off and every working weekend day, or
the script stops. Review the diff against the State Council notice before committing.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections import Counter

FIRST, LAST = 2013, 2026
CHECKED = "2026-12-04"
# State Council General Office notices on the holiday arrangements of each year, as published in
# the State Council Gazette (URLs as cited by python-holidays' China module).
NOTICES = {
    2013: "https://www.gov.cn/gongbao/content/2012/content_2292057.htm",
    2014: "https://www.gov.cn/gongbao/content/2014/content_2561299.htm",
    2015: "https://www.gov.cn/gongbao/content/2015/content_2799019.htm",
    2016: "https://www.gov.cn/gongbao/content/2016/content_2979719.htm",
    2017: "https://www.gov.cn/gongbao/content/2016/content_5148793.htm",
    2018: "https://www.gov.cn/gongbao/content/2017/content_5248221.htm",
    2019: ("https://www.gov.cn/gongbao/content/2018/content_5350046.htm; May Day change: "
           "https://www.gov.cn/gongbao/content/2019/content_5380356.htm"),
    2020: ("https://www.gov.cn/gongbao/content/2019/content_5459138.htm; Spring Festival "
           "extension (Covid-19): https://www.gov.cn/gongbao/content/2020/content_5477297.htm"),
    2021: "https://www.gov.cn/gongbao/content/2020/content_5567750.htm",
    2022: "https://www.gov.cn/gongbao/content/2021/content_5651728.htm",
    2023: "https://www.gov.cn/gongbao/content/2023/content_5736714.htm",
    2024: "https://www.gov.cn/gongbao/2023/issue_10806/202311/content_6913823.html",
    2025: "https://www.gov.cn/gongbao/2024/issue_11726/202411/content_6989767.html",
    2026: "https://www.gov.cn/gongbao/2025/issue_12406/202511/content_7048922.html",
}
EXCHANGE = ("exchange closure on a State Council working day: Shanghai Stock Exchange trading "
            "calendar as encoded in python-holidays (XSHG); carbon exchanges assumed to follow")
VICTORY_DAY = ("separate State Council notice of 2015 on the day off for the 70th anniversary of "
               "the victory in the War of Resistance (not the annual notice; URL not established)")
NAMES = {"New Year's Day": "new_year", "Spring Festival": "spring_festival",
         "Tomb-sweeping Day": "qingming", "Labour Day": "labour_day",
         "Dragon Boat Festival": "dragon_boat", "Mid-autumn Festival": "mid_autumn",
         "National Day": "national_day", "Anti-Fascist 70th Day": "victory_day_2015"}


def main() -> None:
    import holidays
    from chinese_calendar import constants

    lo, hi = dt.date(FIRST - 1, 12, 1), dt.date(LAST, 12, 31)
    off = {d: n for d, n in constants.holidays.items() if lo <= d <= hi}
    work = {d for d in constants.workdays if dt.date(FIRST, 1, 1) <= d <= hi}
    cn = holidays.country_holidays("CN", years=range(FIRST - 1, LAST + 1))
    swapped = {}  # working day -> the rest day it pays for
    for day, name in cn.items():
        for w in re.findall(r"(\d{4}-\d{2}-\d{2})", name):
            swapped[dt.date.fromisoformat(w)] = day
    weekday_off_h = {d for d in cn if d.weekday() < 5 and dt.date(FIRST, 1, 1) <= d <= hi}
    weekday_off_c = {d for d in off if d.weekday() < 5 and d >= dt.date(FIRST, 1, 1)}
    if weekday_off_h != weekday_off_c or set(swapped) & work != work:
        sys.exit("chinese-calendar and holidays disagree; check the notices by hand")
    # breaks: runs of consecutive days off, extended over adjacent ordinary weekend days
    days = sorted(off)
    runs, cur = [], [days[0]]
    for d in days[1:]:
        if (d - cur[-1]).days == 1:
            cur.append(d)
        else:
            runs.append(cur)
            cur = [d]
    runs.append(cur)
    spans = []  # (first, last, run days) after extending over adjacent weekend days
    for run in runs:
        first, last = run[0], run[-1]
        while (first - dt.timedelta(1)).weekday() >= 5 and first - dt.timedelta(1) not in work:
            first -= dt.timedelta(1)
        while (last + dt.timedelta(1)).weekday() >= 5 and last + dt.timedelta(1) not in work:
            last += dt.timedelta(1)
        if spans and (first - spans[-1][1]).days <= 1:  # e.g. 2015-06-20 and 06-22 via 06-21
            spans[-1] = (spans[-1][0], last, spans[-1][2] + run)
        else:
            spans.append((first, last, run))
    rows = []
    for first, last, run in spans:
        names = Counter(off[d] for d in run)
        label = "+".join(NAMES[n] for n in sorted(names, key=lambda n: min(
            d for d in run if off[d] == n)))
        year = max(d.year for d in run) if "new_year" in label else min(run).year
        if not FIRST <= year <= LAST:
            continue
        workdays = sorted(w for w, r in swapped.items() if first <= r <= last)
        rows.append((year, label, first, last, workdays))
    print("# China mainland public-holiday breaks (days off, weekends inside a break included) and")
    print("# the adjusted working days (weekend days worked to pay for a break; exchanges stay")
    print("# closed on them), as set each year by the State Council General Office notice on the")
    print("# holiday arrangements (notice_url). Years covered: "
          f"{FIRST}-{LAST}. Checked: {CHECKED}.")
    print("# Compiled with cpjax/data/calendars/make_china_holidays.py from chinese-calendar 1.11")
    print("# (MIT) and python-holidays 0.109 (MIT), which agree on every day of these years;")
    print("# the notice URLs are those the libraries cite (not re-read here). Trading-day checks")
    print("# against the shared pilot and CSI 300 data: docs/data.md, 'Market calendar'.")
    print("# Rows 'exchange_closure': weekdays the stock exchanges closed although the notice kept")
    print("# them working days (2024-02-09); carbon exchanges are assumed to close with them.")
    print("year,holiday,first_day,last_day,working_days,notice_url")
    for year, label, first, last, workdays in rows:
        wd = " ".join(w.isoformat() for w in workdays)
        url = VICTORY_DAY if label == "victory_day_2015" else NOTICES[year]
        print(f'{year},{label},{first.isoformat()},{last.isoformat()},{wd},"{url}"')
    # weekdays on which the stock exchanges closed although the State Council notice kept them
    # working days (2024-02-09, New Year's Eve): exchanges, carbon exchanges included, close
    sse = holidays.financial_holidays("XSHG", years=range(FIRST, LAST + 1))
    for d in sorted(d for d in sse if d.weekday() < 5 and d not in off):
        print(f'{d.year},exchange_closure,{d.isoformat()},{d.isoformat()},,"{EXCHANGE}"')


if __name__ == "__main__":
    main()
