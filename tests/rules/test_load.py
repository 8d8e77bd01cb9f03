"""The CSV import (rules/db/load.py): the demo export, idempotent re-loads, upserts, partial exports,
domain normalisation in every file, BOM, extra and reordered columns, registration expiry, lead claims."""
from __future__ import annotations

import csv
import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import String, cast, select

sys.path.insert(0, str(Path(__file__).resolve().parent))  # conftest_load lives next to this file

from conftest_load import (  # noqa: E402
    ACCOUNTS_HEADER,
    DEMO_DIR,
    PARTNERS_HEADER,
    REGISTRATIONS_HEADER,
    counts,
    csv_text,
    db,  # noqa: F401  (fixture)
    export,  # noqa: F401  (fixture)
    load_sqlite_template,  # noqa: F401  (fixture)
    snapshot,
)
from rules.db import models  # noqa: E402
from rules.db.load import (  # noqa: E402
    FILE_NAMES,
    Context,
    LoadErrors,
    _Bad,
    domain_field,
    load_demo,
    load_demo_if_empty,
    load_directory,
    money,
)
from rules.domains import normalise_domain  # noqa: E402
from rules.errors import BadInput  # noqa: E402

PARTNERS = csv_text(PARTNERS_HEADER, "P-1,Agência Um,partner,gold,2020-01-15", "P-2,Dois Ltda,provider,,2024-05-02")


def demo_rows(name: str) -> list:
    with (DEMO_DIR / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def rows(engine, table, *columns):
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(select(*[table.c[c] for c in columns])))


# ---------------------------------------------------------------------------- the demo export


def test_demo_export_loads_every_file(db):
    report = load_directory(db.engine, DEMO_DIR)
    assert [f.file for f in report.files] == list(FILE_NAMES)  # every file present, in load order
    for item in report.files:
        expected = len(demo_rows(item.file))
        assert (item.rows, item.inserted, item.updated, item.unchanged) == (expected, expected, 0, 0), item
    table_counts = counts(db.engine)
    assert table_counts["partners"] == len(demo_rows("partners.csv"))
    assert table_counts["registrations"] == len(demo_rows("registrations.csv"))
    # one claim per registered domain
    assert table_counts["lead_claims"] == len({normalise_domain(r["domain"]) for r in demo_rows("registrations.csv")})


def test_demo_values_are_normalised_as_documented(db):
    load_directory(db.engine, DEMO_DIR)
    domains = {r[0] for r in rows(db.engine, models.accounts, "domain")}
    assert "sorveteria-gelato.com.br" in domains  # written as https://www.sorveteria-gelato.com.br/
    assert "xn--aa-da-amaznia-igb5guf.com.br" in domains  # written as contato@açaí-da-amazônia.com.br
    assert not any(d.startswith(("http", "www.")) or "@" in d for d in domains)
    apps = {r for r in rows(db.engine, models.app_usage, "domain", "app") if r[0] == "metalurgica-uniao.com.br"}
    assert apps == {("metalurgica-uniao.com.br", a) for a in ("contacts", "deals", "calls_to_action", "workflows")}
    registrations = rows(db.engine, models.registrations, "partner_id", "domain", "registered_on", "expires_on")
    assert ("P-1003", "mercado-bompreco.com.br", dt.date(2026, 2, 14), dt.date(2027, 2, 14)) in registrations
    with db.engine.connect() as conn:
        claim = conn.execute(select(models.lead_claims).where(models.lead_claims.c.domain == "vinicola-serra.com.br")).one()
        amount = conn.execute(select(cast(models.subscriptions.c.monthly_usd, String))
                              .where(models.subscriptions.c.domain == "padaria-trigo.com.br")
                              .where(models.subscriptions.c.product == "sales_hub_professional")).scalar()
    assert (claim.partner_id, claim.registered_on) == ("P-1007", dt.date(2026, 4, 1))  # the latest registration
    assert Decimal(amount) == Decimal("400.00")


def test_reloading_the_demo_changes_nothing(db):
    load_directory(db.engine, DEMO_DIR)
    before = snapshot(db.engine)
    report = load_directory(db.engine, DEMO_DIR)
    assert snapshot(db.engine) == before
    assert not report.changed and report.inserted == 0 and report.updated == 0
    assert all(f.unchanged == f.rows for f in report.files)


