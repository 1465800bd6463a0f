"""Who may use which address: every route of the app's own route table, GET and POST, tried by
seven people — nobody signed in, an inspector of team A and one of team B, the liaison of 集宁区
(X) and the one of 市教育局 (Y), the office and the auditor — over the demo's data.

Each route has an entry saying who may use it. A GET by someone allowed must answer (not 401,
403 or 404); a GET or POST by anyone else must be refused (a redirect to the sign-in page, 401,
403 or 404; or 405/409/422 that change nothing), and a refused POST must leave the database as
it was. A route added without an entry fails the test, as does an entry whose route is gone."""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from evaluation.core.backup import all_tables
from evaluation.core.tables import Account
from tests.conftest import PASSWORD_HASH, Visitor, run
from tests.security.world import demo_world

ANONYMOUS, INSPECTOR_A, INSPECTOR_B, LIAISON_X, LIAISON_Y, OFFICE, AUDITOR = (
    "anonymous", "inspector A", "inspector B", "liaison X", "liaison Y", "office", "auditor")
PEOPLE = {INSPECTOR_A: "inspector1", INSPECTOR_B: "inspector3", LIAISON_X: "liaison-jining",
          LIAISON_Y: "liaison-jiaoyu", OFFICE: "office", AUDITOR: "auditor"}
ROLES = [ANONYMOUS, *PEOPLE]

EVERYONE = frozenset(ROLES)
STAFF = frozenset(PEOPLE)
OFFICE_ONLY = frozenset({OFFICE})
READERS = frozenset({OFFICE, AUDITOR})  # the office, and the auditor who reads everything
INSPECTORS = frozenset({INSPECTOR_A, INSPECTOR_B})
TEAM_A = frozenset({INSPECTOR_A})
X_REPORTERS = frozenset({OFFICE, AUDITOR, LIAISON_X})  # 集宁区's report: read by these
REPORTERS = frozenset({OFFICE, AUDITOR, LIAISON_X, LIAISON_Y})


@dataclass(frozen=True)
class Entry:
    """Who may use a route, and what to send: ``params`` name the demo's things by the keys of
    ``World`` (a literal when not a key), ``form`` is the body of a POST."""

    allowed: frozenset[str]
    params: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] | None = None


def entry(allowed: frozenset[str], form: dict[str, str] | None = None, **params: str) -> Entry:
    return Entry(allowed, params, form or {})


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200 + b"\xff\xd9"


