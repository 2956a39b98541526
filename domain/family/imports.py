"""Families imported from a file: checked first (a dry run), then written all at once.

:func:`check` reads the rows (``import_file.read_rows``) into families (one row per
child, the family's columns repeated) and lists every error with its line, its
column and a French message; it writes nothing. :func:`apply` writes a checked
file in one transaction, with bulk inserts and updates (a constant number of
queries per batch of families). Importing the same file again updates instead of
duplicating: a family is found by its account number, else by its first
guardian's email; a child by its names and birth date within its family.
"""
import datetime
import re
from dataclasses import dataclass, field

from peewee import fn

from domain import audit, clock
from domain.clock import utc_now
from domain.family.accounts import FIRST_ACCOUNT_NUMBER, new_session_token
from domain.family.import_file import column_letter, read_rows
from domain.files import keep_staff_file, kept_staff_file
from models import MAX_ID, Child, Family, Guardian, QFDeclaration, School, User, db

BATCH = 400
#: Rows per UPDATE … CASE statement: SQLite reads each CASE linearly, so smaller is faster.
UPDATE_BATCH = 50
EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+$")
SCHOOL_TYPES = {School.PRIVEE: Child.SCHOOL_PRIVATE, School.HORS_COMMUNE: Child.SCHOOL_OUTSIDE}


@dataclass
class RowError:
    line: int
    column: str
    message: str
    letter: str = ""


@dataclass
class GuardianRow:
    civility: str
    last_name: str
    first_name: str
    email: str
    phone_mobile: str
    phone_home: str


@dataclass
class ChildRow:
    line: int
    last_name: str
    first_name: str
    birth_date: datetime.date | None
    sex: str
    school_name: str
    class_level: str


@dataclass
class FamilyRow:
    line: int
    account_number: int | None
    guardians: list
    address: str
    postal_code: str
    city: str
    children: list = field(default_factory=list)
    quotient: int | None = None
    quotient_from: datetime.date | None = None

    @property
    def email(self):
        return self.guardians[0].email


@dataclass
class Report:
    """What a dry run found: the families, their children, the errors."""

    filename: str
    families: list
    errors: list

    @property
    def child_count(self):
        return sum(len(family.children) for family in self.families)

    @property
    def summary(self):
        """« N familles, M enfants, K erreurs »."""
        def plural(count, word):
            return f"{count} {word}{'s' if count > 1 else ''}"
        return ", ".join((plural(len(self.families), "famille"),
                          plural(self.child_count, "enfant"), plural(len(self.errors), "erreur")))


def parse_date(text):
    """A dd/mm/yyyy date, or None when ``text`` is not one."""
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if not match:
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