def test_load_demo_if_empty_leaves_a_database_with_partners_alone(db, export):
    load_directory(db.engine, export({"partners.csv": PARTNERS}))
    assert load_demo_if_empty(db.engine) is None
    assert counts(db.engine)["partners"] == 2
    assert load_demo(db.engine).inserted > 0


# ---------------------------------------------------------------------------- upserts


def test_changed_rows_are_updated_new_rows_inserted_and_others_untouched(db, export):
    accounts = csv_text(ACCOUNTS_HEADER, "acme.com,Acme,no,,,no", "beta.com.br,Beta,yes,sales_hub_starter,,no",
                        "gama.mx,Gama,no,,rep@hubspot.com,yes")
    load_directory(db.engine, export({"accounts.csv": accounts}))
    changed = csv_text(ACCOUNTS_HEADER, "acme.com,Acme S.A.,yes,marketing_hub_professional,,no",
                       "beta.com.br,Beta,yes,sales_hub_starter,,no", "delta.pt,Delta,no,,,no")
    report = load_directory(db.engine, export({"accounts.csv": changed}))
    (item,) = report.files
    assert (item.inserted, item.updated, item.unchanged) == (1, 1, 1)
    assert rows(db.engine, models.accounts, "domain", "company", "customer", "products") == [
        ("acme.com", "Acme S.A.", True, "marketing_hub_professional"),
        ("beta.com.br", "Beta", True, "sales_hub_starter"),
        ("delta.pt", "Delta", False, ""),
        ("gama.mx", "Gama", False, ""),  # not in the second file: kept as it was
    ]


def test_partners_without_the_domain_column_keep_their_domain(db, export):
    load_directory(db.engine, export({"partners.csv": csv_text(PARTNERS_HEADER + ",domain",
                                                               "P-1,Um,partner,gold,2020-01-15,https://www.um.com.br")}))
    report = load_directory(db.engine, export({"partners.csv": csv_text(PARTNERS_HEADER,
                                                                        "P-1,Um,partner,platinum,2020-01-15")}))
    assert report.files[0].updated == 1
    assert rows(db.engine, models.partners, "partner_id", "tier", "domain") == [("P-1", "platinum", "um.com.br")]


def test_reload_across_lookup_chunks_is_unchanged(db, export):
    """More rows than one `IN (...)` lookup holds, on every key shape (single, composite)."""
    n = 1_234
    accounts = csv_text(ACCOUNTS_HEADER, *[f"empresa{i}.com.br,Empresa {i},no,,,no" for i in range(n)])
    registrations = csv_text(REGISTRATIONS_HEADER,
                             *[f"P-{1 + i % 2},empresa{i}.com.br,c@empresa{i}.com.br,2026-0{1 + i % 9}-1{i % 10}"
                               for i in range(n)])
    app_usage = csv_text("domain,app", *[f"empresa{i // 3}.com.br,{('contacts', 'deals', 'email')[i % 3]}"
                                         for i in range(n)])
    folder = export({"partners.csv": PARTNERS, "accounts.csv": accounts, "registrations.csv": registrations,
                     "app_usage.csv": app_usage})
    first = load_directory(db.engine, folder)
    assert first.inserted == 2 + 3 * n
    before = snapshot(db.engine)
    again = load_directory(db.engine, folder)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2 + 3 * n)
    assert snapshot(db.engine) == before


# ---------------------------------------------------------------------------- partial exports


def test_any_subset_of_files_loads(db, export):
    report = load_directory(db.engine, export({"accounts.csv": csv_text(ACCOUNTS_HEADER, "acme.com,Acme,no,,,no")}))
    assert [f.file for f in report.files] == ["accounts.csv"]
    assert counts(db.engine)["accounts"] == 1 and counts(db.engine)["partners"] == 0


