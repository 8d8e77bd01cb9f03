"""Importing a CRM export (`partnerbot db load DIR`): every row of every CSV is checked, then all are upserted in one transaction.

A load is all-or-nothing: `load_directory` reads and validates every file it finds
(partners, accounts, registrations and the eligibility extensions), and only when no
row has a problem writes them, each table upserted by its key, so loading the same
files twice changes nothing. Problems are reported as `FILE:LINE: COLUMN: reason`, LINE
being the physical line where the row starts (the header is line 1).
"""
from __future__ import annotations

import csv
import datetime as dt
import importlib
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Callable, Iterable

from dateutil.relativedelta import relativedelta
from sqlalchemy import Numeric, String, and_, bindparam, cast, func, select
from sqlalchemy.engine import Connection, Engine

from rules.db import models
from rules.domains import InvalidDomain, normalise_domain
from rules.errors import BadInput
from rules.parameters import ParameterError, parameter
from rules.texts import text

CHUNK = 5_000  # rows per executemany
LOOKUP_CHUNK = 500  # keys per `IN (...)` when reading existing rows (SQLite allows 999 bound values)
DEMO_DIR = Path(__file__).resolve().parents[2] / "data" / "demo"  # the demo export (data/demo/README.md)
VALIDITY_PARAMETER = "leads.registration_validity_months"
APPS_PARAMETER = "program.apps.counted_apps"


# ---------------------------------------------------------------------------- problems and report


@dataclass(frozen=True)
class Problem:
    """One bad row (or header), reported as `FILE:LINE: COLUMN: reason`."""

    file: str
    line: int
    column: str
    code: str
    values: dict = field(default_factory=dict, hash=False, compare=False)

    def reason(self, lang: str = "en") -> str:
        return text("errors", f"load_{self.code}", lang, **self.values)

    def message(self, lang: str = "en") -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.reason(lang)}"

    def __str__(self) -> str:
        return self.message("en")


class LoadErrors(Exception):
    """The load was refused: nothing was written. `problems` lists every bad row, in file and line order."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s); nothing was loaded")

    def lines(self, lang: str = "en") -> list[str]:
        return [problem.message(lang) for problem in self.problems]

    def summary(self, lang: str = "en") -> str:
        files = sorted({p.file for p in self.problems})
        return text("errors", "load_refused", lang, count=len(self.problems), files=", ".join(files))


@dataclass
class FileReport:
    """What one file did to its table."""

    file: str
    table: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def line(self) -> str:
        return (f"{self.file:<22} {self.rows:>9} rows: {self.inserted} inserted, "
                f"{self.updated} updated, {self.unchanged} unchanged")


@dataclass
class LoadReport:
    """The result of a load: one FileReport per file found, in load order."""

    directory: str
    files: list[FileReport] = field(default_factory=list)
    claims_synced: int = 0  # domains whose lead_claims row was brought up to date from registrations
    claims_sync: str = ""  # which function did it

    @property
    def inserted(self) -> int:
        return sum(f.inserted for f in self.files)

    @property
    def updated(self) -> int:
        return sum(f.updated for f in self.files)

    @property
    def unchanged(self) -> int:
        return sum(f.unchanged for f in self.files)

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated)

    def by_file(self) -> dict:
        return {f.file: f for f in self.files}

    def lines(self) -> list[str]:
        return [f.line() for f in self.files]

    def as_dict(self) -> dict:
        return {
            "directory": self.directory,
            "files": [vars(f).copy() for f in self.files],
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "claims_synced": self.claims_synced,
        }


class _Bad(Exception):
    """A value's problem, raised by a field parser: the code of `load_<code>` in errors.yaml and its values."""

    def __init__(self, code: str, **values):
        super().__init__(code)
        self.code = code
        self.values = {k: _show(v) if k == "value" and isinstance(v, str) else v for k, v in values.items()}


def _show(value: str, limit: int = 80) -> str:
    """A value as it can be quoted on one line of the report (control characters escaped, long values cut)."""
    shown = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


# ---------------------------------------------------------------------------- field parsers