class _Checker:
    """One pass over the rows, collecting families and errors."""

    def __init__(self, header, schools):
        self.header, self.schools, self.errors = header, schools, []

    def error(self, line, column, message):
        self.errors.append(RowError(line, column, message, column_letter(self.header, column)))

    def date(self, line, row, column, required=False, label="la date"):
        text = row.get(column, "")
        if not text:
            if required:
                self.error(line, column, f"Indiquez {label} (JJ/MM/AAAA).")
            return None
        value = parse_date(text)
        if value is None:
            self.error(line, column, f"« {text} » n'est pas une date (JJ/MM/AAAA).")
        return value

    def guardian(self, line, row, prefix, required):
        values = [row.get(f"{prefix}_{name}", "") for name in
                  ("civilite", "nom", "prenom", "email", "tel_portable", "tel_domicile")]
        if not required and not any(values):
            return None
        civility, last, first, email, mobile, home = values
        number = prefix[1]
        if not last:
            self.error(line, f"{prefix}_nom", f"Indiquez le nom du responsable {number}.")
        if not first:
            self.error(line, f"{prefix}_prenom", f"Indiquez le prénom du responsable {number}.")
        email = email.lower()
        if email and not EMAIL.match(email):
            self.error(line, f"{prefix}_email", f"« {email} » n'est pas une adresse email.")
        if not (email or mobile or home):
            self.error(line, f"{prefix}_email", f"Le responsable {number} n'a ni email ni "
                       "téléphone : indiquez au moins un moyen de le joindre.")
        civility = {"mme": "Mme", "madame": "Mme", "m.": "M.", "m": "M.",
                    "monsieur": "M."}.get(civility.lower(), civility)
        return GuardianRow(civility, last.upper(), first, email, mobile, home)

    def child(self, line, row, family_name):
        first = row.get("enfant_prenom", "")
        last = row.get("enfant_nom", "") or family_name
        if not first and not row.get("enfant_nom"):
            return None
        if not first:
            self.error(line, "enfant_prenom", "Indiquez le prénom de l'enfant.")
        birth = self.date(line, row, "enfant_naissance", True, "la date de naissance")
        if birth and not datetime.date(1990, 1, 1) <= birth <= clock.today():
            self.error(line, "enfant_naissance", "Cette date de naissance n'est pas plausible.")
        sex = row.get("enfant_sexe", "").upper()[:1]
        if sex and sex not in Child.SEX_LABELS:
            self.error(line, "enfant_sexe", "Indiquez F (fille) ou M (garçon).")
        level = row.get("enfant_classe", "").upper()
        if level not in Child.LEVELS:
            self.error(line, "enfant_classe", f"Classe inconnue « {level} » : "
                       + ", ".join(Child.LEVELS) + "." if level else "Indiquez la classe.")
        school_name = row.get("enfant_ecole", "")
        school = self.schools.get(school_name.lower()) if school_name else None
        if school_name and school is None:
            self.error(line, "enfant_ecole", f"École inconnue « {school_name} » : ajoutez-la "
                       "dans la liste des écoles ou corrigez son nom.")
        elif school and school.level_list and level in Child.LEVELS \
                and level not in school.level_list:
            self.error(line, "enfant_classe", f"L'école {school.name} n'a pas de classe "
                       f"{level}.")
        return ChildRow(line, last.upper(), first.upper(), birth, sex,
                        school.name if school else "", level)

    def family(self, line, row):
        account = None
        if row.get("numero_compte"):
            text = row["numero_compte"]
            account = int(text) if text.isascii() and text.isdigit() \
                and 0 < int(text) <= MAX_ID else None
            if account is None:
                self.error(line, "numero_compte", f"« {text} » n'est pas un numéro de compte.")
        guardians = [self.guardian(line, row, "r1", True)]
        second = self.guardian(line, row, "r2", False)
        if second:
            guardians.append(second)
        quotient, quotient_from = None, self.date(line, row, "qf_date")
        if row.get("qf"):
            text = row["qf"].replace(" ", "")
            if text.isascii() and text.isdigit() and int(text) <= 9999:
                quotient = int(text)
            else:
                self.error(line, "qf", f"« {row['qf']} » n'est pas un quotient (nombre entier "
                           "d'euros).")
        elif quotient_from:
            self.error(line, "qf", "Une date d'effet sans quotient : indiquez le quotient.")
        return FamilyRow(line, account, guardians, row.get("adresse", ""),
                         row.get("code_postal", ""), row.get("ville", ""),
                         quotient=quotient, quotient_from=quotient_from)


def _key(family):
    if family.account_number:
        return ("n", family.account_number)
    guardian = family.guardians[0]
    if guardian.email:
        return ("e", guardian.email)
    return ("p", guardian.last_name, guardian.first_name, guardian.phone_mobile,
            guardian.phone_home)


def _chunks(items, size=BATCH):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _existing_users(emails):
    """{email: family id} of the accounts that already use one of ``emails``."""
    found = {}
    for chunk in _chunks(sorted(emails), 900):
        for email, family_id in (User.select(User.email, User.family)
                                 .where(User.email.in_(chunk)).tuples()):
            found[email] = family_id
    return found


def _families_by_number(numbers):
    found = {}
    for chunk in _chunks(sorted(numbers), 900):
        for family in Family.select().where(Family.account_number.in_(chunk)):
            found[family.account_number] = family
    return found


def check(data, filename):
    """The dry run of a file: a :class:`Report` (raises ``FileProblem`` when unreadable)."""
    header, rows = read_rows(data, filename)
    schools = {school.name.lower(): school
               for school in School.select().where(School.archived == False)}  # noqa: E712
    checker = _Checker(header, schools)
    families, by_key, email_owner = [], {}, {}
    for line, row in rows:
        parsed = checker.family(line, row)
        key = _key(parsed)
        family = by_key.get(key)
        if family is None:
            family = by_key[key] = parsed
            families.append(family)
            for position, guardian in enumerate(family.guardians, 1):
                if not guardian.email:
                    continue
                owner = email_owner.setdefault(guardian.email, key)
                if owner != key:
                    checker.error(line, f"r{position}_email", f"L'adresse {guardian.email} est "
                                  "déjà celle d'une autre famille du fichier.")
        child = checker.child(line, row, parsed.guardians[0].last_name)
        if child:
            family.children.append(child)
    _check_against_database(checker, families)
    checker.errors.sort(key=lambda error: (error.line, error.column))
    return Report(filename, families, checker.errors)


