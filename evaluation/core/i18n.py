"""Interface language: Simplified Chinese first, English second, through gettext catalogues.

Message ids are the Chinese text itself, so the zh_CN interface is complete even without
its catalogue; ``locale/en`` translates them.
"""

from __future__ import annotations

from contextvars import ContextVar
from gettext import NullTranslations, translation
from pathlib import Path

from babel.support import LazyProxy

LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "zh_CN"
LANGUAGES = {"zh_CN": "中文", "en": "English"}
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}
LANGUAGE_COOKIE = "lang"

_catalogues: dict[str, NullTranslations] = {}
_active_language: ContextVar[str] = ContextVar("active_language", default=DEFAULT_LANGUAGE)


def catalogue(language: str) -> NullTranslations:
    if language not in _catalogues:
        _catalogues[language] = translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)
    return _catalogues[language]


def activate(language: str) -> None:
    _active_language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def active_language() -> str:
    return _active_language.get()


def gettext(message: str) -> str:
    return catalogue(_active_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalogue(_active_language.get()).ngettext(singular, plural, n)


def lazy_gettext(message: str) -> LazyProxy:
    """For module-level strings, translated when shown, in the language of that request."""
    return LazyProxy(gettext, message, enable_cache=False)


_ = gettext


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; it is translated where it is shown."""
    return message


def choose_language(cookie: str | None) -> str:
    """Chinese unless the visitor chose otherwise with the language switch: the portal is
    a Chinese government site first, whatever language the browser happens to ask for."""
    return cookie if cookie in LANGUAGES else DEFAULT_LANGUAGE