class Context:
    """What parsers share during one load: caches (domains repeat across files) and the app names."""

    def __init__(self):
        self.domains: dict[str, str] = {}
        self._apps: dict | None = None

    def domain(self, raw: str) -> str:
        try:
            return self.domains[raw]
        except KeyError:
            pass
        try:
            value = normalise_domain(raw)
        except InvalidDomain as exc:
            raise _Bad("domain", value=raw, why=str(exc)) from None
        self.domains[raw] = value
        return value

    def apps(self) -> dict:
        """App names (code, Portuguese and English names, lower case) -> app code, from the policy's app list."""
        if self._apps is None:
            names: dict = {}
            try:
                for app in parameter(APPS_PARAMETER, dt.date.today()).value or ():
                    for name in (app.get("code"), app.get("pt"), app.get("en")):
                        if name:
                            names[_squash(name)] = app["code"]
            except ParameterError:
                pass
            self._apps = names
        return self._apps


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_CODE = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_SEPARATORS = re.compile(r"[\s\-./+]+")
_EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_PARTNER_ID = re.compile(r"^[^\s,;]+$")
MAX_MONTHLY_USD = Decimal("9999999999.99")  # Numeric(12, 2)


def _squash(name: str) -> str:
    return " ".join(name.lower().split())


def text_field(limit: int) -> Callable:
    def parse(raw: str, ctx: Context) -> str:
        if len(raw) > limit:
            raise _Bad("too_long", limit=limit)
        return raw
    return parse


def partner_id(raw: str, ctx: Context) -> str:
    if len(raw) > 64 or not _PARTNER_ID.match(raw):
        raise _Bad("partner_id", value=raw)
    return raw


def choice(*options: str) -> Callable:
    def parse(raw: str, ctx: Context) -> str:
        value = raw.lower()
        if value not in options:
            raise _Bad("choice", value=raw, choices=", ".join(options))
        return value
    return parse


def yes_no(raw: str, ctx: Context) -> bool:
    value = raw.lower()
    if value == "yes":
        return True
    if value == "no":
        return False
    raise _Bad("yes_no", value=raw)


def date_field(raw: str, ctx: Context) -> dt.date:
    if not _DATE.match(raw):
        raise _Bad("date_format", value=raw)
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise _Bad("date_invalid", value=raw) from None


def domain_field(raw: str, ctx: Context) -> str:
    return ctx.domain(raw)


def email_field(raw: str, ctx: Context) -> str:
    """An email address: a plain local part and a valid domain (normalised: lower case, IDNA)."""
    local, at, host = raw.rpartition("@")
    if not at or not local or len(raw) > 320 or len(local) > 64 or not _EMAIL_LOCAL.match(local) \
            or local.startswith(".") or local.endswith(".") or ".." in local or any(c in host for c in "/:?#@ "):
        raise _Bad("email", value=raw)
    try:
        domain = ctx.domain(host)
    except _Bad:
        raise _Bad("email", value=raw) from None
    return f"{local}@{domain}"


def money(raw: str, ctx: Context) -> Decimal:
    value = raw.replace(",", "") if re.match(r"^\d{1,3}(,\d{3})+(\.\d+)?$", raw) else raw
    if value.startswith("-") and _NUMBER.match(value[1:]):
        raise _Bad("negative", value=raw)
    if not _NUMBER.match(value):
        raise _Bad("number", value=raw)
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise _Bad("number", value=raw) from None
    if amount != amount.quantize(Decimal("0.01")):
        raise _Bad("decimals", value=raw)
    if amount > MAX_MONTHLY_USD:
        raise _Bad("too_large", value=raw)
    return amount.quantize(Decimal("0.01"))


def code(raw: str, ctx: Context) -> str:
    """A product or certification code: lower case, words joined by `_` (`Sales Hub Starter` -> `sales_hub_starter`)."""
    value = _SEPARATORS.sub("_", raw.strip().lower()).strip("_")
    if not _CODE.match(value):
        raise _Bad("code", value=raw)
    if len(value) > 64:
        raise _Bad("too_long", limit=64)
    return value


def products(raw: str, ctx: Context) -> str:
    """`;`-separated product codes, normalised like `code`; empty pieces are dropped."""
    out = []
    for piece in raw.split(";"):
        if piece.strip():
            value = code(piece, ctx)
            if value not in out:
                out.append(value)
    return ";".join(out)


def app(raw: str, ctx: Context) -> str:
    """An app of the app-utilisation metric: its code or its Portuguese or English name -> the code."""
    known = ctx.apps().get(_squash(raw))
    return known if known else code(raw, ctx)


# ---------------------------------------------------------------------------- files


