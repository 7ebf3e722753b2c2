"""The ``tandem`` command line, run as a real subprocess against a temporary SQLite database.

Contract (architecture §7): every failure is one line on stderr and never a traceback; bad input exits
2, a refused domain action exits 1, a checker exits 1 for "invalid"."""

from __future__ import annotations

import base64
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tandem import demo_comparison, demo_filing, demo_history, demo_inforce

REPO = Path(__file__).resolve().parents[1]
TANDEM = REPO / ".venv" / "bin" / "tandem"
if not TANDEM.exists():  # another layout: the script next to the running interpreter
    TANDEM = Path(sys.executable).with_name("tandem")


@dataclass
class Cli:
    """Runs ``tandem`` with its own database and a clean TANDEM_* environment."""

    cwd: Path
    db: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
        env.update(
            TANDEM_DATABASE_URL=f"sqlite:///{self.db}",
            TANDEM_VAR_DIR=str(self.cwd),
            TANDEM_ARGON2_TIME_COST="1",
            TANDEM_ARGON2_MEMORY_COST="8",
            TANDEM_ARGON2_PARALLELISM="1",
            COLUMNS="200",
        )
        env.update(extra)
        return env

    def popen(self, *args: str, **extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(TANDEM), *args],
            cwd=self.cwd,
            env=self.env(**extra),
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )

    def run(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(TANDEM), *args],
            cwd=self.cwd,
            env=self.env(**extra),
            text=True,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
            check=False,
        )

    def sql(self, statement: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        con = sqlite3.connect(self.db)
        try:
            rows = con.execute(statement, params).fetchall()
            con.commit()
            return rows
        finally:
            con.close()

    def counts(self) -> dict[str, int]:
        tables = [
            r[0]
            for r in self.sql(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {t: int(self.sql(f'SELECT count(*) FROM "{t}"')[0][0]) for t in tables}  # type: ignore[call-overload]


def one_line_error(r: subprocess.CompletedProcess[str], code: int) -> str:
    assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr + r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path, tmp_path / "tandem.db")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with the demo data, built once through the CLI; tests copy it."""
    tmp = tmp_path_factory.mktemp("cli-demo")
    c = Cli(tmp, tmp / "demo.db")
    assert c.run("db", "upgrade").returncode == 0
    r = c.run("demo", "load")
    assert r.returncode == 0, r.stderr
    return c.db


@pytest.fixture
def demo_cli(demo_db: Path, tmp_path: Path) -> Iterator[Cli]:
    db = tmp_path / "tandem.db"
    shutil.copy(demo_db, db)
    yield Cli(tmp_path, db)


# ---- validate -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "value"), [("id", "11010519491231002x"), ("uscc", "91620105MA73NBBLXE")])
def test_validate_valid(cli: Cli, kind: str, value: str) -> None:
    r = cli.run("validate", kind, value)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "valid\n"
    assert r.stderr == ""


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [
        ("id", "11010519491231002Y", "must be 17 digits followed by a digit or X"),
        ("id", "110105194902310021", "birth date is not a valid date"),
        ("id", "1101051949", "must be 18 characters"),
        ("uscc", "91620105MA73NBBLXF", "check character does not match"),
        ("uscc", "91620105MA73NBBLIE", "outside the code alphabet"),
    ],
)
def test_validate_invalid_is_exit_1_and_one_line(cli: Cli, kind: str, value: str, reason: str) -> None:
    r = cli.run("validate", kind, value)
    assert r.returncode == 1
    out = (r.stdout + r.stderr).strip().splitlines()
    assert len(out) == 1, out
    assert out[0].startswith("invalid: ") and reason in out[0]
    assert "Traceback" not in r.stdout + r.stderr


# ---- db upgrade and demo load ---------------------------------------------------------------------


def test_upgrade_then_demo_load_twice_is_a_no_op(cli: Cli) -> None:
    r = cli.run("db", "upgrade")
    assert r.returncode == 0, r.stderr
    empty = cli.counts()
    assert empty["organisation"] == 0 and empty["audit_event"] == 0
    r = cli.run("db", "upgrade")  # idempotent too
    assert r.returncode == 0, r.stderr

    r = cli.run("demo", "load")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "demo data loaded"
    loaded = cli.counts()
    history = sum(insureds for insureds, _ in demo_comparison.DEMO_PLAN.values())  # one expired policy each
    # platform, broker, supervision, 3 firms, 2 insurers, 3 insureds; the comparison's insurers and history
    clients = demo_history.INSUREDS  # the broker's year (demo_history): new clients, one policy each
    # demo_filing: a fourth firm (启明), not yet filed, with its administrator and two practitioners
    assert loaded["organisation"] == 11 + len(demo_comparison.DEMO_INSURERS) + history + clients + 1
    assert loaded["user_account"] == 27 + 1  # underwriter2 (products), broker2, risk2 (neutrality), adjuster4…14
    # the bound placements (one in force, one ended by its insurer); insured1's history policy; the old policy
    # whose business file is past its retention date (demo_retention)
    bound = int(cli.sql("SELECT count(*) FROM placement WHERE status = 'bound'")[0][0])  # type: ignore[call-overload]
    assert loaded["policy"] == 3 + history + 1 + clients + bound + 1
    assert loaded["adjuster"] == 14 + len(demo_filing.NEW_ADJUSTERS)
    # issue 19 item 3: every firm has its filing (the new firm's returned); two change reports
    assert loaded["firm_filing"] == loaded["adjuster_firm"] and loaded["firm_change_report"] == 2
    # issue 16: the bound policy in force has an accepted change (its first version recorded with it); one
    # policy suspended then terminated, its recovery under way; the ended placement's policy terminated, its
    # termination assessment reported and the recovery paid from it (demo_inforce)
    assessed = loaded["termination_assessment"]
    assert assessed == 1 and loaded["policy_endorsement"] == bound - assessed
    assert loaded["policy_version"] == bound - assessed + 1
    assert loaded["policy_status_change"] == len(demo_inforce.STATUS_CHANGES) + assessed
    assert loaded["policy_recovery"] == 1 + assessed
    steps = len(demo_inforce.RECOVERY_STEPS) + assessed * len(demo_inforce.ASSESSED_RECOVERY_STEPS)
    assert loaded["policy_recovery_step"] == steps
    assert loaded["claim"] >= demo_history.CLAIMS
    assert loaded["audit_event"] > 0

    r = cli.run("demo", "load")
    assert r.returncode == 0, r.stderr
    assert "nothing changed" in r.stdout
    assert cli.counts() == loaded


def test_demo_load_is_refused_in_production(cli: Cli) -> None:
    assert cli.run("db", "upgrade").returncode == 0
    before = cli.counts()
    r = cli.run("demo", "load", TANDEM_ENV="production")
    line = one_line_error(r, 1)
    assert "production" in line
    assert r.stdout == ""
    assert cli.counts() == before


# ---- users create ---------------------------------------------------------------------------------


def test_users_create(demo_cli: Cli) -> None:
    r = demo_cli.run(
        "users",
        "create",
        "li.ming",
        "--organisation",
        "华信保险公估有限公司",
        "--role",
        "adjuster",
        "--display-name",
        "李明",
        "--password",
        "violet-harbour-42",
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "user li.ming created"
    rows = demo_cli.sql(
        "SELECT u.display_name, r.role, o.name FROM user_account u "
        "JOIN user_role r ON r.user_id = u.id JOIN organisation o ON o.id = u.organisation_id "
        "WHERE u.username = 'li.ming'"
    )
    assert rows == [("李明", "adjuster", "华信保险公估有限公司")]
    assert demo_cli.run("audit", "verify").returncode == 0


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["--organisation", "华信保险公估有限公司", "--role", "wizard"], 2, "--role"),
        (["--organisation", "没有这个机构", "--role", "adjuster"], 2, "--organisation"),
        (["--organisation", "华信保险公估有限公司", "--role", "insured_contact"], 2, "roles"),
        (["--role", "adjuster"], 2, "organisation"),  # missing option: a usage error
    ],
)
def test_users_create_bad_input(demo_cli: Cli, args: list[str], code: int, needle: str) -> None:
    before = demo_cli.counts()
    r = demo_cli.run("users", "create", "newbie", *args, "--password", "violet-harbour-42")
    line = one_line_error(r, code)
    assert needle in line
    assert demo_cli.counts() == before


def test_users_create_taken_username_is_refused(demo_cli: Cli) -> None:
    before = demo_cli.counts()
    r = demo_cli.run(
        "users",
        "create",
        "broker",
        "--organisation",
        "恒信保险经纪有限公司",
        "--role",
        "broker_account_manager",
        "--password",
        "violet-harbour-42",
    )
    line = one_line_error(r, 1)
    assert "username" in line
    assert demo_cli.counts() == before


# ---- audit verify ---------------------------------------------------------------------------------


def test_create_platform_admin_on_an_empty_database(cli: Cli) -> None:
    assert cli.run("db", "upgrade").returncode == 0
    assert cli.counts()["user_account"] == 0
    strong = {"TANDEM_NEW_PASSWORD": "quiet harbour lantern 42"}
    r = cli.run("admin", "create-platform-admin", "root", "--email", "root@example.com", **strong)
    assert r.returncode == 0, r.stderr
    rows = cli.sql(
        "SELECT o.kind, r.role, u.email FROM user_account u JOIN organisation o ON o.id = u.organisation_id "
        "JOIN user_role r ON r.user_id = u.id WHERE u.username = 'root'"
    )
    assert rows == [("platform", "platform_admin", "root@example.com")]
    # a second one joins the same platform organisation
    assert cli.run("admin", "create-platform-admin", "root2", **strong).returncode == 0
    assert cli.counts()["organisation"] == 1


@pytest.mark.parametrize(
    ("args", "password", "needle"),
    [
        (["root"], "short", "password"),
        (["bad name"], "quiet harbour lantern 42", "username"),
        (["root", "--email", "nowhere"], "quiet harbour lantern 42", "email"),
    ],
)
def test_create_platform_admin_bad_input_is_one_line_and_writes_nothing(
    cli: Cli, args: list[str], password: str, needle: str
) -> None:
    assert cli.run("db", "upgrade").returncode == 0
    r = cli.run("admin", "create-platform-admin", *args, TANDEM_NEW_PASSWORD=password)
    assert needle in one_line_error(r, 2)
    assert cli.counts()["user_account"] == 0 and cli.counts()["organisation"] == 0


def test_create_platform_admin_taken_username_is_refused(demo_cli: Cli) -> None:
    r = demo_cli.run("admin", "create-platform-admin", "admin", TANDEM_NEW_PASSWORD="quiet harbour lantern 42")
    assert "username" in one_line_error(r, 1)


def _broker_chain(c: Cli) -> list[tuple[int, int]]:
    """(id, seq) of the broker organisation's chain, the longest demo chain with a blacklist event."""
    key = c.sql("SELECT chain_key FROM audit_event WHERE action = 'policy.created' LIMIT 1")[0][0]
    return [
        (int(i), int(s))
        for i, s in c.sql(  # type: ignore[call-overload]
            "SELECT id, seq FROM audit_event WHERE chain_key = ? ORDER BY seq", (key,)
        )
    ]


def test_audit_verify_intact_on_fresh_demo(demo_cli: Cli) -> None:
    r = demo_cli.run("audit", "verify")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "audit chain intact"


def test_audit_seal_keys_a_database_from_before_the_key(demo_cli: Cli) -> None:
    """The demo database here was written without TANDEM_AUDIT_KEY (a migrated one): with the key set,
    verify asks for a seal; ``tandem audit seal`` signs the chain heads and verify passes, with and
    without the key; sealing needs the key."""
    key = {"TANDEM_AUDIT_KEY": "cli-audit-key"}
    assert one_line_error(demo_cli.run("audit", "seal"), 2).endswith("TANDEM_AUDIT_KEY: not set; nothing to sign with")
    r = demo_cli.run("audit", "verify", **key)
    assert r.returncode == 1 and "run tandem audit seal" in r.stderr
    r = demo_cli.run("audit", "seal", **key)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("sealed ") and " chains up to event " in r.stdout
    assert demo_cli.run("audit", "verify", **key).stdout.strip() == "audit chain intact"
    assert demo_cli.run("audit", "verify").stdout.strip() == "audit chain intact"
    r = demo_cli.run("audit", "verify", TANDEM_AUDIT_KEY="another-key")
    assert r.returncode == 1 and "seal signature does not verify" in r.stderr


def test_audit_table_refuses_update_and_delete_on_sqlite(demo_cli: Cli) -> None:
    for stmt in ("UPDATE audit_event SET reason = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            demo_cli.sql(stmt)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("reason", "harmless typo fix"),
        ("after", '{"number": "PQC2026330400001", "status": "cancelled"}'),
    ],
)
def test_audit_verify_names_the_altered_event(demo_cli: Cli, column: str, value: str) -> None:
    chain = _broker_chain(demo_cli)
    victim = chain[len(chain) // 2][0]
    demo_cli.sql("DROP TRIGGER audit_event_no_update")
    demo_cli.sql(f"UPDATE audit_event SET {column} = ? WHERE id = ?", (value, victim))
    r = demo_cli.run("audit", "verify")
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"broken: event {victim} ")
    assert "altered" in lines[0]
    assert "Traceback" not in r.stderr


def test_audit_verify_detects_a_deleted_last_event(demo_cli: Cli) -> None:
    chain = _broker_chain(demo_cli)
    last_id, last_seq = chain[-1]
    demo_cli.sql("DROP TRIGGER audit_event_no_delete")
    demo_cli.sql("DELETE FROM audit_event WHERE id = ?", (last_id,))
    r = demo_cli.run("audit", "verify")
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("broken: chain head (chain org:")
    assert f"events after seq {last_seq - 1} were removed" in lines[0]


def test_audit_verify_detects_a_deleted_middle_event(demo_cli: Cli) -> None:
    chain = _broker_chain(demo_cli)
    (gone_id, gone_seq), (next_id, _) = chain[2], chain[3]
    demo_cli.sql("DROP TRIGGER audit_event_no_delete")
    demo_cli.sql("DELETE FROM audit_event WHERE id = ?", (gone_id,))
    r = demo_cli.run("audit", "verify")
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"broken: event {next_id} ")
    assert f"expected seq {gone_seq}" in lines[0]