def test_registrations_alone_may_name_partners_already_in_the_database(db, export):
    load_directory(db.engine, export({"partners.csv": PARTNERS}))
    report = load_directory(db.engine, export({"registrations.csv": csv_text(
        REGISTRATIONS_HEADER, "P-2,acme.com,joao@acme.com,2026-03-01")}))
    assert [f.file for f in report.files] == ["registrations.csv"] and report.inserted == 1
    assert rows(db.engine, models.lead_claims, "domain", "partner_id") == [("acme.com", "P-2")]


def test_extension_files_alone(db, export):
    load_directory(db.engine, export({"partners.csv": PARTNERS}))
    report = load_directory(db.engine, export({
        "certifications.csv": csv_text("partner_id,certification,earned_on,expires_on", "P-1,Inbound,2025-01-01,",
                                       "P-1,inbound,2023-01-01,2025-01-01"),
        "managed_accounts.csv": csv_text("partner_id,domain,managed_since", "P-1,cliente.com.br,",
                                         "P-2,cliente.com.br,2026-01-01"),
        "portal_activity.csv": csv_text("partner_id,domain,user_email,first_active_on,last_active_on",
                                        "P-1,cliente.com.br,Ana@Agencia.COM.br,2026-01-02,2026-11-29"),
        "subscriptions.csv": csv_text("domain,product,monthly_usd,started_on,ended_on,sold_by",
                                      "cliente.com.br,Sales Hub Starter,50,2026-01-01,,P-1",
                                      "cliente.com.br,marketing_hub_professional,890.5,2026-02-01,2026-12-31,"),
    }))
    assert sorted(f.file for f in report.files) == ["certifications.csv", "managed_accounts.csv",
                                                    "portal_activity.csv", "subscriptions.csv"]
    assert rows(db.engine, models.certifications, "partner_id", "certification", "earned_on", "expires_on") == [
        ("P-1", "inbound", dt.date(2023, 1, 1), dt.date(2025, 1, 1)), ("P-1", "inbound", dt.date(2025, 1, 1), None)]
    assert rows(db.engine, models.managed_accounts, "partner_id", "managed_since") == [
        ("P-1", None), ("P-2", dt.date(2026, 1, 1))]
    assert rows(db.engine, models.portal_activity, "user_email") == [("Ana@agencia.com.br",)]
    with db.engine.connect() as conn:
        s = models.subscriptions
        subs = sorted((r.product, Decimal(r.amount), r.ended_on, r.sold_by) for r in conn.execute(
            select(s.c.product, cast(s.c.monthly_usd, String).label("amount"), s.c.ended_on, s.c.sold_by)))
    assert subs == [("marketing_hub_professional", Decimal("890.50"), dt.date(2026, 12, 31), None),
                    ("sales_hub_starter", Decimal("50.00"), None, "P-1")]


def test_a_folder_with_no_known_file_or_no_folder_is_bad_input(db, tmp_path, export):
    folder = export({"notes.txt": "hello", "other.csv": "a,b\n"})
    with pytest.raises(BadInput) as caught:
        load_directory(db.engine, folder)
    assert caught.value.code == "load_no_files"
    with pytest.raises(BadInput) as caught:
        load_directory(db.engine, tmp_path / "missing")
    assert caught.value.code == "load_not_a_directory"


def test_file_names_are_matched_case_insensitively(db, export):
    report = load_directory(db.engine, export({"Partners.CSV": PARTNERS}))
    assert report.files[0].file == "partners.csv" and report.inserted == 2


# ---------------------------------------------------------------------------- file format


def test_bom_crlf_extra_and_reordered_columns_and_header_case(db, export):
    partners = "\ufeffJoined_On , NAME,partner_id,notes,package,tier\r\n2020-01-15,Um,P-1,vip,partner,Gold\r\n"
    accounts = ("segment,active_sales_process,hubspot_owner,products,customer,company,domain,\r\n"
                "smb,NO,,,Yes,\"Acme, Inc.\",acme.com,\r\n"
                "\r\n"
                "ent,yes,rep@hubspot.com,\"sales_hub_starter; marketing_hub_professional\",no,\"Multi\r\nline\",beta.com,\r\n")
    report = load_directory(db.engine, export({"partners.csv": partners, "accounts.csv": accounts}))
    assert report.inserted == 3
    assert rows(db.engine, models.partners, "partner_id", "name", "package", "tier", "joined_on") == [
        ("P-1", "Um", "partner", "gold", dt.date(2020, 1, 15))]
    assert rows(db.engine, models.accounts, "domain", "company", "customer", "products", "hubspot_owner",
                "active_sales_process") == [
        ("acme.com", "Acme, Inc.", True, "", None, False),
        ("beta.com", "Multi\r\nline", False, "sales_hub_starter;marketing_hub_professional", "rep@hubspot.com", True),
    ]