@dataclass(frozen=True)
class Field:
    """A CSV column: how to parse it; `optional` = may be empty; `header_optional` = the column itself may be absent."""

    name: str
    parse: Callable
    optional: bool = False
    header_optional: bool = False
    empty: object = None  # the stored value of an empty optional field
    partner_ref: bool = False


@dataclass(frozen=True)
class CsvFile:
    """One CSV file of the export: its table, key, columns and the checks that span columns."""

    name: str
    table: object
    key: tuple
    fields: tuple
    lookup: str  # an indexed column to read existing rows by
    derive: Callable | None = None  # adds computed columns (registrations' expires_on)
    derived: tuple = ()
    order: tuple = ()  # (earlier column, later column): the later may not be before the earlier


def _registration_expiry(values: dict) -> dict:
    values["expires_on"] = registration_expires_on(values["registered_on"])
    return values


_expiry_cache: dict = {}  # registered_on -> expires_on (parameter files do not change while running)


def registration_expires_on(registered_on: dt.date) -> dt.date:
    """The day a registration expires: `leads.registration_validity_months` after it was made.

    FAQ "Como posso saber se um contato expirou?": "Depois de um ano, a propriedade
    “Status do registro” mudará para “Expirado”." Registrations made before the policy's
    first recorded value (2018) use that first value.
    """
    expires_on = _expiry_cache.get(registered_on)
    if expires_on is None:
        try:
            months = parameter(VALIDITY_PARAMETER, registered_on).value
        except ParameterError:
            months = _first_validity()
        try:
            expires_on = registered_on + relativedelta(months=int(months))
        except (OverflowError, ValueError):
            raise _Bad("date_range", value=registered_on.isoformat()) from None
        if len(_expiry_cache) < 100_000:
            _expiry_cache[registered_on] = expires_on
    return expires_on


def _first_validity() -> int:
    from rules.parameters import _load  # the earliest dated value, for registrations older than the records

    values = _load(VALIDITY_PARAMETER)["values"]
    return next(iter(values.values()))["value"]


t = models
FILES: tuple = (
    CsvFile("partners.csv", t.partners, key=("partner_id",), lookup="partner_id", fields=(
        Field("partner_id", partner_id),
        Field("name", text_field(255)),
        Field("package", choice("provider", "partner")),
        Field("tier", choice("gold", "platinum", "diamond", "elite"), optional=True),
        Field("joined_on", date_field),
        Field("domain", domain_field, optional=True, header_optional=True),
    )),
    CsvFile("accounts.csv", t.accounts, key=("domain",), lookup="domain", fields=(
        Field("domain", domain_field),
        Field("company", text_field(255)),
        Field("customer", yes_no),
        Field("products", products, optional=True, empty=""),
        Field("hubspot_owner", email_field, optional=True),
        Field("active_sales_process", yes_no),
    )),
    CsvFile("registrations.csv", t.registrations, key=("partner_id", "domain", "registered_on"), lookup="domain",
            fields=(
                Field("partner_id", partner_id, partner_ref=True),
                Field("domain", domain_field),
                Field("contact_email", email_field),
                Field("registered_on", date_field),
            ), derive=_registration_expiry, derived=("expires_on",)),
    CsvFile("subscriptions.csv", t.subscriptions, key=("domain", "product", "started_on"), lookup="domain", fields=(
        Field("domain", domain_field),
        Field("product", code),
        Field("monthly_usd", money),
        Field("started_on", date_field),
        Field("ended_on", date_field, optional=True),
        Field("sold_by", partner_id, optional=True, partner_ref=True),
    ), order=(("started_on", "ended_on"),)),
    CsvFile("managed_accounts.csv", t.managed_accounts, key=("partner_id", "domain"), lookup="partner_id", fields=(
        Field("partner_id", partner_id, partner_ref=True),
        Field("domain", domain_field),
        Field("managed_since", date_field, optional=True),
    )),
    CsvFile("portal_activity.csv", t.portal_activity, key=("partner_id", "domain", "user_email"),
            lookup="partner_id", fields=(
                Field("partner_id", partner_id, partner_ref=True),
                Field("domain", domain_field),
                Field("user_email", email_field),
                Field("first_active_on", date_field),
                Field("last_active_on", date_field),
            ), order=(("first_active_on", "last_active_on"),)),
    CsvFile("app_usage.csv", t.app_usage, key=("domain", "app"), lookup="domain", fields=(
        Field("domain", domain_field),
        Field("app", app),
    )),
    CsvFile("certifications.csv", t.certifications, key=("partner_id", "certification", "earned_on"),
            lookup="partner_id", fields=(
                Field("partner_id", partner_id, partner_ref=True),
                Field("certification", code),
                Field("earned_on", date_field),
                Field("expires_on", date_field, optional=True),
            ), order=(("earned_on", "expires_on"),)),
)
del t
FILE_NAMES = tuple(f.name for f in FILES)