def test_audit_verify_on_one_chain_only(demo_cli: Cli) -> None:
    chain = _broker_chain(demo_cli)
    key = demo_cli.sql("SELECT chain_key FROM audit_event WHERE id = ?", (chain[0][0],))[0][0]
    other = demo_cli.sql("SELECT chain_key FROM audit_event WHERE chain_key <> ? LIMIT 1", (key,))[0][0]
    demo_cli.sql("DROP TRIGGER audit_event_no_update")
    demo_cli.sql("UPDATE audit_event SET reason = 'x' WHERE id = ?", (chain[0][0],))
    assert demo_cli.run("audit", "verify", "--chain", str(other)).returncode == 0
    assert demo_cli.run("audit", "verify", "--chain", str(key)).returncode == 1


# ---- help -----------------------------------------------------------------------------------------


def _command_paths() -> list[list[str]]:
    from tandem.cli import app

    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(cmd: Any, path: list[str]) -> None:
        paths.append(path)
        for name, sub in getattr(cmd, "commands", {}).items():  # typer vendors its own click: duck-type
            walk(sub, [*path, name])

    walk(root, [])
    return paths


def test_help_works_for_every_group_and_command(cli: Cli) -> None:
    from typer.testing import CliRunner

    from tandem.cli import app

    paths = _command_paths()
    names = {" ".join(p) for p in paths}
    assert {
        "db",
        "db upgrade",
        "demo",
        "demo load",
        "users",
        "users create",
        "validate",
        "validate id",
        "validate uscc",
        "audit",
        "audit verify",
        "serve",
        "openapi",
        "calendar",
        "calendar list",
        "calendar set",
        "calendar import",
        "import book",
        "claims import",
        "retention list",
    } <= names
    groups = [p for p in paths if len(p) <= 1]
    # The groups through the real entry point, in parallel (each start costs about a second) ...
    procs = [(p, cli.popen(*p, "--help")) for p in groups]
    for path, proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, (path, err)
        assert "Usage:" in out, (path, out)
        assert err == "" and "Traceback" not in out, (path, err)
    # ... and every command in process.
    runner = CliRunner()
    for path in paths:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output, (path, result.output)