def test_a_header_only_file_loads_nothing_and_is_fine(db, export):
    report = load_directory(db.engine, export({"accounts.csv": ACCOUNTS_HEADER + "\n"}))
    assert (report.files[0].rows, report.inserted) == (0, 0)


# ---------------------------------------------------------------------------- domains in every file


FORMS = ("acme.com.br", "ACME.com.br", "https://www.acme.com.br/contato?x=1", "http://acme.com.br:8080",
         "vendas@Acme.com.br", "mailto:joao@acme.com.br", "www.acme.com.br.", "  acme.com.br  ")

DOMAIN_FILES = {
    "accounts.csv": (ACCOUNTS_HEADER, "{d},Acme,no,,,no", models.accounts),
    "registrations.csv": (REGISTRATIONS_HEADER, "P-1,{d},joao@acme.com.br,2026-05-01", models.registrations),
    "subscriptions.csv": ("domain,product,monthly_usd,started_on,ended_on,sold_by",
                          "{d},sales_hub_starter,50,2026-05-01,,", models.subscriptions),
    "managed_accounts.csv": ("partner_id,domain,managed_since", "P-1,{d},", models.managed_accounts),
    "portal_activity.csv": ("partner_id,domain,user_email,first_active_on,last_active_on",
                            "P-1,{d},ana@um.com.br,2026-01-01,2026-02-01", models.portal_activity),
    "app_usage.csv": ("domain,app", "{d},contacts", models.app_usage),
}


@pytest.mark.parametrize("name", sorted(DOMAIN_FILES))
@pytest.mark.parametrize("form", FORMS)
def test_domains_are_normalised_in_every_file(db, export, name, form):
    header, row, table = DOMAIN_FILES[name]
    load_directory(db.engine, export({"partners.csv": PARTNERS, name: csv_text(header, row.format(d=f'"{form}"'))}))
    assert rows(db.engine, table, "domain") == [("acme.com.br",)]


def test_idn_domains_and_partner_domains_are_stored_in_idna_form(db, export):
    load_directory(db.engine, export({
        "partners.csv": csv_text(PARTNERS_HEADER + ",domain", "P-1,Um,partner,,2020-01-01,https://www.Agência.com.br/"),
        "accounts.csv": csv_text(ACCOUNTS_HEADER, "café.com.br,Café,no,,,no", "xn--caf-dma.com,Café 2,no,,,no"),
    }))
    assert rows(db.engine, models.partners, "domain") == [("xn--agncia-jva.com.br",)]
    assert rows(db.engine, models.accounts, "domain") == [("xn--caf-dma.com",), ("xn--caf-dma.com.br",)]


def test_the_same_domain_written_two_ways_is_one_key(db, export):
    """Registrations key on the normalised domain: a URL and an email of the same lead are the same row."""
    folder = export({"partners.csv": PARTNERS, "registrations.csv": csv_text(
        REGISTRATIONS_HEADER, "P-1,https://acme.com,a@acme.com,2026-05-01", "P-1,b@ACME.COM,b@acme.com,2026-05-01")})
    with pytest.raises(LoadErrors) as caught:
        load_directory(db.engine, folder)
    assert caught.value.lines() == [
        "registrations.csv:3: partner_id+domain+registered_on: duplicate key: same as line 2 (P-1, acme.com, 2026-05-01)"]


# ---------------------------------------------------------------------------- registrations and claims