@dataclass
class ParsedFile:
    """A file's valid rows (key -> values in `columns` order) and the columns it sets."""

    spec: CsvFile
    path: Path
    columns: tuple = ()
    rows: dict = field(default_factory=dict)  # key tuple -> value tuple (all columns, key first)
    lines: dict = field(default_factory=dict)  # key tuple -> line
    partner_refs: list = field(default_factory=list)  # (line, column, partner_id)
    partner_ids: set = field(default_factory=set)  # partners.csv: every id named, even on a bad row


def _decode(path: Path, spec: CsvFile, problems: list) -> str | None:
    data = path.read_bytes()
    try:
        content = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(Problem(spec.name, line, "encoding", "not_utf8", {"detail": f"byte 0x{data[exc.start]:02x}"}))
        return None
    return content[1:] if content.startswith("\ufeff") else content


def parse_file(path: Path, spec: CsvFile, ctx: Context, problems: list) -> ParsedFile | None:
    """Read and check every row of one file; problems are appended, valid rows kept."""
    content = _decode(path, spec, problems)
    if content is None:
        return None
    parsed = ParsedFile(spec, path)
    # Lines are split on "\n" only, so LINE is what `grep -n` and editors show; "\r\n" ends a row too.
    reader = csv.reader(io.StringIO(content, newline="\n"), strict=True)
    name = spec.name
    previous_end = 0
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)  # blank lines before the header
        if header is None:
            problems.append(Problem(name, 1, "header", "empty_file"))
            return None
        header_line = reader.line_num
        names = [cell.strip().lower() for cell in header]
        positions: dict = {}
        bad_header = False
        for index, column in enumerate(names):
            if not column:
                continue
            if column in positions:
                problems.append(Problem(name, header_line, column, "duplicate_column"))
                bad_header = True
            positions.setdefault(column, index)
        fields = []
        for fld in spec.fields:
            if fld.name in positions:
                fields.append((positions[fld.name], fld))
            elif not fld.header_optional:
                problems.append(Problem(name, header_line, fld.name, "missing_column",
                                        {"header": ",".join(c for c in names if c)}))
                bad_header = True
        if bad_header:
            return None
        parsed.columns = tuple(f.name for _, f in fields) + spec.derived
        width = len(header)
        previous_end = header_line
        row_problems: list = []
        for row in reader:
            line = previous_end + 1
            previous_end = reader.line_num
            if not row or not any(cell.strip() for cell in row):
                continue  # a blank line
            if len(row) != width and not (len(row) > width and not any(c.strip() for c in row[width:])):
                problems.append(Problem(name, line, "row", "field_count", {"found": len(row), "expected": width}))
                continue
            values = {}
            row_problems.clear()
            for index, fld in fields:
                raw = row[index].strip()
                if not raw:
                    if fld.optional:
                        values[fld.name] = fld.empty
                    else:
                        row_problems.append(Problem(name, line, fld.name, "required"))
                        values[fld.name] = None
                    continue
                try:
                    values[fld.name] = fld.parse(raw, ctx)
                except _Bad as bad:
                    row_problems.append(Problem(name, line, fld.name, bad.code, bad.values))
                    values[fld.name] = None
                    continue
                if fld.partner_ref:
                    parsed.partner_refs.append((line, fld.name, values[fld.name]))
            if spec.name == "partners.csv" and values.get("partner_id"):
                parsed.partner_ids.add(values["partner_id"])
            for earlier, later in spec.order:
                if values.get(earlier) is not None and values.get(later) is not None \
                        and values[later] < values[earlier]:
                    row_problems.append(Problem(name, line, later, "date_order", {
                        "value": values[later].isoformat(), "other_column": earlier,
                        "other": values[earlier].isoformat()}))
            key = tuple(values[k] for k in spec.key)
            if None not in key:
                first = parsed.lines.setdefault(key, line)
                if first != line:
                    row_problems.append(Problem(name, line, "+".join(spec.key), "duplicate_key",
                                                {"line": first, "key": ", ".join(_show(str(k)) for k in key)}))
            if row_problems:
                problems.extend(row_problems)
                continue
            if spec.derive is not None:
                try:
                    values = spec.derive(values)
                except _Bad as bad:
                    problems.append(Problem(name, line, spec.key[-1], bad.code, bad.values))
                    continue
            parsed.rows[key] = tuple(values[c] for c in parsed.columns)
    except csv.Error as exc:  # a quote left open or text after a closing quote: the rest cannot be read
        problems.append(Problem(name, previous_end + 1, "row", "bad_csv", {"detail": str(exc)}))
        return None
    return parsed