def _check_against_database(checker, families):
    """An email already the account of another family than the one the file names."""
    users = _existing_users({f.email for f in families if f.email})
    numbers = _families_by_number({f.account_number for f in families if f.account_number})
    for family in families:
        owner = users.get(family.email)
        if owner is None:
            continue
        named = numbers.get(family.account_number)
        if family.account_number and (named is None or named.id != owner):
            checker.error(family.line, "r1_email", f"L'adresse {family.email} est déjà celle "
                          "du compte d'une autre famille.")


# --- Writing ----------------------------------------------------------------


@dataclass
class Outcome:
    """What an import did: families created, families of the file already there (updated
    where they differ), and the same for children."""

    created: int = 0
    updated: int = 0
    children_created: int = 0
    children_updated: int = 0


def apply(actor, report):
    """Write a checked file (no errors) in one transaction; returns an :class:`Outcome`,
    audited with the file name and the counts."""
    if report.errors:
        raise ValueError("A file with errors is not imported.")
    outcome = Outcome()
    now = utc_now()
    with db.atomic():
        next_number = max((Family.select(fn.MAX(Family.account_number)).scalar() or 0) + 1,
                          FIRST_ACCOUNT_NUMBER)
        for batch in _chunks(report.families):
            next_number = _apply_batch(actor, batch, outcome, now, next_number)
        audit.record(actor, None, audit.FAMILIES_IMPORTED,
                     f"Import du fichier {report.filename} : {report.summary}",
                     after={"fichier": report.filename, "familles_creees": outcome.created,
                            "familles_mises_a_jour": outcome.updated,
                            "enfants_crees": outcome.children_created,
                            "enfants_mis_a_jour": outcome.children_updated})
    return outcome


def _match_families(batch):
    """{id(row): Family} of the rows' families already in the database."""
    by_number = _families_by_number({f.account_number for f in batch if f.account_number})
    emails = {f.email for f in batch if f.email and not f.account_number}
    by_email = {}
    if emails:
        users = (User.select(User.email, Family).join(Family)
                 .where(User.email.in_(sorted(emails))))
        by_email = {user.email: user.family for user in users}
        missing = emails - set(by_email)
        if missing:  # a guardian's email without an account (the first guardian's)
            for guardian in (Guardian.select(Guardian.email, Family).join(Family)
                             .where(Guardian.email.in_(sorted(missing))
                                    & (Guardian.position == 1))):
                by_email.setdefault(guardian.email, guardian.family)
    matched = {}
    for row in batch:
        family = by_number.get(row.account_number) if row.account_number else \
            by_email.get(row.email)
        if family is not None:
            matched[id(row)] = family
    return matched


def _apply_batch(actor, batch, outcome, now, next_number):
    matched = _match_families(batch)
    pre_existing = dict(matched)
    new_rows = []
    for row in batch:
        if id(row) in matched:
            continue
        number = row.account_number
        if number is None:
            number, next_number = next_number, next_number + 1
        else:
            next_number = max(next_number, number + 1)
        new_rows.append({"account_number": number, "name": row.guardians[0].last_name,
                         "address": row.address, "postal_code": row.postal_code,
                         "city": row.city, "created_at": now, "imported_at": now})
        row.account_number = number
    if new_rows:
        Family.insert_many(new_rows).execute()
        created = _families_by_number({r["account_number"] for r in new_rows})
        for row in batch:
            if id(row) not in matched:
                matched[id(row)] = created[row.account_number]
        outcome.created += len(new_rows)
    seen, changed = set(), []
    for row in batch:
        family = pre_existing.get(id(row))
        if family is None or family.id in seen:
            continue
        seen.add(family.id)
        if _assign(family, {"name": row.guardians[0].last_name, "address": row.address,
                            "postal_code": row.postal_code, "city": row.city,
                            "imported_at": family.imported_at or now}):
            changed.append(family)
    if changed:
        Family.bulk_update(changed, batch_size=UPDATE_BATCH, fields=[
            Family.name, Family.address, Family.postal_code, Family.city, Family.imported_at])
    outcome.updated += len(seen)
    family_ids = [family.id for family in matched.values()]
    _write_guardians(batch, matched, family_ids)
    _write_users(batch, matched, family_ids)
    _write_children(batch, matched, family_ids, outcome)
    _write_quotients(actor, batch, matched, family_ids, now)
    return next_number


