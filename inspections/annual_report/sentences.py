"""Ready sentences: what the platform itself knows about a unit's year, offered to whoever writes
the report's text sections (section 一 must cover 监督保障: 工作考核、社会评议和责任追究结果情况).
The writer inserts one with a button and edits it like anything they typed.

One small function per source, each ``async (year, unit) -> list[Sentence]`` and listed in
``SOURCES``; a source with nothing to say for that year returns no sentence:

- ``ratings``: ratings received and the satisfaction index in that year's evaluation period
  (evaluation/ratings), as the period's own settings compute it;
- ``rankings``: the inspection result, the grade and the 通报 outcome, read from the latest
  published version of that year's round (its snapshot document, inspections/rankings/snapshots.py),
  never from the draft;
- ``interviews``: the online interviews held in the year (evaluation/interviews), with their
  published questions and answers;
- ``surveys``: the online surveys open in the year (evaluation/surveys) and the responses received.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from evaluation.core import clock
from evaluation.core.i18n import N_, _
from evaluation.interviews.year import year_of_interviews
from evaluation.ratings import periods, ratings
from evaluation.ratings.periods import Period
from evaluation.ratings.satisfaction import compute, is_sufficient
from evaluation.surveys.year import year_of_surveys
from inspections.annual_report.reports import Report, Unit
from inspections.rankings import snapshots
from inspections.rankings.texts import group_label
from inspections.rankings.views import RankingView

SOURCE_LABELS = {"ratings": N_("社会评议"), "rankings": N_("考核结果"), "interviews": N_("线上访谈"),
                 "surveys": N_("网上调查")}


@dataclass(frozen=True)
class Sentence:
    key: str  # "<source>-<n>": what the insert button sends back
    source: str
    text: str

    @property
    def source_label(self) -> str:
        return _(SOURCE_LABELS[self.source])


async def period_of_year(year: int) -> Period | None:
    """That year's evaluation period: the one the year's published ranking took its index from;
    without one, of the periods that close in the year, the last to close."""
    for _publication, view in await _published_rounds(year):
        if view["period"] is not None:
            period = await periods.find(view["period"]["code"])
            if period is not None:
                return period
    closing = [period for period in await periods.all_periods() if period.closes_on.year == year]
    return max(closing, key=lambda period: (period.closes_on, period.id)) if closing else None


async def ratings_sentences(year: int, unit: Unit) -> list[str]:
    period = await period_of_year(year)
    if period is None:
        return []
    if unit.is_city:
        by_department = await ratings.counts(period.id)
        indexes = [compute(counts, period.settings) for counts in by_department.values()]
        total = sum(index.total for index in indexes)
        if not total:
            return [_("{period}期间，平台未收到对各单位的评价。").format(period=period.name)]
        reached = sum(1 for index in indexes if is_sufficient(index, period.settings))
        return [_("{period}期间，群众和特邀评议代表通过平台对 {units} 个单位作出评价 {total} 条，其中 {reached} 个单位"
                  "的评价数达到最低样本量（{min_sample} 条），得出满意度指数。").format(
            period=period.name, units=len(indexes), total=total, reached=reached,
            min_sample=period.settings.min_sample)]
    assert unit.department_id is not None
    index = await ratings.department_index(period, unit.department_id)
    if not index.total:
        return [_("{period}期间，本单位未收到群众和特邀评议代表的评价。").format(period=period.name)]
    counted = _("{period}期间，本单位共收到评价 {total} 条（公众 {public} 条，特邀评议代表 {panel} 条）").format(
        period=period.name, total=index.total, public=index.channel_total("public"),
        panel=index.channel_total("panel"))
    if is_sufficient(index, period.settings) and index.index is not None:
        return [counted + _("，满意度指数为 {index}。").format(index=index.index)]
    return [counted + _("，评价数未达到最低样本量（{min_sample} 条），未得出满意度指数。").format(
        min_sample=period.settings.min_sample)]


async def _published_rounds(year: int) -> list[tuple[snapshots.Publication, RankingView]]:
    """The latest published version of each round of the year."""
    found = []
    for notice in await snapshots.latest_notices():
        publication = await snapshots.find(notice.round_code)
        if publication is not None and publication.document["round"]["year"] == year:
            found.append((publication, RankingView(publication.document)))
    return sorted(found, key=lambda pair: pair[0].round_code)


def _published_on(publication: snapshots.Publication) -> str:
    day = clock.local(publication.published_at).date()
    return _("{year}年{month}月{day}日").format(year=day.year, month=day.month, day=day.day)


def _unit_sentence(publication: snapshots.Publication, view: RankingView, code: str) -> str | None:
    round_name = view["round"]["name"]
    unit = view.unit(code)
    if unit is None:
        row = next((row for row in view.not_ranked if row["code"] == code), None)
        if row is None:
            return None
        why = _("（{reason}）").format(reason=row["reason"]) if row["reason"] else ""
        return _("本单位未参加{round}排名{why}。").format(round=round_name, why=why)
    text = _("在{round}中，本单位总分 {total} 分，在{group}中排名第 {rank}，考核等次为{grade}").format(
        round=round_name, total=unit["total"], group=group_label(view.group_of(code)), rank=unit["rank"],
        grade=unit["grade"])
    reasons = view.reasons(unit)
    if unit["vetoed"] and reasons:
        text += _("（{reasons}）").format(reasons=_("；").join(reasons))
    if unit["grade"] == view.top_grade:
        outcome = _("被评为先进集体，在{title}中予以通报表扬").format(title=publication.title)
    elif unit["grade"] == view.lowest_grade:
        outcome = _("在{title}中被要求限期整改").format(title=publication.title)
    else:
        outcome = _("结果已于{date}在{title}中通报").format(date=_published_on(publication), title=publication.title)
    return text + _("，") + outcome + _("。")


def _city_sentence(publication: snapshots.Publication, view: RankingView) -> str:
    ranked = len(view.units)
    return _("{date}，{title}公布了{round}结果：{ranked} 个单位参加排名，{commended} 个单位获评{top}并予以通报表扬，"
             "{rectify} 个单位为{lowest}、被要求限期整改。").format(
        date=_published_on(publication), title=publication.title, round=view["round"]["name"], ranked=ranked,
        commended=len(view.commended), top=view.top_grade, rectify=len(view.to_rectify), lowest=view.lowest_grade)


async def rankings_sentences(year: int, unit: Unit) -> list[str]:
    found = []
    for publication, view in await _published_rounds(year):
        sentence = _city_sentence(publication, view) if unit.is_city else _unit_sentence(
            publication, view, unit.code or "")
        if sentence:
            found.append(sentence)
    return found


async def interviews_sentences(year: int, unit: Unit) -> list[str]:
    held = await year_of_interviews(year, unit.department_id)
    if not held.held:
        return []
    topics = _("、").join(_("“{topic}”").format(topic=topic) for topic in held.topics[:5])
    if len(held.topics) > 5:
        topics += _("等")
    if unit.is_city:
        return [_("{year}年，平台举办线上访谈 {held} 场，{departments} 个单位负责人走进访谈，围绕{topics}与网民交流，"
                  "公开网民提问 {questions} 条、答复 {answered} 条。").format(
            year=year, held=held.held, departments=held.departments, topics=topics, questions=held.questions,
            answered=held.answered)]
    return [_("{year}年，本单位负责人参加线上访谈 {held} 场，围绕{topics}与网民交流，公开网民提问 {questions} 条、"
              "答复 {answered} 条。").format(year=year, held=held.held, topics=topics, questions=held.questions,
                                         answered=held.answered)]


async def surveys_sentences(year: int, unit: Unit) -> list[str]:
    surveys = await year_of_surveys(year, unit.department_id)
    if not surveys.run:
        return []
    titles = _("、").join(_("“{title}”").format(title=title) for title in surveys.titles[:5])
    if len(surveys.titles) > 5:
        titles += _("等")
    if unit.is_city:
        return [_("{year}年，平台开展网上调查 {run} 项（{titles}），收到答卷 {responses} 份。").format(
            year=year, run=surveys.run, titles=titles, responses=surveys.responses)]
    return [_("{year}年，本单位开展网上调查 {run} 项（{titles}），收到答卷 {responses} 份。").format(
        year=year, run=surveys.run, titles=titles, responses=surveys.responses)]


SOURCES: dict[str, Callable[[int, Unit], Awaitable[list[str]]]] = {
    "ratings": ratings_sentences,
    "rankings": rankings_sentences,
    "interviews": interviews_sentences,
    "surveys": surveys_sentences,
}


async def ready_sentences(year: int, unit: Unit) -> list[Sentence]:
    offered = []
    for source, sentences_of in SOURCES.items():
        for position, text in enumerate(await sentences_of(year, unit), start=1):
            offered.append(Sentence(f"{source}-{position}", source, text))
    return offered


def chosen(offered: list[Sentence], key: str) -> Sentence | None:
    return next((sentence for sentence in offered if sentence.key == key), None)


def insert_into(body: str, sentence: Sentence) -> str:
    """The sentence as a paragraph of its own at the end of what was written."""
    text = body.rstrip()
    return f"{text}\n{sentence.text}" if text else sentence.text


async def with_inserted(report: Report, body: str, key: str) -> str:
    """What the writer typed, with the ready sentence they chose (by its key) added at the end."""
    body = (body or "").replace("\r\n", "\n")
    if key:
        sentence = chosen(await ready_sentences(report.year, report.unit), key)
        if sentence is not None:
            body = insert_into(body, sentence)
    return body