def test_unknown_command_is_a_one_line_usage_error(cli: Cli) -> None:
    one_line_error(cli.run("no-such-command"), 2)


# ---- calendar (工作日历, 调休) ---------------------------------------------------------------------


def test_calendar_list_set_and_import(cli: Cli) -> None:
    assert cli.run("db", "upgrade").returncode == 0
    r = cli.run("calendar", "list", "--year", "2026")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "2026: 19 weekday holidays, 6 swapped working days"
    assert "  2026-02-14  Sat  working  春节调休上班" in lines and "  2026-02-16  Mon  holiday  春节" in lines
    assert "warning" not in r.stdout

    # A year the State Council has not published yet: Monday to Friday, and the listing says so.
    r = cli.run("calendar", "list", "--year", "2027")
    assert r.returncode == 0 and r.stdout.startswith("2027: warning: no calendar data; Monday to Friday")

    r = cli.run("calendar", "set", "2027-01-01", "--holiday", "--note", "元旦")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "2027-01-01  Fri  holiday  元旦\n"
    r = cli.run("calendar", "set", "2027-01-01", "--working")  # replaces, keeps the note
    assert r.returncode == 0
    assert cli.sql("SELECT working, note FROM calendar_day WHERE day = '2027-01-01'") == [(1, "元旦")]

    csv = cli.cwd / "2027.csv"
    csv.write_text(
        "date,working,note\n2027-01-01,holiday,元旦\n2027-02-06,上班,春节调休上班\n"
        "# comments and blank lines are skipped\n\n2027-02-11,0,春节\n",
        encoding="utf-8",
    )
    r = cli.run("calendar", "import", str(csv))
    assert r.returncode == 0 and r.stdout == "3 calendar days imported\n", r.stderr
    r = cli.run("calendar", "list", "--year", "2027")
    assert r.stdout.splitlines() == [
        "2027: 2 weekday holidays, 1 swapped working days",
        "  2027-01-01  Fri  holiday  元旦",
        "  2027-02-06  Sat  working  春节调休上班",
        "  2027-02-11  Thu  holiday  春节",
    ]
    r = cli.run("calendar", "list")  # every known year, and this year and next when they are missing
    assert r.returncode == 0 and "2025: 18 weekday holidays, 5 swapped working days" in r.stdout
    assert "2027: 2 weekday holidays" in r.stdout


