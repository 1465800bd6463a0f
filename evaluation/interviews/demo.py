"""Demo interviews: people and studios, upcoming interviews in the public calendar (and its
feed), one collecting questions, and an archived one with its transcript."""

from __future__ import annotations

import datetime as dt

from evaluation.core import audit, clock
from evaluation.core.tables import Account, Department
from evaluation.interviews import life_cycle, questions, resources, scheduling
from evaluation.interviews.questions import AnswerForm, QuestionForm
from evaluation.interviews.resources import PersonForm, StudioForm
from evaluation.interviews.scheduling import InterviewForm
from evaluation.interviews.tables import Answer, Interview, Question, QuestionStatus, Status

ACTOR = "demo"
PEOPLE = [
    ("王海涛", "市教育局局长", "SZ03"),
    ("刘芳", "市教育局基础教育科科长", "SZ03"),
    ("赵国庆", "市财政局副局长", "SZ10"),
    ("孙丽", "集宁区人民政府副区长", "150902"),
    ("周明", "市广播电视台主持人", ""),
    ("郑洁", "市广播电视台主持人", ""),
]
STUDIOS = [("一号演播室", "市政务服务中心五楼"), ("二号演播室", "市广播电视台三楼")]
# (code, topic, department, guests, host, studio, days from today, start, end, description)
SCHEDULE = [
    ("demo-archived", "义务教育阶段入学政策解读", "SZ03", [0, 1], 4, 0, -20, "09:30", "11:00",
     "介绍今年义务教育阶段招生入学的政策变化，回答家长关心的问题。"),
    ("demo-collecting", "财政预决算公开与惠民资金", "SZ10", [2], 4, 0, 5, "15:00", "16:30",
     "市财政局解读本年度预算公开情况和惠民惠农补贴资金的发放。"),
    ("demo-upcoming", "老旧小区改造进展", "150902", [3], 5, 1, 12, "10:00", "11:30",
     "集宁区介绍老旧小区改造的计划、进度和居民参与方式。"),
    ("demo-next-month", "校园餐食品安全", "SZ03", [0], 5, 0, 33, "09:00", "10:30", ""),
]
ARCHIVED_QA = [
    ("孩子明年上小学，户口和房产不在同一学区怎么办？", "一位家长",
     "按照今年的政策，以房产所在地为主，同时核验实际居住情况。具体可咨询所在学区学校。", 0),
    ("随迁子女入学需要准备哪些材料？", "",
     "需要居住证、监护人就业或经营证明，以及孩子的户口簿。材料清单已在教育局网站公布。", 1),
    ("今年的招生报名什么时候开始？", "张先生",
     "网上报名预计在7月上旬开始，具体时间以教育局发布的通知为准。", 0),
]
COLLECTING_QUESTIONS = [
    ("今年的惠农补贴什么时候发放到账？", "农民朋友", QuestionStatus.approved),
    ("部门预算公开表里的“三公”经费能否附上说明？", "", QuestionStatus.approved),
    ("市里对困难群众的临时救助资金有多少？", "李女士", QuestionStatus.pending),
]


async def load() -> bool:
    """Returns False when the demo interviews exist already (nothing is added twice)."""
    if await Interview.exists().where(Interview.code.like("demo-%")):
        return False
    people = []
    for name, title, department in PEOPLE:
        if department and not await Department.exists().where(Department.code == department):
            department = ""
        people.append(await resources.add_person(ACTOR, PersonForm(name=name, title=title, department=department)))
    studios = [await resources.add_studio(ACTOR, StudioForm(name=name, location=location))
               for name, location in STUDIOS]
    office = await Account.select(Account.id).where(Account.username == "office").first()
    office_id = office["id"] if office else None
    today = clock.local(clock.now()).date()
    for code, topic, department, guests, host, studio, days, starts, ends, description in SCHEDULE:
        form = InterviewForm(code=code, topic=topic, department=department, host=str(people[host]),
                             studio=str(studios[studio]), guests=[str(people[index]) for index in guests],
                             day=(today + dt.timedelta(days=days)).isoformat(), starts=starts, ends=ends,
                             link="https://www.wulanchabu.gov.cn/", description=description)
        if await scheduling.create(ACTOR, form) is None:
            raise RuntimeError(str(form.errors))
        if days > 0:
            await life_cycle.publish(ACTOR, code, urgent=False, reason="")
    await _collecting(office_id)
    await _archived(office_id, people)
    await audit.record(ACTOR, "demo.interviews", "interviews", new={"interviews": len(SCHEDULE)})
    return True


async def _collecting(office_id: int | None) -> None:
    await life_cycle.move(ACTOR, "demo-collecting", Status.collecting.value)
    for body, name, status in COLLECTING_QUESTIONS:
        assert await questions.submit("demo-collecting", QuestionForm(body=body, display_name=name))
        if status is QuestionStatus.approved:
            row = await Question.select(Question.id).where(Question.body == body).first()
            await questions.moderate(office_id, ACTOR, row["id"], approve=True)


async def _archived(office_id: int | None, people: list[int | None]) -> None:
    """An interview of three weeks ago, played through: published then, asked, answered, closed,
    archived. Its times are set as they were, since the life cycle runs on today's clock."""
    code = "demo-archived"
    started = await Interview.select(Interview.starts_at).where(Interview.code == code).first()
    await Interview.update({Interview.published_at: started["starts_at"] - dt.timedelta(days=7)}).where(
        Interview.code == code)
    await life_cycle.move(ACTOR, code, Status.collecting.value)
    await life_cycle.move(ACTOR, code, Status.live.value)
    for body, name, answer, guest in ARCHIVED_QA:
        assert await questions.submit(code, QuestionForm(body=body, display_name=name))
        row = await Question.select(Question.id).where(Question.body == body).first()
        await questions.moderate(office_id, ACTOR, row["id"], approve=True)
        await questions.answer(office_id, ACTOR, row["id"], AnswerForm(body=answer, guest=str(people[guest])))
    await life_cycle.move(ACTOR, code, Status.closed.value)
    await life_cycle.save_summary(ACTOR, code, "王海涛局长介绍了今年义务教育阶段招生入学的主要变化：以房产所在地为主、"
                                               "核验实际居住；随迁子女凭居住证等材料入学。共回答网友问题 3 个。")
    await life_cycle.move(ACTOR, code, Status.archived.value)
    # The transcript's times are those of the day it took place.
    starts = started["starts_at"]
    for offset, row in enumerate(await Question.select(Question.id).where(Question.interview.code == code)
                                 .order_by(Question.id)):
        asked = starts - dt.timedelta(days=2, minutes=offset * 37)
        await Question.update({Question.created_at: asked, Question.moderated_at: asked + dt.timedelta(hours=1)}
                              ).where(Question.id == row["id"])
        await Answer.update({Answer.answered_at: starts + dt.timedelta(minutes=15 + 20 * offset)}).where(
            Answer.question == row["id"])
    await Interview.update({Interview.closed_at: started["starts_at"] + dt.timedelta(minutes=90)}).where(
        Interview.code == code)