def find_files(directory: Path) -> list[tuple[CsvFile, Path]]:
    """The export's files present in `directory` (file names compared case-insensitively), in load order."""
    present = {p.name.lower(): p for p in directory.iterdir() if p.is_file()}
    return [(spec, present[spec.name]) for spec in FILES if spec.name in present]


# ---------------------------------------------------------------------------- writing


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _same(old, new) -> bool:
    if old == new:
        return True
    if isinstance(new, dt.date) and isinstance(old, str):  # a driver returning dates as text
        return old[:10] == new.isoformat()
    if isinstance(new, Decimal) and old is not None:
        try:
            return Decimal(str(old)) == new
        except InvalidOperation:
            return False
    return False


def _existing(conn: Connection, table, key: tuple, columns: tuple, lookup: str, rows: dict) -> dict:
    """Rows of `table` whose key is among `rows`' keys: key tuple -> tuple of `columns`."""
    if conn.execute(select(table.c[lookup]).limit(1)).first() is None:
        return {}
    lookup_at = key.index(lookup)
    wanted = sorted({k[lookup_at] for k in rows})
    # Amounts are read as text: exact on every dialect (SQLite would hand back floats).
    cols = [cast(table.c[c], String).label(c) if isinstance(table.c[c].type, Numeric) else table.c[c]
            for c in columns]
    key_at = [columns.index(k) for k in key]
    found = {}
    for chunk in _chunks(wanted, LOOKUP_CHUNK):
        for row in conn.execute(select(*cols).where(table.c[lookup].in_(chunk))):
            k = tuple(row[i] for i in key_at)
            if k in rows:
                found[k] = tuple(row)
    return found


def upsert(conn: Connection, table, key: tuple, columns: tuple, rows: dict, lookup: str | None = None) -> tuple:
    """Insert the rows whose key is new, update those that differ; returns (inserted, updated, unchanged).

    Dialect-neutral: existing keys are read in chunks, then inserts and updates go out as
    executemany batches, all on the caller's connection (its transaction).
    """
    lookup = lookup or key[0]
    existing = _existing(conn, table, key, columns, lookup, rows)
    value_columns = [c for c in columns if c not in key]
    value_at = [columns.index(c) for c in value_columns]
    key_at = [columns.index(k) for k in key]
    inserts, updates, unchanged = [], [], 0
    for k, record in rows.items():
        old = existing.get(k)
        if old is None:
            inserts.append(record)
        elif all(_same(old[i], record[i]) for i in value_at):
            unchanged += 1
        else:
            params = {f"k_{c}": record[i] for c, i in zip(key, key_at)}
            params.update({f"v_{c}": record[i] for c, i in zip(value_columns, value_at)})
            updates.append(params)
    statement = table.insert()
    for chunk in _chunks(inserts, CHUNK):
        conn.execute(statement, [dict(zip(columns, record)) for record in chunk])
    if updates and value_columns:
        statement = (table.update()
                     .where(and_(*[table.c[k] == bindparam(f"k_{k}") for k in key]))
                     .values({c: bindparam(f"v_{c}") for c in value_columns}))
        for chunk in _chunks(updates, CHUNK):
            conn.execute(statement, chunk)
    return len(inserts), len(updates), unchanged


def _known_partners(conn: Connection) -> set:
    return {row[0] for row in conn.execute(select(models.partners.c.partner_id))}


def _check_partner_refs(parsed: list, known: set, problems: list) -> None:
    for item in parsed:
        for line, column, value in item.partner_refs:
            if value not in known:
                problems.append(Problem(item.spec.name, line, column, "unknown_partner", {"value": value}))