@pytest.mark.parametrize(
    ("args", "csv", "needle"),
    [
        (["set", "2026-13-01", "--holiday"], None, "Not a date (YYYY-MM-DD). (day: 2026-13-01)"),
        (["set", "tomorrow", "--working"], None, "Not a date"),
        (["set", "2027-01-01"], None, "say --working or --holiday"),
        (["set", "2027-01-01", "--holiday", "--note", "x" * 201], None, "The note is too long."),
        (["list", "--year", "next"], None, "Invalid value for '--year'"),
        (["import", "missing.csv"], None, "missing.csv: cannot read"),
        (["import", "bad.csv"], "2027-01-01,holiday,元旦\n2027-02-30,holiday,春节\n", "Line 2: not a date"),
        (["import", "bad.csv"], "2027-01-01,maybe\n", "Line 1: working must be working or holiday."),
        (["import", "bad.csv"], "2027-01-01,holiday\n2027-01-01,working\n", "Line 2: the day is listed twice."),
        (["import", "bad.csv"], "date,working,note\n", "The file has no calendar lines."),
    ],
)
def test_calendar_bad_input_is_one_line_and_changes_nothing(
    cli: Cli, args: list[str], csv: str | None, needle: str
) -> None:
    assert cli.run("db", "upgrade").returncode == 0
    before = cli.sql("SELECT count(*) FROM calendar_day")
    if csv is not None:
        (cli.cwd / "bad.csv").write_text(csv, encoding="utf-8")
    line = one_line_error(cli.run("calendar", *args), 2)
    assert needle in line, line
    assert cli.sql("SELECT count(*) FROM calendar_day") == before