ROUTES: dict[str, Entry] = {
    # core: the directory, language, sign-in, staff home, accounts, departments, audit, calendar
    "GET /": entry(EVERYONE),
    "GET /healthz": entry(EVERYONE),
    "GET /language/{language:str}": entry(EVERYONE, language="en"),
    "GET /staff/login": entry(EVERYONE),
    "POST /staff/login": entry(EVERYONE),
    "GET /staff": entry(STAFF),
    "POST /staff/logout": entry(STAFF),
    "GET /staff/password": entry(STAFF),
    "POST /staff/password": entry(STAFF),
    "GET /staff/accounts": entry(OFFICE_ONLY),
    "POST /staff/accounts": entry(OFFICE_ONLY, {"username": "intruder", "role": "office", "password": "long-enough-1"}),
    "GET /staff/accounts/new": entry(OFFICE_ONLY),
    "GET /staff/accounts/{username:str}/edit": entry(OFFICE_ONLY, username="inspector1"),
    "POST /staff/accounts/{username:str}": entry(OFFICE_ONLY, {"role": "office", "active": "on"},
                                                 username="inspector1"),
    "POST /staff/accounts/{username:str}/password": entry(OFFICE_ONLY, {"password": "taken-over-1"},
                                                          username="office"),
    "GET /staff/audit": entry(READERS),
    "GET /staff/calendar": entry(READERS),
    "POST /staff/calendar": entry(OFFICE_ONLY, {"day": "2026-12-25", "kind": "holiday", "note": "x"}),
    "POST /staff/calendar/{day:str}/delete": entry(OFFICE_ONLY, day="calendar_day"),
    "GET /staff/departments": entry(READERS),
    "POST /staff/departments": entry(OFFICE_ONLY, {"code": "ZZ99", "name": "新单位", "group": "municipal"}),
    "GET /staff/departments/new": entry(OFFICE_ONLY),
    "GET /staff/departments/import": entry(OFFICE_ONLY),
    "POST /staff/departments/import": Entry(OFFICE_ONLY,
                                            files={"file": ("d.csv", b"code,name,group\nZZ98,x,county\n")}),
    "GET /staff/departments/{code:str}/edit": entry(READERS, code="x_code"),
    "POST /staff/departments/{code:str}": entry(OFFICE_ONLY, {"name": "改名", "group": "county"}, code="x_code"),
    "POST /staff/departments/{code:str}/catalogue": entry(OFFICE_ONLY, {"title": "新栏目"}, code="x_code"),
    "POST /staff/departments/{code:str}/catalogue/{item_id:int}/delete": entry(OFFICE_ONLY, code="x_code",
                                                                              item_id="x_catalogue_item"),
    "GET /schema": entry(OFFICE_ONLY),
    "GET /schema/{path:str}": entry(OFFICE_ONLY, path="swagger"),
    "GET /schema/openapi.json": entry(OFFICE_ONLY),
    "GET /schema/openapi.yaml": entry(OFFICE_ONLY),
    "GET /schema/openapi.yml": entry(OFFICE_ONLY),
    "GET /schema/swagger": entry(OFFICE_ONLY),
    "GET /schema/redoc": entry(OFFICE_ONLY),
    "GET /schema/rapidoc": entry(OFFICE_ONLY),
    "GET /schema/elements": entry(OFFICE_ONLY),
    "GET /schema/oauth2-redirect.html": entry(OFFICE_ONLY),
    "GET /static/{file_path:path}": entry(EVERYONE, file_path="app.css"),
    # 社会评议: the public side, then the office's and the liaisons' pages
    "GET /departments/{code:str}": entry(EVERYONE, code="x_code"),
    "POST /departments/{code:str}/ratings": entry(EVERYONE, code="x_code"),
    "GET /departments/{code:str}/results": entry(EVERYONE, code="x_code"),
    "GET /results": entry(EVERYONE),
    "GET /open-data/{period:str}/results.json": entry(EVERYONE, period="period"),
    "GET /open-data/{period:str}/results.csv": entry(EVERYONE, period="period"),
    "GET /panel": entry(EVERYONE),
    "POST /panel": entry(EVERYONE),
    "POST /panel/exit": entry(EVERYONE),
    "GET /staff/moderation": entry(OFFICE_ONLY),
    "POST /staff/moderation": entry(OFFICE_ONLY, {"decision": "approve", "rating": "pending_comment"}),
    "POST /staff/moderation/{rating_id:int}/{decision:str}": entry(OFFICE_ONLY, rating_id="pending_comment",
                                                                   decision="publish"),
    "GET /staff/answers": entry(frozenset({OFFICE, LIAISON_X, LIAISON_Y})),
    "POST /staff/answers/{rating_id:int}": entry(frozenset({OFFICE, LIAISON_X}), {"body": "我们已经整改。"},
                                                 rating_id="x_criticism"),
    "POST /staff/answers/{rating_id:int}/edit": entry(frozenset({OFFICE, LIAISON_X}), {"body": "改正。"},
                                                      rating_id="x_answered"),
    "POST /staff/answers/{rating_id:int}/correction": entry(frozenset({OFFICE, LIAISON_X}), {"body": "更正。"},
                                                            rating_id="x_answered"),
    "POST /staff/answers/{rating_id:int}/seen": entry(OFFICE_ONLY, rating_id="x_answered"),
    "GET /staff/overdue": entry(READERS),
    "GET /staff/overdue.xlsx": entry(READERS),
    "GET /staff/criticism/{rating_id:int}": entry(X_REPORTERS, rating_id="x_criticism"),
    "GET /staff/panel": entry(READERS),
    "POST /staff/panel": entry(OFFICE_ONLY, {"count": "5", "label": "x"}),
    "GET /staff/panel/{batch_id:int}/codes.xlsx": entry(OFFICE_ONLY, batch_id="panel_batch"),
    "GET /staff/panel/{batch_id:int}/print": entry(OFFICE_ONLY, batch_id="panel_batch"),
    "GET /staff/ratings": entry(READERS),
    "GET /staff/ratings/bursts": entry(READERS),
    "GET /staff/ratings/import": entry(OFFICE_ONLY),
    "POST /staff/ratings/import": Entry(OFFICE_ONLY, files={"file": ("p.csv", b"department_code,level\n150902,5\n")}),
    "POST /staff/ratings/imports/{import_id:int}/withdraw": entry(OFFICE_ONLY, {"reason": "重复发送"},
                                                                   import_id="rating_import"),
    "GET /staff/ratings/{period:str}/results.xlsx": entry(READERS, period="period"),
    "GET /staff/ratings/{period:str}/comments.xlsx": entry(READERS, period="period"),
    "GET /staff/periods": entry(READERS),
    "POST /staff/periods": entry(OFFICE_ONLY, {"code": "x", "name": "x", "opens_on": "2027-01-01",
                                               "closes_on": "2027-02-01"}),
    "GET /staff/periods/new": entry(OFFICE_ONLY),
    "GET /staff/periods/{code:str}/edit": entry(READERS, code="period"),
    "POST /staff/periods/{code:str}": entry(OFFICE_ONLY, {"name": "改名"}, code="period"),
    "GET /staff/reasons": entry(READERS),
    "POST /staff/reasons": entry(OFFICE_ONLY, {"label": "新原因"}),
    "POST /staff/reasons/{reason_id:int}": entry(OFFICE_ONLY, {"label": "改名"}, reason_id="reason"),
    "POST /staff/reasons/{reason_id:int}/deactivate": entry(OFFICE_ONLY, reason_id="reason"),
    "POST /staff/reasons/{reason_id:int}/activate": entry(OFFICE_ONLY, reason_id="reason"),
    "POST /staff/reasons/{reason_id:int}/move": entry(OFFICE_ONLY, {"direction": "down"}, reason_id="reason"),
    # surveys: the office moves them in and out (XLSForm, responses); readers download
    "GET /staff/surveys/import": entry(OFFICE_ONLY),
    "POST /staff/surveys/import": Entry(OFFICE_ONLY, form={"code": "matrix-check"},
                                        files={"file": ("f.xlsx", b"not a workbook")}),
    "GET /staff/surveys/{survey_id:int}/xlsform.xlsx": entry(READERS, survey_id="survey"),
    "GET /staff/surveys/{survey_id:int}/responses.xlsx": entry(READERS, survey_id="survey"),
    "GET /staff/surveys/{survey_id:int}/responses.csv": entry(READERS, survey_id="survey"),
    # 线上访谈
    "GET /interviews": entry(EVERYONE),
    "GET /interviews/calendar.ics": entry(EVERYONE),
    "GET /interviews/{code:str}": entry(EVERYONE, code="interview"),
    "GET /interviews/{code:str}/live": entry(EVERYONE, code="interview"),
    "GET /interviews/{code:str}/transcript": entry(EVERYONE, code="archived_interview"),
    "GET /interviews/{code:str}/transcript.xlsx": entry(EVERYONE, code="archived_interview"),
    "POST /interviews/{code:str}/questions": entry(EVERYONE, code="interview"),
    "GET /surveys/{code:str}": entry(EVERYONE, code="survey_code"),
    "POST /surveys/{code:str}": entry(EVERYONE, {"page": "0", "visited": "no"}, code="survey_code"),
    "POST /surveys/{code:str}/invitation": entry(EVERYONE, {"invitation": "x"}, code="survey_code"),
    "POST /surveys/{code:str}/questions/{name:str}": entry(EVERYONE, {"page": "0", "visited": "yes"},
                                                           code="survey_code", name="sources"),
    "GET /surveys/{code:str}/results": entry(EVERYONE, code="closed_survey_code"),
    "GET /staff/surveys": entry(READERS),
    "POST /staff/surveys": entry(OFFICE_ONLY, {"code": "x", "title": "x"}),
    "GET /staff/surveys/{survey_id:int}": entry(READERS, survey_id="survey"),
    "POST /staff/surveys/{survey_id:int}/settings": entry(OFFICE_ONLY, {"code": "zwgk-2026", "title": "改名"},
                                                          survey_id="survey"),
    "POST /staff/surveys/{survey_id:int}/questions": entry(
        OFFICE_ONLY, {"page": "0", "kind": "text", "name": "extra", "label": "x"}, survey_id="survey"),
    "GET /staff/surveys/{survey_id:int}/questions/{name:str}": entry(OFFICE_ONLY, survey_id="survey", name="visited"),
    "POST /staff/surveys/{survey_id:int}/questions/{name:str}": entry(
        OFFICE_ONLY, {"page": "2", "kind": "text", "name": "advice", "label": "改名"}, survey_id="survey",
        name="advice"),
    "POST /staff/surveys/{survey_id:int}/questions/{name:str}/move": entry(OFFICE_ONLY, {"direction": "down"},
                                                                           survey_id="survey", name="age"),
    "POST /staff/surveys/{survey_id:int}/questions/{name:str}/delete": entry(OFFICE_ONLY, survey_id="survey",
                                                                             name="advice"),
    "POST /staff/surveys/{survey_id:int}/pages": entry(OFFICE_ONLY, {"title": "x"}, survey_id="survey"),
    "POST /staff/surveys/{survey_id:int}/pages/{page_index:int}/delete": entry(OFFICE_ONLY, survey_id="survey",
                                                                               page_index="3"),
    "GET /staff/surveys/{survey_id:int}/preview": entry(READERS, survey_id="survey"),
    "POST /staff/surveys/{survey_id:int}/codes": entry(OFFICE_ONLY, {"size": "2"}, survey_id="survey"),
    "GET /staff/surveys/{survey_id:int}/codes.xlsx": entry(OFFICE_ONLY, survey_id="survey"),
    "GET /staff/surveys/{survey_id:int}/slips": entry(OFFICE_ONLY, survey_id="survey"),
    "POST /staff/surveys/{survey_id:int}/open": entry(OFFICE_ONLY, survey_id="survey"),
    "POST /staff/surveys/{survey_id:int}/close": entry(OFFICE_ONLY, {"confirm": "1"}, survey_id="survey"),
    "GET /staff/surveys/{survey_id:int}/texts": entry(OFFICE_ONLY, survey_id="closed_survey"),
    "POST /staff/surveys/{survey_id:int}/texts/{text_id:int}/{decision:str}": entry(
        OFFICE_ONLY, survey_id="closed_survey", text_id="survey_text", decision="approved"),
    "GET /staff/interviews": entry(READERS),
    "GET /staff/interviews/new": entry(OFFICE_ONLY),
    "POST /staff/interviews/new": entry(OFFICE_ONLY, {"code": "x", "topic": "x"}),
    "GET /staff/interviews/{code:str}": entry(READERS, code="interview"),
    "POST /staff/interviews/{code:str}": entry(OFFICE_ONLY, {"topic": "改名"}, code="interview"),
    "POST /staff/interviews/{code:str}/publish": entry(OFFICE_ONLY, code="interview"),
    "POST /staff/interviews/{code:str}/move": entry(OFFICE_ONLY, {"to": "live"}, code="interview"),
    "POST /staff/interviews/{code:str}/cancel": entry(OFFICE_ONLY, {"reason": "x"}, code="interview"),
    "POST /staff/interviews/{code:str}/summary": entry(OFFICE_ONLY, {"summary": "x"}, code="interview"),
    "GET /staff/interviews/{code:str}/transcript.xlsx": entry(READERS, code="archived_interview"),
    "GET /staff/interviews/{code:str}/questions": entry(OFFICE_ONLY, code="interview"),
    "POST /staff/interviews/questions/{question_id:int}/{decision:str}": entry(
        OFFICE_ONLY, question_id="pending_question", decision="approve"),
    "POST /staff/interviews/questions/{question_id:int}/answer": entry(OFFICE_ONLY, {"body": "x"},
                                                                       question_id="pending_question"),
    "GET /staff/interviews/overdue": entry(READERS),
    "GET /staff/interviews/rules": entry(READERS),
    "POST /staff/interviews/rules": entry(OFFICE_ONLY, {"publish_days": "0"}),
    "GET /staff/interviews/people": entry(READERS),
    "POST /staff/interviews/people": entry(OFFICE_ONLY, {"name": "x", "title": "x"}),
    "POST /staff/interviews/people/{person_id:int}/active": entry(OFFICE_ONLY, person_id="person"),
    "POST /staff/interviews/studios": entry(OFFICE_ONLY, {"name": "x"}),
    # inspections: indicator systems, rounds, checklists, review, scores
    "GET /staff/indicators": entry(READERS),
    "POST /staff/indicators": entry(OFFICE_ONLY, {"name": "x", "year": "2027"}),
    "POST /staff/indicators/import": Entry(OFFICE_ONLY, files={"file": ("i.csv", b"code,name\n")}),
    "GET /staff/indicators/{system_id:int}": entry(READERS, system_id="system"),
    "POST /staff/indicators/{system_id:int}": entry(OFFICE_ONLY, {"name": "改名"}, system_id="draft_system"),
    "POST /staff/indicators/{system_id:int}/copy": entry(OFFICE_ONLY, system_id="system"),
    "POST /staff/indicators/{system_id:int}/indicators": entry(OFFICE_ONLY, {"code": "Z1", "name": "x"},
                                                               system_id="draft_system"),
    "POST /staff/indicators/{system_id:int}/indicators/{indicator_id:int}": entry(
        OFFICE_ONLY, {"name": "改名"}, system_id="system", indicator_id="indicator"),
    "POST /staff/indicators/{system_id:int}/indicators/{indicator_id:int}/delete": entry(
        OFFICE_ONLY, system_id="system", indicator_id="indicator"),
    "GET /staff/indicators/{system_id:int}/indicators.csv": entry(READERS, system_id="system"),
    "GET /staff/indicators/{system_id:int}/indicators.xlsx": entry(READERS, system_id="system"),
    "GET /staff/rounds": entry(READERS),
    "POST /staff/rounds": entry(OFFICE_ONLY, {"code": "x", "name": "x", "year": "2027"}),
    "GET /staff/rounds/new": entry(OFFICE_ONLY),
    "GET /staff/rounds/{code:str}": entry(READERS, code="round"),
    "POST /staff/rounds/{code:str}": entry(OFFICE_ONLY, {"name": "改名"}, code="round"),
    "GET /staff/rounds/{code:str}/edit": entry(READERS, code="round"),
    "POST /staff/rounds/{code:str}/departments": entry(OFFICE_ONLY, {"department": "SZ03"}, code="round"),
    "POST /staff/rounds/{code:str}/departments/{department_code:str}/remove": entry(
        OFFICE_ONLY, code="round", department_code="x_code"),
    "POST /staff/rounds/{code:str}/assignments": entry(OFFICE_ONLY, code="round"),
    "POST /staff/rounds/{code:str}/assignments/group": entry(OFFICE_ONLY, {"group": "county"}, code="round"),
    "POST /staff/rounds/{code:str}/teams": entry(OFFICE_ONLY, {"name": "第三组"}, code="round"),
    "POST /staff/rounds/{code:str}/teams/{team_id:int}": entry(OFFICE_ONLY, {"name": "改名"}, code="round",
                                                               team_id="team_a"),
    "POST /staff/rounds/{code:str}/teams/{team_id:int}/delete": entry(OFFICE_ONLY, code="round", team_id="team_a"),
    "POST /staff/rounds/{code:str}/teams/{team_id:int}/members": entry(OFFICE_ONLY, {"account": "inspector_b_id"},
                                                                       code="round", team_id="team_a"),
    "POST /staff/rounds/{code:str}/teams/{team_id:int}/members/{account_id:int}/remove": entry(
        OFFICE_ONLY, code="round", team_id="team_a", account_id="inspector_a_id"),
    "POST /staff/rounds/{code:str}/open": entry(OFFICE_ONLY, code="round"),
    "POST /staff/rounds/{code:str}/close": entry(OFFICE_ONLY, code="round"),
    "GET /inspect": entry(INSPECTORS),
    "GET /inspect/checklists/{checklist_id:int}": entry(READERS | TEAM_A,
                                                       checklist_id="checklist_a"),
    "POST /inspect/checklists/{checklist_id:int}/items/{indicator_id:int}": entry(
        TEAM_A, {"value": "0", "note": "改了", "save_id": "matrix-save-0001"}, checklist_id="checklist_a",
        indicator_id="item_a"),
    "POST /inspect/checklists/{checklist_id:int}/items/{indicator_id:int}/photos": Entry(
        TEAM_A, {"checklist_id": "checklist_a", "indicator_id": "item_a"}, files={"photo": ("p.jpg", JPEG)}),
    "GET /inspect/checklists/{checklist_id:int}/items/{indicator_id:int}": entry(
        READERS | TEAM_A, checklist_id="checklist_a", indicator_id="item_a"),
    "GET /inspect/checklists/{checklist_id:int}/items/{indicator_id:int}/photos": entry(
        READERS | TEAM_A, checklist_id="checklist_a", indicator_id="item_a"),
    "GET /inspect/checklists/{checklist_id:int}/summary": entry(READERS | TEAM_A, checklist_id="checklist_a"),
    "GET /inspect/checklists/{checklist_id:int}/print": entry(READERS | TEAM_A, checklist_id="checklist_a"),
    "GET /inspect/offline": entry(INSPECTORS),
    "GET /inspect/sw.js": entry(EVERYONE),
    "GET /inspect/evidence/{evidence_id:int}": entry(READERS | TEAM_A, evidence_id="evidence_a"),
    "POST /inspect/evidence/{evidence_id:int}/delete": entry(TEAM_A, evidence_id="evidence_a"),
    "POST /inspect/checklists/{checklist_id:int}/submit": entry(TEAM_A, checklist_id="checklist_a"),
    "POST /inspect/checklists/{checklist_id:int}/return": entry(OFFICE_ONLY, {"reason": "x"},
                                                                checklist_id="submitted_checklist"),
    "POST /inspect/checklists/{checklist_id:int}/approve": entry(OFFICE_ONLY, checklist_id="submitted_checklist"),
    "POST /inspect/checklists/{checklist_id:int}/reopen": entry(OFFICE_ONLY, {"reason": "x"},
                                                                checklist_id="approved_checklist"),
    "GET /staff/review": entry(READERS),
    "GET /staff/rounds/{code:str}/scores": entry(OFFICE_ONLY, code="round"),
    "POST /staff/rounds/{code:str}/scores": Entry(OFFICE_ONLY, {"code": "round"},
                                                  files={"file": ("s.csv", b"unit_code,indicator_code,value\n")}),
    # rankings
    "GET /staff/rounds/{code:str}/ranking": entry(READERS, code="round"),
    "POST /staff/rounds/{code:str}/ranking/exclusions": entry(OFFICE_ONLY, {"units": "150902", "reason": "x"},
                                                              code="round"),
    "POST /staff/rounds/{code:str}/ranking/exclusions/{unit:str}/remove": entry(OFFICE_ONLY, code="round",
                                                                               unit="x_code"),
    "POST /staff/rounds/{code:str}/ranking/publish": entry(OFFICE_ONLY, {"reason": "x"}, code="published_round"),
    "GET /staff/rounds/{code:str}/ranking/units/{unit:str}": entry(READERS, code="round", unit="x_code"),
    "GET /staff/rounds/{code:str}/ranking/units/{unit:str}/ratings": entry(OFFICE_ONLY, code="round", unit="x_code"),
    "GET /staff/rounds/{code:str}/ranking/ranking.xlsx": entry(READERS, code="round"),
    "GET /staff/rounds/{code:str}/ranking/ratings.csv": entry(OFFICE_ONLY, code="round"),
    "GET /rankings": entry(EVERYONE),
    "GET /rankings/{code:str}": entry(EVERYONE, code="published_round"),
    "GET /rankings/{code:str}/{version:int}": entry(EVERYONE, code="published_round", version="1"),
    "GET /rankings/{code:str}/{version:int}/units/{unit:str}": entry(EVERYONE, code="published_round",
                                                                     version="1", unit="x_code"),
    "GET /rankings/{code:str}/{version:int}/ranking.xlsx": entry(EVERYONE, code="published_round", version="1"),
    "GET /open-data/rankings/{code:str}/{version:int}/ranking.json": entry(EVERYONE, code="published_round",
                                                                           version="1"),
    "GET /open-data/rankings/{code:str}/{version:int}/ranking.csv": entry(EVERYONE, code="published_round",
                                                                          version="1"),
    # 政府信息公开工作年度报告
    "GET /staff/reports": entry(REPORTERS),
    "POST /staff/reports/{year:int}/start": entry(OFFICE_ONLY, year="next_report_year"),
    "GET /staff/reports/{year:int}/city": entry(READERS, year="report_year"),
    "GET /staff/reports/{year:int}/units/{code:str}": entry(X_REPORTERS, year="report_year", code="x_code"),
    "GET /staff/reports/{year:int}/units/{code:str}/sections/{section:str}": entry(
        X_REPORTERS, year="report_year", code="x_code", section="S1"),
    "POST /staff/reports/{year:int}/units/{code:str}/sections/{section:str}": entry(
        frozenset({OFFICE, LIAISON_X}), {"body": "改写"}, year="report_year", code="x_code", section="S1"),
    "GET /staff/reports/{year:int}/city/sections/{section:str}": entry(READERS, year="report_year", section="S1"),
    "POST /staff/reports/{year:int}/city/sections/{section:str}": entry(OFFICE_ONLY, {"body": "改写"},
                                                                        year="report_year", section="S1"),
    "POST /staff/reports/{year:int}/units/{code:str}/submit": entry(frozenset({OFFICE, LIAISON_X}),
                                                                    year="report_year", code="x_code"),
    "POST /staff/reports/{year:int}/city/submit": entry(OFFICE_ONLY, year="report_year"),
    "POST /staff/reports/{year:int}/units/{code:str}/return": entry(OFFICE_ONLY, {"reason": "x"},
                                                                    year="submitted_report_year", code="x_code"),
    "POST /staff/reports/{year:int}/city/return": entry(OFFICE_ONLY, {"reason": "x"}, year="submitted_report_year"),
    "POST /staff/reports/{year:int}/city/compile": entry(OFFICE_ONLY, year="report_year"),
    "POST /staff/reports/{year:int}/units/{code:str}/import": Entry(
        frozenset({OFFICE, LIAISON_X}), {"year": "report_year", "code": "x_code"},
        files={"file": ("r.csv", b"table,row,column,value\nT3,R1,A1,1\n")}),
    "POST /staff/reports/{year:int}/city/import": Entry(
        OFFICE_ONLY, {"year": "report_year"}, files={"file": ("r.csv", b"table,row,column,value\nT3,R1,A1,1\n")}),
    "GET /annual-reports": entry(EVERYONE),
    "GET /annual-reports/{year:int}": entry(EVERYONE, year="submitted_report_year"),
    "GET /annual-reports/{year:int}/city": entry(EVERYONE, year="submitted_report_year"),
    "GET /annual-reports/{year:int}/units/{code:str}": entry(EVERYONE, year="submitted_unit_year",
                                                             code="submitted_unit"),
    "GET /annual-reports/{year:int}/city/report.xlsx": entry(EVERYONE, year="submitted_report_year"),
    "GET /annual-reports/{year:int}/units/{code:str}/report.xlsx": entry(EVERYONE, year="submitted_unit_year",
                                                                         code="submitted_unit"),
    "GET /open-data/annual-reports/{year:int}/city/statistics.json": entry(EVERYONE, year="submitted_report_year"),
    "GET /open-data/annual-reports/{year:int}/city/statistics.csv": entry(EVERYONE, year="submitted_report_year"),
    "GET /open-data/annual-reports/{year:int}/units/{code:str}/statistics.json": entry(
        EVERYONE, year="submitted_unit_year", code="submitted_unit"),
    "GET /open-data/annual-reports/{year:int}/units/{code:str}/statistics.csv": entry(
        EVERYONE, year="submitted_unit_year", code="submitted_unit"),
}

