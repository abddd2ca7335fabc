"""How the term index is counted: exact or capped, and with a plan that stays an index probe
per word even when PostgreSQL has no statistics for ``search_terms`` (right after a bulk
load), where a grouped ``IN`` list had turned into a scan of the whole index."""

from __future__ import annotations

from sqlalchemy import text

from marketplace.extensions import db
from marketplace.search.database import _PG_TERM_COUNTS, existing_terms, term_counts
from marketplace.search.terms import one_edit_variants, parse_text
from marketplace.services.catalogue.search import spelling_for


def _documents_with(term: str) -> int:
    return db.session.scalar(text("SELECT count(*) FROM search_terms WHERE term = :t"), {"t": term})


def test_counts_are_exact_or_capped_and_absent_terms_are_left_out(search_app):
    with search_app.app_context():
        mat = _documents_with("mat")
        assert mat > 2
        assert term_counts({"mat", "zzqx"}) == {"mat": mat}
        assert term_counts({"mat", "zzqx"}, cap=2) == {"mat": 2}
        assert existing_terms({"mat", "zzqx"}) == {"mat"}
        assert term_counts(set()) == {}


def test_without_statistics_each_word_is_an_index_probe(search_app):
    with search_app.app_context():
        db.session.execute(
            text("DELETE FROM pg_statistic WHERE starelid = 'search_terms'::regclass")
        )
        db.session.execute(
            text("UPDATE pg_class SET reltuples = -1 WHERE relname = 'search_terms'")
        )
        try:
            candidates = sorted(one_edit_variants("nahn") | one_edit_variants("tuyett"))
            plan = "\n".join(
                db.session.execute(
                    text("EXPLAIN " + _PG_TERM_COUNTS.text),
                    {"terms": candidates, "cap": 2000},
                ).scalars()
            )
            assert "Index" in plan and "Seq Scan" not in plan, plan
            assert spelling_for(parse_text("mat ong hoa nahn")) == "mat ong hoa nhan"
        finally:
            db.session.rollback()  # the statistics come back with the transaction


def test_postgresql_connections_do_not_compile_queries(search_app):
    with search_app.app_context():
        assert db.session.execute(text("SHOW jit")).scalar() == "off"
        db.session.rollback()
        assert db.session.execute(text("SHOW jit")).scalar() == "off"
