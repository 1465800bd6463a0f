"""The office's rules for interviews (PRODUCT.md §3): how many days before its start an interview
must be published (default 3; sooner only when marked urgent with a reason), and within how many
working days the questions left unanswered at the end get a written answer (default 5).

They are data the office edits, audited (PRODUCT.md, Settled questions: "Settings"); one row."""

from __future__ import annotations

from dataclasses import dataclass, field

from evaluation.core import audit, clock
from evaluation.core.database import write_transaction
from evaluation.core.form_values import parse_int
from evaluation.core.i18n import _
from evaluation.interviews.tables import InterviewSettings

DEFAULT_PUBLISH_DAYS = 3
DEFAULT_ANSWER_WORKING_DAYS = 5


@dataclass(frozen=True)
class Rules:
    publish_days_before: int = DEFAULT_PUBLISH_DAYS
    answer_working_days: int = DEFAULT_ANSWER_WORKING_DAYS


async def current() -> Rules:
    row = await InterviewSettings.select().order_by(InterviewSettings.id).first()
    if row is None:
        return Rules()
    return Rules(publish_days_before=row["publish_days_before"], answer_working_days=row["answer_working_days"])


@dataclass
class RulesForm:
    publish_days_before: str = str(DEFAULT_PUBLISH_DAYS)
    answer_working_days: str = str(DEFAULT_ANSWER_WORKING_DAYS)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, rules: Rules) -> RulesForm:
        return cls(str(rules.publish_days_before), str(rules.answer_working_days))

    def validate(self) -> Rules | None:
        days = parse_int(self.publish_days_before)
        if days is None or not 0 <= days <= 60:
            self.errors["publish_days_before"] = _("提前公布天数必须是 0 到 60 之间的整数。")
        working = parse_int(self.answer_working_days)
        if working is None or not 1 <= working <= 60:
            self.errors["answer_working_days"] = _("书面答复期限必须是 1 到 60 个工作日。")
        if self.errors:
            return None
        assert days is not None and working is not None
        return Rules(publish_days_before=days, answer_working_days=working)


async def save(actor: str, form: RulesForm) -> bool:
    rules = form.validate()
    if rules is None:
        return False
    new = {"publish_days_before": rules.publish_days_before, "answer_working_days": rules.answer_working_days}
    async with write_transaction():
        row = await InterviewSettings.select().order_by(InterviewSettings.id).first()
        old = Rules() if row is None else Rules(row["publish_days_before"], row["answer_working_days"])
        if old == rules:
            return True
        values = {InterviewSettings.publish_days_before: rules.publish_days_before,
                  InterviewSettings.answer_working_days: rules.answer_working_days,
                  InterviewSettings.updated_at: clock.now()}
        if row is None:
            await InterviewSettings.insert(InterviewSettings(**{column._meta.name: value
                                                                for column, value in values.items()}))
        else:
            await InterviewSettings.update(values).where(InterviewSettings.id == row["id"])
        await audit.record(actor, "interview.rules", "interview-rules",
                           old={"publish_days_before": old.publish_days_before,
                                "answer_working_days": old.answer_working_days}, new=new)
    return True