# A refusal: not signed in, not allowed, not theirs to see (404), or — for a checklist someone not
# of its team tries to change — 423, the checklist page's "locked for you" answer.
REFUSED = {401, 403, 404, 405, 409, 422, 423}


def app_routes(app: Any) -> set[str]:
    found = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in getattr(handler, "http_methods", ()):
                if method in {"OPTIONS", "HEAD"}:
                    continue
                found.add(f"{method} {route.path}")
    return found


def test_every_route_of_the_app_has_an_entry(app):
    routes = app_routes(app)
    missing = sorted(routes - ROUTES.keys())
    gone = sorted(ROUTES.keys() - routes)
    assert not missing, "routes without an entry in the matrix (say who may use them):\n" + "\n".join(missing)
    assert not gone, "entries whose route is gone:\n" + "\n".join(gone)


async def _load_demo() -> None:
    from evaluation.core import demo as core_demo
    from evaluation.interviews import demo as interview_demo
    from evaluation.ratings import demo as rating_demo
    from evaluation.surveys import demo as survey_demo
    from inspections import demo as inspection_demo
    from inspections.annual_report import demo as annual_report_demo
    from inspections.rankings import demo as ranking_demo

    await core_demo.load()
    await rating_demo.load()
    await interview_demo.load()
    await survey_demo.load()
    await inspection_demo.load()
    await ranking_demo.load()
    await annual_report_demo.load()
    # Everyone signs in with the tests' password (cheap to check).
    await Account.update({Account.password: PASSWORD_HASH}, force=True)