# ---- import book (issue 19 item 2) ----------------------------------------------------------------


def test_import_book_all_or_nothing_then_again_nothing(demo_cli: Cli) -> None:
    from tests.helpers import BOOK_POLICY, book_csv, book_sheets, book_xlsx

    bad = demo_cli.cwd / "book.csv"
    bad.write_bytes(book_csv(book_sheets(insured={"uscc": "91330500MA2B3C4D5X"})))
    before = demo_cli.counts()
    r = demo_cli.run("import", "book", str(bad), "--as", "broker")
    line = one_line_error(r, 2)
    assert "line 5: uscc: " in line and "nothing imported" in line, line
    assert f"{bad}: refused: line 7: insured: " in r.stdout, r.stdout
    assert demo_cli.counts() == before
    good = demo_cli.cwd / "book.xlsx"
    good.write_bytes(book_xlsx(book_sheets()))
    r = demo_cli.run("import", "book", str(good), "--as", "broker", "--dry-run")
    assert r.returncode == 0 and r.stdout.startswith("dry run, nothing written"), r.stderr
    assert demo_cli.counts() == before
    r = demo_cli.run("import", "book", str(good), "--as", "broker")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "created 1 firm, 2 adjuster, 2 insured, 1 policy, 2 section\n"
    assert demo_cli.sql("SELECT status FROM policy WHERE number = ?", (BOOK_POLICY,)) == [("in_force",)]
    r = demo_cli.run("import", "book", str(good), "--as", "broker")
    assert r.stdout == "created nothing; already there: 1 firm, 2 adjuster, 2 insured, 1 policy\n", r.stdout
    assert "not a broker" in one_line_error(demo_cli.run("import", "book", str(good), "--as", "insured1"), 2)