def _assign(row, values):
    """Set ``values`` on ``row``; True when one of them differed (only such rows are
    written again: importing the same file twice writes nothing the second time)."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


GUARDIAN_COLUMNS = ("civility", "last_name", "first_name", "email", "phone_mobile",
                    "phone_home")


def _write_guardians(batch, matched, family_ids):
    existing = {(g.family_id, g.position): g
                for g in Guardian.select().where(Guardian.family.in_(family_ids))}
    inserts, updates = [], []
    for row in batch:
        family = matched[id(row)]
        for position, parsed in enumerate(row.guardians, 1):
            guardian = existing.get((family.id, position))
            values = {name: getattr(parsed, name) for name in GUARDIAN_COLUMNS}
            if guardian is None:
                inserts.append({"family": family.id, "position": position, **values})
            elif _assign(guardian, values):
                updates.append(guardian)
    if inserts:
        Guardian.insert_many(inserts).execute()
    if updates:
        Guardian.bulk_update(updates, fields=[getattr(Guardian, n) for n in GUARDIAN_COLUMNS],
                             batch_size=UPDATE_BATCH)


def _write_users(batch, matched, family_ids):
    """A family account (no password: the invitation sets it) for each family whose first
    guardian has an email and that has no account yet: that guardian's own account."""
    with_account = {family_id for (family_id,) in
                    User.select(User.family).where(User.family.in_(family_ids)).tuples()}
    firsts = {family_id: guardian_id for guardian_id, family_id in
              Guardian.select(Guardian.id, Guardian.family)
              .where(Guardian.family.in_(family_ids) & (Guardian.position == 1)).tuples()}
    inserts = []
    for row in batch:
        family = matched[id(row)]
        if row.email and family.id not in with_account:
            with_account.add(family.id)
            inserts.append({"email": row.email, "password_hash": "", "family": family.id,
                            "guardian": firsts.get(family.id), "role": User.ROLE_FAMILY, "session_token": new_session_token(),
                            "display_name": f"{row.guardians[0].first_name} "
                                            f"{row.guardians[0].last_name}"})
    if inserts:
        User.insert_many(inserts).execute()


CHILD_COLUMNS = ("last_name", "first_name", "birth_date", "sex", "school_name", "class_level")


def _write_children(batch, matched, family_ids, outcome):
    existing = {(c.family_id, c.first_name, c.last_name, c.birth_date): c
                for c in Child.select().where(Child.family.in_(family_ids))}
    kinds = {school.name: school.kind for school in School.select(School.name, School.kind)}
    inserts, updates, matched_children = [], [], 0
    for row in batch:
        family = matched[id(row)]
        for parsed in row.children:
            values = {name: getattr(parsed, name) for name in CHILD_COLUMNS}
            values["school_type"] = SCHOOL_TYPES.get(kinds.get(parsed.school_name),
                                                     Child.SCHOOL_PUBLIC)
            child = existing.get((family.id, parsed.first_name, parsed.last_name,
                                  parsed.birth_date))
            if child is None:
                inserts.append({"family": family.id, **values})
            else:
                matched_children += 1
                if _assign(child, values):
                    updates.append(child)
    if inserts:
        Child.insert_many(inserts).execute()
    if updates:
        Child.bulk_update(updates, fields=[getattr(Child, n) for n in CHILD_COLUMNS]
                          + [Child.school_type], batch_size=UPDATE_BATCH)
    outcome.children_created += len(inserts)
    outcome.children_updated += matched_children


def _write_quotients(actor, batch, matched, family_ids, now):
    """The file's quotient, validated from its date of effect, unless already recorded."""
    known = set(QFDeclaration.select(QFDeclaration.family, QFDeclaration.quotient,
                                     QFDeclaration.effective_from)
                .where(QFDeclaration.family.in_(family_ids)
                       & (QFDeclaration.status == QFDeclaration.VALIDATED)).tuples())
    inserts = []
    for row in batch:
        family = matched[id(row)]
        key = (family.id, row.quotient, row.quotient_from)
        if row.quotient is not None and key not in known:
            known.add(key)
            inserts.append({"family": family.id, "quotient": row.quotient,
                            "status": QFDeclaration.VALIDATED, "declared_at": now,
                            "reviewed_by": getattr(actor, "id", actor), "reviewed_at": now,
                            "effective_from": row.quotient_from,
                            "review_comment": "Importé d'un fichier."})
    if inserts:
        QFDeclaration.insert_many(inserts).execute()


# --- The uploaded file, kept between the dry run and "Importer" --------------

MAX_FILE_BYTES = 20 * 1024 * 1024
IMPORT_CONTENT_TYPE = "application/octet-stream"


def keep_file(data, filename, user):
    """Keep the uploaded file until it is applied; returns its token."""
    return keep_staff_file(data, filename, IMPORT_CONTENT_TYPE, user)


def kept_file(token, user):
    """``(data, filename)`` of the file ``user`` kept under ``token``, or None."""
    return kept_staff_file(token, user, IMPORT_CONTENT_TYPE)