@pytest.mark.parametrize("registered_on, expires_on", [
    ("2026-11-30", "2027-11-30"),
    ("2024-02-29", "2025-02-28"),  # month arithmetic clamps to the month's end
    ("2025-12-01", "2026-12-01"),
    ("2015-06-01", "2016-06-01"),  # before the policy's first dated value (2018): its first value applies
])
def test_registration_expires_by_the_validity_parameter(db, export, registered_on, expires_on):
    load_directory(db.engine, export({"partners.csv": PARTNERS, "registrations.csv": csv_text(
        REGISTRATIONS_HEADER, f"P-1,acme.com,a@acme.com,{registered_on}")}))
    assert rows(db.engine, models.registrations, "expires_on") == [(dt.date.fromisoformat(expires_on),)]


def test_lead_claims_follow_the_latest_registration(db, export):
    load_directory(db.engine, export({"partners.csv": PARTNERS, "registrations.csv": csv_text(
        REGISTRATIONS_HEADER, "P-1,acme.com,a@acme.com,2024-03-01", "P-2,acme.com,b@acme.com,2025-06-01",
        "P-1,beta.com,a@beta.com,2026-01-10")})) 
    assert rows(db.engine, models.lead_claims, "domain", "partner_id", "registered_on", "expires_on") == [
        ("acme.com", "P-2", dt.date(2025, 6, 1), dt.date(2026, 6, 1)),
        ("beta.com", "P-1", dt.date(2026, 1, 10), dt.date(2027, 1, 10))]
    # a later export with a re-registration moves the claim
    load_directory(db.engine, export({"registrations.csv": csv_text(
        REGISTRATIONS_HEADER, "P-1,acme.com,a@acme.com,2026-07-01")}))
    assert rows(db.engine, models.lead_claims, "domain", "partner_id")[0] == ("acme.com", "P-1")
    assert counts(db.engine)["registrations"] == 4


def test_the_local_claim_sync_matches_the_lead_registration_one(db, export):
    """load.py keeps a fallback for rules.lead_registration.sync_claims; both give the same claims."""
    from rules.db.load import sync_claims_from_registrations

    load_directory(db.engine, DEMO_DIR)
    expected = rows(db.engine, models.lead_claims, "domain", "partner_id", "registered_on", "expires_on")
    with db.engine.begin() as conn:
        conn.execute(models.lead_claims.delete())
        domains = [r[0] for r in conn.execute(select(models.registrations.c.domain).distinct())]
        assert sync_claims_from_registrations(conn, domains) == len(expected)
    assert rows(db.engine, models.lead_claims, "domain", "partner_id", "registered_on", "expires_on") == expected


# ---------------------------------------------------------------------------- properties of the parsers

_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True).filter(lambda s: s[2:4] != "--")
_domain = st.builds(lambda labels, tld: ".".join(labels + [tld]), st.lists(_label, min_size=1, max_size=3),
                    st.sampled_from(["com", "com.br", "mx", "pt", "io", "de"])).filter(lambda d: not d.startswith("www."))


@given(domain=_domain, form=st.sampled_from(["{d}", "{D}", "https://www.{d}/x?y=1", "http://{d}:8080",
                                              "ana@{D}", "www.{d}.", " {d} "]))
def test_every_way_of_writing_a_domain_gives_the_same_key(domain, form):
    raw = form.format(d=domain, D=domain.upper()).strip()
    assert domain_field(raw, Context()) == normalise_domain(domain) == domain


@given(cents=st.integers(min_value=0, max_value=999_999_999_999))
def test_amounts_with_up_to_two_decimals_are_exact(cents):
    text = f"{cents // 100}.{cents % 100:02d}"
    assert money(text, Context()) == Decimal(cents) / 100
    assert money(text.rstrip("0").rstrip(".") or "0", Context()) == Decimal(cents) / 100


@given(cents=st.integers(min_value=1, max_value=10**9), extra=st.integers(min_value=1, max_value=9))
def test_negative_amounts_and_fractions_of_cents_are_refused(cents, extra):
    with pytest.raises(_Bad) as caught:
        money(f"-{cents // 100}.{cents % 100:02d}", Context())
    assert caught.value.code == "negative"
    with pytest.raises(_Bad) as caught:
        money(f"{cents // 100}.{cents % 100:02d}{extra}", Context())
    assert caught.value.code == "decimals"