def sync_claims_from_registrations(conn: Connection, domains: Iterable[str]) -> int:
    """Set each domain's `lead_claims` row from its latest registration (latest registered_on; first loaded on a tie).

    Used when rules.lead_registration.sync_claims is not available. Returns how many
    claims were inserted or changed.
    """
    r = models.registrations
    claims: dict = {}
    for chunk in _chunks(sorted(set(domains)), LOOKUP_CHUNK):
        query = (select(r.c.domain, r.c.partner_id, r.c.registered_on, r.c.expires_on, r.c.id)
                 .where(r.c.domain.in_(chunk)))
        for domain, partner, registered_on, expires_on, row_id in conn.execute(query):
            best = claims.get(domain)
            if best is None or (registered_on, -row_id) > (best[1], -best[3]):
                claims[domain] = (partner, registered_on, expires_on, row_id)
    rows = {(d,): (d, p, reg, exp) for d, (p, reg, exp, _id) in claims.items()}
    inserted, updated, _ = upsert(conn, models.lead_claims, ("domain",),
                                  ("domain", "partner_id", "registered_on", "expires_on"), rows)
    return inserted + updated


def _sync_claims(conn: Connection, domains: list) -> tuple:
    """rules.lead_registration.sync_claims when it exists (imported lazily), else the local equivalent."""
    try:
        module = importlib.import_module("rules.lead_registration")
        sync = getattr(module, "sync_claims")
    except ModuleNotFoundError as exc:
        if exc.name != "rules.lead_registration":
            raise
        sync = None
    except AttributeError:
        sync = None
    if sync is None:
        sync_claims_from_registrations(conn, domains)
        return len(domains), "rules.db.load.sync_claims_from_registrations"
    sync(conn, domains)
    return len(domains), "rules.lead_registration.sync_claims"


# ---------------------------------------------------------------------------- the load


def check_directory(path) -> Path:
    directory = Path(path)
    if not directory.is_dir():
        raise BadInput("load_not_a_directory", path=str(path))
    return directory


def load_directory(engine: Engine, path, progress: Callable[[str], None] | None = None) -> LoadReport:
    """Load every known CSV in `path` into the database, all or nothing.

    Raises BadInput when `path` is not a folder or holds none of the files, LoadErrors
    (listing every problem) when any row is bad; in both cases nothing is written.
    """
    directory = check_directory(path)
    found = find_files(directory)
    if not found:
        raise BadInput("load_no_files", path=str(path), files=", ".join(FILE_NAMES))
    say = progress or (lambda message: None)
    ctx = Context()
    problems: list = []
    parsed: list = []
    for spec, file_path in found:
        say(f"reading {spec.name}")
        item = parse_file(file_path, spec, ctx, problems)
        if item is not None:
            parsed.append(item)
    report = LoadReport(directory=str(directory))
    with engine.begin() as conn:
        known = _known_partners(conn)
        for item in parsed:
            known |= item.partner_ids
        _check_partner_refs(parsed, known, problems)
        if problems:
            order = {spec.name: i for i, spec in enumerate(FILES)}
            problems.sort(key=lambda p: (order.get(p.file, 99), p.line))
            raise LoadErrors(problems)
        for item in parsed:
            say(f"writing {item.spec.table.name}")
            inserted, updated, unchanged = upsert(conn, item.spec.table, item.spec.key, item.columns, item.rows,
                                                  item.spec.lookup)
            report.files.append(FileReport(item.spec.name, item.spec.table.name, len(item.rows),
                                           inserted, updated, unchanged))
            if item.spec.name == "registrations.csv" and item.rows:
                domain_at = item.columns.index("domain")
                domains = sorted({record[domain_at] for record in item.rows.values()})
                say("updating lead claims")
                report.claims_synced, report.claims_sync = _sync_claims(conn, domains)
    return report


def partner_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(models.partners)).scalar() or 0


def load_demo(engine: Engine, if_empty: bool = False) -> LoadReport | None:
    """Load the demo export (data/demo/); with `if_empty`, only into a database without partners (else None)."""
    if if_empty and partner_count(engine):
        return None
    return load_directory(engine, DEMO_DIR)


def load_demo_if_empty(engine: Engine) -> LoadReport | None:
    """The demo data for a fresh database (`make run`, the chat bench); a database with partners is left alone."""
    return load_demo(engine, if_empty=True)