# ---- claims import (批量报案, issue 21) ----------------------------------------------------------------


def test_claims_import_reports_each_row_and_a_rerun_changes_nothing(demo_cli: Cli) -> None:
    junk = demo_cli.cwd / "notices.xlsx"
    junk.write_bytes(b"not a workbook")
    before = demo_cli.counts()
    assert str(junk) in one_line_error(demo_cli.run("claims", "import", str(junk), "--as", "broker"), 2)
    assert demo_cli.counts() == before
    sheet = demo_cli.cwd / "notices.csv"
    sheet.write_text(
        "报案流水号,保单号,出险时间,出险地点,出险经过,估损金额,报案人,报案人电话\n"
        "CLI-1,PCA2026441900002,2026-11-10 22:30,广东省东莞市长安镇1号,仓库进水货物受损,50000,沈国平,13957312345\n"
        "CLI-2,PCA2026441900002,2026-11-10 23:00,广东省东莞市长安镇振安中路2号,厂房屋顶漏水,,,\n"
        "CLI-3,PCA2026441900002,昨天晚上,广东省东莞市长安镇振安中路3号,围墙倒塌,,,\n",
        encoding="utf-8",
    )
    r = demo_cli.run("claims", "import", str(sheet), "--as", "broker")
    assert r.returncode == 1, r.stderr
    assert f"{sheet}: line 4: refused: loss_at: " in r.stdout, r.stdout
    assert r.stdout.endswith("created 2, already known 0, refused 1\n"), r.stdout
    after = demo_cli.counts()
    assert after["claim"] == before["claim"] + 2
    r = demo_cli.run("claims", "import", str(sheet), "--as", "broker")
    assert r.stdout.endswith("created 0, already known 2, refused 1\n"), r.stdout
    assert demo_cli.counts() == after
    assert "may not report" in one_line_error(demo_cli.run("claims", "import", str(sheet), "--as", "adjuster1"), 2)


# ---- export supervision (监管报送) ------------------------------------------------------------------


def test_export_supervision_writes_a_signed_export_that_verifies(cli: Cli) -> None:
    assert cli.run("db", "upgrade").returncode == 0
    r = cli.run("export", "supervision", "--date", "2026-11-25", "--out", "feed")
    assert r.returncode == 0, r.stderr
    assert "reports 0" in r.stdout and "figures 1" in r.stdout, r.stdout
    names = sorted(p.name for p in (cli.cwd / "feed").iterdir())
    assert "manifest.json" in names and "manifest.sig" in names and "figures.jsonl" in names
    r = cli.run("export", "verify", "feed")
    assert r.returncode == 0 and r.stdout.startswith("verified"), r.stderr
    # The receiver's copy of the public key verifies it too; another key does not.
    key = cli.run("export", "public-key").stdout.strip()
    assert cli.run("export", "verify", "feed", "--public-key", key).returncode == 0
    other = base64.b64encode(Ed25519PrivateKey.generate().public_key().public_bytes_raw()).decode()
    line = one_line_error(cli.run("export", "verify", "feed", "--public-key", other), 1)
    assert "manifest.json" in line, line
    # Without a key of its own, a production server signs nothing and writes nothing.
    line = one_line_error(
        cli.run("export", "supervision", "--date", "2026-11-25", "--out", "p", TANDEM_ENV="production"), 1
    )
    assert "TANDEM_SUPERVISION_SIGNING_KEY" in line and not (cli.cwd / "p").exists()
    # The default folder is under TANDEM_VAR_DIR.
    assert cli.run("export", "supervision", "--date", "2026-11-24").returncode == 0
    assert cli.run("export", "verify", str(cli.cwd / "supervision" / "2026-11-24")).returncode == 0