async def _world() -> dict[str, str]:
    async def fetch(sql: str) -> list[dict[str, Any]]:
        return await Account.raw(sql)

    world = await demo_world(fetch)
    # A calendar entry of the office's own, and a criticism of X still waiting for its answer.
    await Account.raw("INSERT INTO calendar_day (day, is_working, note) VALUES ({}, {}, {})",
                      datetime.date(2026, 12, 28), True, "调休")
    world["calendar_day"] = "2026-12-28"
    await Account.raw("DELETE FROM rating_answer WHERE rating = {}", int(world["x_criticism"]))
    return world


def _digest_sql() -> str:
    counted = [table._meta.tablename for table in all_tables()
               if table._meta.tablename not in {"sign_in_failure", "known_address", "rate_count"}]
    return " UNION ALL ".join(f"SELECT '{name}' AS name, COUNT(*) AS n FROM \"{name}\"" for name in counted)


async def _row_counts(sql: str) -> dict[str, int]:
    return {row["name"]: row["n"] for row in await Account.raw(sql)}


_BOOKKEEPING = {"account": ("last_login",), "audit_entry": ("seq", "prev_hash", "hash")}


async def _contents() -> str:
    """Every row of every table a refused request could touch (not sign-in bookkeeping)."""
    digest = hashlib.sha256()
    for table in all_tables():
        name = table._meta.tablename
        if name in {"sign_in_failure", "known_address", "rate_count"}:
            continue
        rows = await table.raw(f'SELECT * FROM "{name}" ORDER BY 1')
        for row in rows:
            # What a sign-in or the audit trail's sealer changes is not what a request did.
            row = {key: value for key, value in row.items() if key not in _BOOKKEEPING.get(name, ())}
            digest.update(repr(sorted(row.items())).encode())
    return digest.hexdigest()


