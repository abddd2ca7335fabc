"""Vietnamese text folding: lower-case, tone marks and diacritics removed, đ → d.

"Sâm Lai Châu" → "sam lai chau", "Rượu sâm" → "ruou sam". Used on both sides — when
indexing and when querying — so every search backend matches the same way.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# đ/Đ are letters of their own, not d + a combining mark, so NFD leaves them alone.
_SPECIAL = str.maketrans({"đ": "d", "Đ": "d", "ð": "d"})


def fold(text: str | None) -> str:
    if not text:
        return ""
    # NFKC first: full-width "ＳＴ２５" and "m²" become plain "ST25" and "m2".
    decomposed = unicodedata.normalize(
        "NFD", unicodedata.normalize("NFKC", text).translate(_SPECIAL)
    )
    # Drop combining marks (tones, circumflex, breve, horn) and control characters.
    stripped = "".join(
        " " if ch.isspace() else ch
        for ch in decomposed
        if ch.isspace() or not (unicodedata.combining(ch) or unicodedata.category(ch) == "Cc")
    )
    return _SPACES.sub(" ", stripped.casefold()).strip()


_WORD = re.compile(r"[^\W_]+")


def tokens(text: str | None) -> list[str]:
    """The folded words of ``text``: "Sâm ngâm mật-ong 500ml" → sam, ngam, mat, ong, 500ml.

    Words are runs of letters and digits; Elasticsearch gets them joined by spaces and only
    splits on those, so both backends see the same words.
    """
    return _WORD.findall(fold(text))


def exact_tokens(text: str | None) -> list[str]:
    """Lower-case words keeping their tone marks: "Mật ong" → mật, ong."""
    if not text:
        return []
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
