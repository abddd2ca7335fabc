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