def _url(path: str, entry: Entry, world: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        given = entry.params.get(name)
        assert given is not None, f"{path}: no value for {{{name}}}"
        return world.get(given, given)

    return re.sub(r"\{(\w+)(?::\w+)?\}", value, path)


def _sent_to_sign_in(response: Any) -> bool:
    return response.status_code in {302, 303} and response.headers.get("location", "").startswith("/staff/login")


def _leads_to_a_refusal(visitor: Visitor, response: Any) -> bool:
    """A redirect (a GET on a POST-only address goes back to its page) is no success if the page
    it leads to refuses this person."""
    if response.status_code not in {302, 303} or response.request.method != "GET":
        return False
    landed = visitor.get(response.headers["location"], follow_redirects=False)
    return landed.status_code in REFUSED or _sent_to_sign_in(landed)


def _answer(visitor: Visitor, method: str, url: str, entry: Entry, world: dict[str, str]) -> Any:
    if method == "GET":
        return visitor.get(url, follow_redirects=False)
    form = {key: world.get(value, value) for key, value in entry.form.items()}
    form["_csrf_token"] = visitor.csrf_token()
    return visitor.client.post(url, data=form, files=entry.files, follow_redirects=False)


def _head_differs(visitor: Visitor, url: str, got: Any, role: str) -> list[str]:
    """HEAD answers wherever GET does: the same status and type, no body."""
    head = visitor.client.head(url, follow_redirects=False)
    same = (head.status_code == got.status_code and head.content == b""
            and head.headers.get("content-type") == got.headers.get("content-type"))
    return [] if same else [f"{role:12} HEAD {url}: {head.status_code} {head.headers.get('content-type')} "
                            f"{len(head.content)} bytes, GET {got.status_code} {got.headers.get('content-type')}"]


def test_nobody_uses_a_route_they_may_not_and_everyone_reaches_the_pages_they_may(app, new_visitor):
    run(_load_demo)
    world = run(_world)
    photo = ROUTES["POST /inspect/checklists/{checklist_id:int}/items/{indicator_id:int}/photos"]
    visitors: dict[str, Visitor] = {role: new_visitor() for role in ROLES}
    for role, username in PEOPLE.items():
        visitors[role].sign_in(username)
    # Inspector A's photo on their checklist: the evidence routes are tried on it.
    uploaded = visitors[INSPECTOR_A].client.post(
        _url("/inspect/checklists/{checklist_id:int}/items/{indicator_id:int}/photos", photo, world),
        data={"_csrf_token": visitors[INSPECTOR_A].csrf_token()}, files=photo.files,
        headers={"Accept": "application/json"})
    assert uploaded.status_code in {200, 201}, uploaded.text
    world["evidence_a"] = str(run(Account.raw("SELECT id FROM evidence ORDER BY id DESC LIMIT 1"))[0]["id"])

    counts_sql = _digest_sql()
    unexpected: list[str] = []
    for role in ROLES:
        visitor = visitors[role]
        before = run(_contents)
        for key, entry in sorted(ROUTES.items()):
            method, path = key.split(" ", 1)
            allowed = role in entry.allowed
            if method != "GET" and allowed:
                continue  # what the allowed do is each capability's own tests' business
            url = _url(path, entry, world)
            counts = run(_row_counts(counts_sql)) if method != "GET" else None
            response = _answer(visitor, method, url, entry, world)
            status = response.status_code
            if status >= 500:
                unexpected.append(f"{role:12} {method} {url}: {status} (a server error)")
            elif allowed:
                if status in {401, 403, 404} or _sent_to_sign_in(response):
                    unexpected.append(f"{role:12} {method} {url}: {status}, though allowed")
                if method == "GET" and role in {ANONYMOUS, OFFICE}:
                    unexpected.extend(_head_differs(visitor, url, response, role))
            elif not (status in REFUSED or _sent_to_sign_in(response) or _leads_to_a_refusal(visitor, response)):
                unexpected.append(f"{role:12} {method} {url}: {status}, though not allowed")
            elif counts is not None and run(_row_counts(counts_sql)) != counts:
                unexpected.append(f"{role:12} {method} {url}: refused ({status}) but rows were added or removed")
        if run(_contents) != before:
            unexpected.append(f"{role:12}: refused requests changed the database")
            before = run(_contents)
    assert not unexpected, "\n".join(unexpected)
