"""XLSForm in and out (issue 19): the real forms of data/xlsform are the yardstick, the export
converts with ODK's reference converter, and export then import gives back the same survey."""

from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from pyxform.xls2xform import convert

from evaluation.surveys.definition import Condition, Option, Page, Question, SurveyForm, SurveySettings
from evaluation.surveys.xlsform import XLSFormError, read_xlsform, write_xlsform
from tests.surveys.conftest import satisfaction_form

# The reference forms live beside the checkout, in ../shared/data/xlsform (see its README).
XLSFORMS = Path(__file__).resolve().parents[3] / "shared" / "data" / "xlsform"
EXPECTED = ({row["file"]: row for row in csv.DictReader(io.StringIO((XLSFORMS / "expected.csv").read_text("utf-8")))}
            if XLSFORMS.is_dir() else {})
needs_forms = pytest.mark.skipif(not EXPECTED, reason="the reference XLSForms (../shared/data/xlsform) are absent")

SETTINGS = SurveySettings(code="2026-dr", title="")


def workbook_bytes(survey: list[tuple[str, ...]], choices: list[tuple[str, ...]] = (),
                   settings: list[tuple[str, ...]] = ()) -> bytes:
    workbook = Workbook()
    for index, (title, rows) in enumerate((("survey", survey), ("choices", choices), ("settings", settings))):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        sheet.title = title
        for row in rows:
            sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def exported(form: SurveyForm) -> bytes:
    file = write_xlsform(form)
    try:
        return file.read()
    finally:
        file.close()