@pytest.mark.parametrize("name", ["figures.jsonl", "manifest.json", "manifest.sig"])
def test_export_verify_names_the_file_with_a_changed_byte(cli: Cli, name: str) -> None:
    assert cli.run("db", "upgrade").returncode == 0
    assert cli.run("export", "supervision", "--date", "2026-11-25", "--out", "feed").returncode == 0
    path = cli.cwd / "feed" / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    line = one_line_error(cli.run("export", "verify", "feed"), 1)
    assert name in line and "not verified" in line, line


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["supervision", "--date", "2026-02-30"], "--date: '2026-02-30' is not a date"),
        (["supervision", "--date", "2999-01-01"], "has not begun yet"),
        (["supervision"], "Missing option '--date'"),
        (["supervision", "--date", "2026-11-25", "--out", "taken"], "already exists"),
        (["verify", "nowhere"], "nowhere: not a folder"),
        (["verify", "taken", "--public-key", "short"], "public key must be 32 bytes"),
    ],
)
def test_export_bad_input_is_one_line(cli: Cli, args: list[str], needle: str) -> None:
    assert cli.run("db", "upgrade").returncode == 0
    (cli.cwd / "taken").mkdir()
    r = cli.run("export", *args)
    assert r.returncode in (1, 2)
    line = one_line_error(r, r.returncode)
    assert needle in line, line
    assert sorted(p.name for p in cli.cwd.iterdir() if p.is_dir()) == ["taken"]


# ---- pii ------------------------------------------------------------------------------------------


def test_pii_rotate_key_moves_every_value_to_the_newest_key(demo_cli: Cli) -> None:
    from tandem.kit import pii

    stored = "SELECT id_number FROM insured WHERE id_number IS NOT NULL"
    (before,) = demo_cli.sql(stored)[0]
    assert str(before).startswith("pii1:dev:")  # the demo, with no key set, uses the development key
    status = demo_cli.run("pii", "status")
    assert status.returncode == 0 and "insured.id_number: dev 1" in status.stdout, status.stderr
    ring = f"k2:{pii.new_key()}," + pii.dev_key_spec()
    r = demo_cli.run("pii", "rotate-key", "--batch", "7", TANDEM_PII_KEYS=ring)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("re-encrypted ") and "with key k2" in r.stdout
    assert str(demo_cli.sql(stored)[0][0]).startswith("pii1:k2:")
    again = demo_cli.run("pii", "rotate-key", TANDEM_PII_KEYS=ring)
    assert again.stdout.startswith("re-encrypted 0 values")
    only_new = ring.split(",")[0]
    after = demo_cli.run("pii", "status", TANDEM_PII_KEYS=only_new)
    assert "dev" not in after.stdout.replace("newest key: k2", "") and "insured.id_number: k2 1" in after.stdout
    # Production without the keys: one line, exit 1.
    line = one_line_error(demo_cli.run("pii", "rotate-key", TANDEM_ENV="production"), 1)
    assert "TANDEM_PII_KEYS and TANDEM_PII_INDEX_KEY not set" in line


def test_retention_list_before_and_after_the_dates(demo_cli: Cli) -> None:
    """The demo's old business file is due since 2025-06-30 (a one-year contract ended 2020-06-30 + 5 years);
    its closed claim cases 15 years after their close: listed in 2060."""
    before = demo_cli.run("retention", "list", "--as-of", "2025-06-29")
    assert before.returncode == 0, before.stderr
    assert before.stdout.strip().splitlines() == ["0 record(s) due on 2025-06-29"]
    now = demo_cli.run("retention", "list", "--as-of", "2027-01-01")
    lines = now.stdout.strip().splitlines()
    assert len(lines) == 2 and "PQC2019330400901" in lines[0] and "due 2025-06-30" in lines[0], now.stdout
    later = demo_cli.run("retention", "list", "--as-of", "2060-01-01")
    assert later.returncode == 0, later.stderr
    lines = later.stdout.strip().splitlines()
    assert any("claim_case" in line for line in lines[:-1])
    assert lines[-1] == f"{len(lines) - 1} record(s) due on 2060-01-01"
    bad = demo_cli.run("retention", "list", "--as-of", "2060-13-01")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "--as-of" in bad.stderr
