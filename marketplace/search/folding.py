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
    decomposed = unicodedata.normalize("NFD", text.translate(_SPECIAL))
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

    Words are runs of letters and digits, so both backends (and Elasticsearch's standard
    tokenizer, which gets these words joined by spaces) split text identically.
    """
    return _WORD.findall(fold(text))


def exact_tokens(text: str | None) -> list[str]:
    """Lower-case words keeping their tone marks: "Mật ong" → mật, ong."""
    if not text:
        return []
    return _WORD.findall(unicodedata.normalize("NFC", text).casefold())