def pyxform_converts(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as file:
        file.write(content)
        file.flush()
        return convert(xlsform=file.name).xform


@needs_forms
@pytest.mark.parametrize("name", [name for name in EXPECTED if name.startswith("pos_")])
def test_every_positive_reference_form_imports_with_its_questions_and_conditions(name: str) -> None:
    expected = EXPECTED[name]
    form = read_xlsform(name, (XLSFORMS / name).read_bytes(), SETTINGS).form
    questions = form.questions()
    assert len(questions) == int(expected["questions"])
    assert len([q for q in questions if q.kind == "multiple"]) == int(expected["select_multiple"])
    assert len([q for q in questions if q.kind == "text"]) == int(expected["text"])
    numbers = [q for q in questions if q.kind == "number"]
    assert len([q for q in numbers if q.integer]) == int(expected["integer"])
    assert len([q for q in numbers if not q.integer]) == int(expected["decimal"])
    # Groups are pages; questions outside any group make pages of their own.
    assert len(form.pages) >= int(expected["pages"])
    assert all(question.label for question in questions)


@needs_forms
def test_compound_conditions_of_a_real_form_are_kept_as_any_of_and_all_of() -> None:
    imported = read_xlsform("mitwirken.xlsx", (XLSFORMS / "pos_de_mitwirken_umfrage.xlsx").read_bytes(), SETTINGS)
    form = imported.form
    assert form.settings.title == "Bedarfserhebung für Migrant*innenorganisationen in Sachsen"
    assert form.question("zusammenarbeit_verbesserung_text").conditions() == (
        Condition("zusammenarbeit_stadt_einschaetzung", "equals", "schlecht", others=("eher_schlecht",)),)
    assert form.question("gesetz_veraenderung_text").conditions() == (
        Condition("wissen_gesetz", "equals", "ja"),
        Condition("veraenderung_gesetz_art", "equals", "ja_haben", others=("ja_zusammenarbeit",)),
    )
    assert form.question("themenfelder_other").condition == Condition("themenfelder", "includes", "other")
    question = form.question("gesetz_veraenderung_text")
    assert not question.shown({"wissen_gesetz": "ja", "veraenderung_gesetz_art": "nein"})
    assert question.shown({"wissen_gesetz": "ja", "veraenderung_gesetz_art": "ja_zusammenarbeit"})
    # The authors test an option "other" their list lacks: that can never hold, and the office is told.
    assert form.question("teilhabe_gruppen_other").conditions() == ()
    assert any("teilhabe_gruppen" in notice and "other" in notice for notice in imported.notices)


@needs_forms
def test_a_bound_written_with_the_question_itself_becomes_whole_number_bounds() -> None:
    form = read_xlsform("tutorial.xlsx", (XLSFORMS / "pos_en_ona_tutorial.xlsx").read_bytes(), SETTINGS).form
    age = form.question("age")
    assert (age.kind, age.integer, age.minimum, age.maximum, age.required) == ("number", True, 1, 119, True)
    assert form.question("pizza_type").condition == Condition("pizza_fan", "equals", "yes")
    assert form.settings.title == "tutorial"  # no form_title: the file's name


@needs_forms
def test_a_page_hint_is_not_lost() -> None:
    form = read_xlsform("testwerk.xlsx", (XLSFORMS / "pos_de_testwerk_feedback.xlsx").read_bytes(), SETTINGS).form
    wirkung = next(page for page in form.pages if page.name == "wirkung")
    texts = [getattr(wirkung, "hint", ""), wirkung.questions[0].hint]
    assert any("stimme voll zu" in text for text in texts)


@needs_forms
@pytest.mark.parametrize("name, words", [
    ("neg_wfp_ethiopia_food_security.xlsx", ["calculate", "choice_filter", "note", "geopoint", "date"]),
    ("neg_ucl_biomass_plot.xlsx", ["begin repeat", "select_one_from_file", "label::english (en)", "image"]),
])
def test_every_negative_reference_form_is_refused_row_by_row(name: str, words: list[str]) -> None:
    with pytest.raises(XLSFormError) as refused:
        read_xlsform(name, (XLSFORMS / name).read_bytes(), SETTINGS)
    reasons = refused.value.reasons
    assert len(reasons) > 10
    assert all("表第" in reason and "行" in reason for reason in reasons)
    text = "\n".join(reasons)
    for word in words:
        assert word in text, word


def test_the_export_converts_with_odk_s_reference_converter() -> None:
    xform = pyxform_converts(exported(satisfaction_form()))
    assert "<h:title>政务公开满意度调查</h:title>" in xform
    assert "selected( /data/about/visited , 'yes')" in xform or "/data/about/visited  = 'yes'" in xform
    assert 'constraint="count-selected(.) &gt;= 1 and count-selected(.) &lt;= 2"' in xform
    assert 'constraint=". &gt;= 16 and . &lt;= 100"' in xform
    assert 'constraint="string-length(.) &lt;= 200"' in xform


def test_export_then_import_gives_back_the_same_survey() -> None:
    form = satisfaction_form()
    back = read_xlsform("export.xlsx", exported(form), replace(form.settings, title="", introduction="")).form
    assert back.pages == form.pages
    assert back.settings == form.settings


def test_conditions_with_several_options_and_parts_survive_the_round_trip_and_convert() -> None:
    form = satisfaction_form()
    pages = list(form.pages)
    more = pages[2]
    advice = replace(more.questions[1], condition=Condition("overall", "equals", "1", others=("2",)),
                     also=(Condition("channels", "includes", "web", others=("app",)),))
    pages[2] = replace(more, questions=(more.questions[0], advice))
    form = replace(form, pages=tuple(pages))
    content = exported(form)
    assert read_xlsform("export.xlsx", content, form.settings).form.pages == form.pages
    xform = pyxform_converts(content)
    assert "= '1' or" in xform


@needs_forms
@pytest.mark.parametrize("name", [name for name in EXPECTED if name.startswith("pos_")])
def test_a_real_form_imported_exports_to_valid_xlsform_and_imports_again_unchanged(name: str) -> None:
    form = read_xlsform(name, (XLSFORMS / name).read_bytes(), SETTINGS).form
    content = exported(form)
    pyxform_converts(content)
    assert read_xlsform("again.xlsx", content, SETTINGS).form == form


def test_labels_that_look_like_formulas_stay_text_in_the_export() -> None:
    form = SurveyForm(SurveySettings(code="f", title="=HYPERLINK(\"http://x\")"), (
        Page("p", "@SUM(A1)", (Question("q", "single", "=1+1", options=(Option("a", "+cmd"), Option("b", "-2+3"))),)),
    ))
    workbook = load_workbook(io.BytesIO(exported(form)))
    values = [cell.value for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert "=1+1" in values and "+cmd" in values
    assert all(cell.data_type != "f" for cell in cells)
    assert read_xlsform("f.xlsx", exported(form), form.settings).form == form


def test_scale_and_matrix_are_written_as_likert_and_table_list_and_read_back() -> None:
    content = exported(satisfaction_form())
    survey = list(load_workbook(io.BytesIO(content))["survey"].iter_rows(values_only=True))
    assert survey[[row[1] for row in survey].index("overall")][:2] == ("select_one scale", "overall")
    appearance = {row[1]: row[7] for row in survey}
    assert appearance["overall"] == "likert" and appearance["aspects"] == "table-list"
    assert "aspects_timely" in appearance


def test_unsupported_features_are_named_row_by_row() -> None:
    content = workbook_bytes(
        [("type", "name", "label", "relevant", "constraint", "calculation"),
         ("begin_group", "p1", "第一页", "", "", ""),
         ("select_one yn", "visited", "访问过吗？", "", "", ""),
         ("note", "hello", "您好", "", "", ""),
         ("integer", "age", "年龄", "${visited} != 'no'", "", ""),
         ("decimal", "score", "分数", "", ". > 0.5", ""),
         ("calculate", "sum", "", "", "", "${age} + 1"),
         ("select_one missing", "q", "问题", "", "", ""),
         ("text", "bad name", "名称不对", "", "", ""),
         ("end_group", "", "", "", "", "")],
        [("list_name", "name", "label"), ("yn", "yes", "是"), ("yn", "no", "否")],
    )
    with pytest.raises(XLSFormError) as refused:
        read_xlsform("bad.xlsx", content, SETTINGS)
    reasons = refused.value.reasons
    assert any(reason.startswith("survey 表第 4 行") and "note" in reason for reason in reasons)
    assert any(reason.startswith("survey 表第 5 行") and "!=" in reason for reason in reasons)
    assert any(reason.startswith("survey 表第 6 行") and ". > 0.5" in reason for reason in reasons)
    assert any(reason.startswith("survey 表第 7 行") and "calculation" in reason for reason in reasons)
    assert any(reason.startswith("survey 表第 7 行") and "calculate" in reason for reason in reasons)
    assert any(reason.startswith("survey 表第 8 行") and "missing" in reason for reason in reasons)
    assert any(reason.startswith("survey 表第 9 行") and "bad name" in reason for reason in reasons)


def test_a_condition_on_a_later_question_is_refused() -> None:
    content = workbook_bytes(
        [("type", "name", "label", "relevant"),
         ("text", "first", "第一题", "${second} = 'yes'"),
         ("select_one yn", "second", "第二题", "")],
        [("list_name", "name", "label"), ("yn", "yes", "是")],
    )
    with pytest.raises(XLSFormError) as refused:
        read_xlsform("order.xlsx", content, SETTINGS)
    assert refused.value.reasons == ["survey 表第 2 行：条件引用的题目 second 不在本题之前。"]


def test_a_group_condition_applies_to_each_of_its_questions_and_bounds_combine() -> None:
    content = workbook_bytes(
        [("type", "name", "label", "relevant", "constraint", "required"),
         ("select_multiple ch", "ch", "渠道", "", "count-selected(.) >= 1 and count-selected(.) <= 2", "yes"),
         ("begin_group", "web", "网站", "selected(${ch}, 'web')", "", ""),
         ("decimal", "hours", "每周小时数", "", ". >= 0 and . <= 40.5", ""),
         ("text", "why", "原因", "", "string-length(.) <= 50", "true"),
         ("end_group", "", "", "", "", "")],
        [("list_name", "name", "label"), ("ch", "web", "网站"), ("ch", "app", "客户端")],
        [("form_title",), ("渠道调查",)],
    )
    form = read_xlsform("g.xlsx", content, SETTINGS).form
    assert form.settings.title == "渠道调查"
    assert [page.name for page in form.pages] == ["page_1", "web"]
    channel = form.question("ch")
    assert (channel.min_picks, channel.max_picks, channel.required) == (1, 2, True)
    hours = form.question("hours")
    assert (hours.integer, hours.minimum, hours.maximum) == (False, 0, Decimal("40.5"))
    assert hours.condition == Condition("ch", "includes", "web")
    why = form.question("why")
    assert (why.max_length, why.required, why.condition) == (50, True, Condition("ch", "includes", "web"))


def test_a_file_without_a_survey_sheet_is_refused() -> None:
    workbook = Workbook()
    workbook.active.title = "Sheet1"
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(XLSFormError) as refused:
        read_xlsform("x.xlsx", out.getvalue(), SETTINGS)
    assert "survey" in refused.value.reasons[0]


def test_a_long_matrix_name_with_long_row_names_survives_the_round_trip() -> None:
    long_name = "m" * 60
    form = SurveyForm(SurveySettings(code="long", title="长名称"), (
        Page("p", "", (Question(long_name, "matrix", "矩阵", required=True,
                                options=(Option("r" * 60, "第一行"), Option("2", "第二行"))),)),
    ))
    content = exported(form)
    pyxform_converts(content)
    assert read_xlsform("long.xlsx", content, form.settings).form == form
