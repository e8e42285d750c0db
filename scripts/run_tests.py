"""The test command of credit_risk_addon (``scripts/run-tests`` runs this file).

Every step runs, even after a failure:

1. ``pre-commit run --all-files``: ruff, pylint with pylint_odoo, oca-checks-odoo-module
   and oca-checks-po (.pre-commit-config.yaml, local hooks, tools from requirements-test.txt).
2. ``pytest tests``: the Odoo-free suite.
3. Where Odoo is importable and PostgreSQL answers, the Odoo suite: a copy of a template
   database (account and sale installed with demo data, built once) gets credit_risk_addon
   installed with ``--test-enable``; browser tours included where Chromium is found.
   Beside it, in the background, a copy of a template without demo data gets the module
   installed. checklog-odoo judges both logs (a WARNING, ERROR or CRITICAL record fails).

It fails when a step fails or a suite ran zero tests, and ends with one line
``N passed, N failed``: the test cases of pytest and of the Odoo suite, and a step that
failed without a failed test case (lint, a crash, no test, a log record) counts as one
failure, so a failing run never ends on "0 failed".

Templates are named ``credit_risk_tmpl_<fingerprint>_demo`` / ``_nodemo``: the fingerprint
covers Odoo's version and source files and the module's ``depends``, so a change of Odoo or
of the dependency list builds new ones. Their filestores live in CREDIT_TEST_DATA_DIR.

Environment: PGHOST, PGPORT (127.0.0.1, 5432), CREDIT_TEST_DB_USER (odoo), SKIP_ODOO=1,
KEEP_TEST_DB=1 (keep the test databases), ODOO_EXTRA_ARGS (added to the test run),
CREDIT_TEST_DATA_DIR (~/.cache/credit_risk_addon/odoo-data), PRE_COMMIT_HOME
(.test-logs/pre-commit).
"""

import ast
import concurrent.futures
import hashlib
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import traceback
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODULE = "credit_risk_addon"
LOGS = REPO / ".test-logs"
RUN_ID = f"{time.strftime('%Y%m%d_%H%M%S')}_{os.getpid()}"
PGHOST = os.environ.get("PGHOST", "127.0.0.1")
PGPORT = os.environ.get("PGPORT", "5432")
DB_USER = os.environ.get("CREDIT_TEST_DB_USER", "odoo")
DATA_DIR = Path(
    os.environ.get("CREDIT_TEST_DATA_DIR") or Path.home() / ".cache" / "credit_risk_addon" / "odoo-data"
)
# Odoo 18 closes a test run with this record (odoo/service/server.py, odoo/tests/result.py).
RESULT_RE = re.compile(r"odoo\.tests\.result: (\d+) failed, (\d+) error\(s\) of (\d+) tests? when loading")
# Log records checklog-odoo may let through (regular expressions): none so far.
CHECKLOG_IGNORE = []

results = []  # (step, status, seconds, detail)
counts = {"passed": 0, "failed": 0}


def header(title):
    print(f"\n========== {title} ==========", flush=True)


def record(step, ok, started, detail="", passed=0, failed=0, status=None, ended=None):
    status = status or ("PASSED" if ok else "FAILED")
    results.append((step, status, round((ended or time.time()) - started), detail))
    counts["passed"] += passed
    counts["failed"] += failed or (1 if status == "FAILED" else 0)


def tool_env():
    """PATH with this interpreter's scripts first, so hooks find the pinned tools."""
    env = dict(os.environ, PRE_COMMIT_HOME=os.environ.get("PRE_COMMIT_HOME", str(LOGS / "pre-commit")))
    env["PATH"] = os.pathsep.join([sysconfig.get_path("scripts"), env.get("PATH", "")])
    return env


# ---------------------------------------------------------------------------
# Lint and the Odoo-free suite
# ---------------------------------------------------------------------------


def run_lint():
    header("pre-commit run --all-files (ruff, pylint_odoo, oca-checks-odoo-module, oca-checks-po)")
    started = time.time()
    cmd = [sys.executable, "-m", "pre_commit", "run", "--all-files", "--show-diff-on-failure"]
    rc = subprocess.run(cmd, cwd=REPO, env=tool_env(), stdin=subprocess.DEVNULL, check=False).returncode
    record("lint (pre-commit)", rc == 0, started, "" if rc == 0 else f"exit {rc}")


def run_pytest():
    header("pytest tests (Odoo-free)")
    started = time.time()
    junit = LOGS / f"pytest-{RUN_ID}.xml"
    cmd = [sys.executable, "-m", "pytest", "tests", f"--junitxml={junit}"]
    rc = subprocess.run(cmd, cwd=REPO, env=tool_env(), stdin=subprocess.DEVNULL, check=False).returncode
    total = failed = skipped = 0
    if junit.is_file():
        for suite in ET.parse(junit).getroot().iter("testsuite"):
            total += int(suite.get("tests", 0))
            failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skipped += int(suite.get("skipped", 0))
        junit.unlink()
    passed = total - failed - skipped
    detail = f"{passed} passed, {failed} failed, {skipped} skipped"
    if rc == 5 or total == 0:
        rc, detail = rc or 5, "no test collected (pytest exit 5)"
    elif rc:
        detail += f" (pytest exit {rc})"
    record("pytest (Odoo-free)", rc == 0, started, detail, passed, failed)


# ---------------------------------------------------------------------------
# PostgreSQL and Odoo helpers
# ---------------------------------------------------------------------------


def pg_reachable():
    try:
        socket.create_connection((PGHOST, int(PGPORT)), timeout=5).close()
    except OSError:
        return False
    return True


def sql(query, *params):
    """Run one statement on the maintenance database (autocommit); return the rows, if any."""
    import psycopg2  # noqa: PLC0415 - comes with Odoo, which may be absent

    conn = psycopg2.connect(host=PGHOST, port=PGPORT, user=DB_USER, dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchall() if cr.description else []
    finally:
        conn.close()


def db_exists(name):
    return bool(sql("SELECT 1 FROM pg_database WHERE datname = %s", name))


def drop_db(name):
    sql(f'DROP DATABASE IF EXISTS "{name}"')
    shutil.rmtree(DATA_DIR / "filestore" / name, ignore_errors=True)


def copy_db(template, name):
    """createdb -T template, and a hard-linked copy of its filestore (Odoo never rewrites a file)."""
    drop_db(name)
    sql(f'CREATE DATABASE "{name}" WITH TEMPLATE "{template}"')
    source, target = DATA_DIR / "filestore" / template, DATA_DIR / "filestore" / name
    try:
        shutil.copytree(source, target, copy_function=os.link)
    except OSError:
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target)


def importable(module):
    cmd = [sys.executable, "-c", f"import {module}"]
    return subprocess.run(cmd, capture_output=True, check=False).returncode == 0


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def addons_path():
    import odoo.addons.base  # noqa: PLC0415

    return f"{Path(odoo.addons.base.__file__).parent.parent},{REPO}"


def odoo(db, args, log, echo=False):
    """Run Odoo once on db (--stop-after-init); its output goes to log (and the console with echo)."""
    cmd = [sys.executable, "-m", "odoo", "-d", db, "--db_host", PGHOST, "--db_port", PGPORT,
           "--db_user", DB_USER, "--addons-path", addons_path(), "--data-dir", str(DATA_DIR),
           "--http-interface", "127.0.0.1", "--http-port", str(free_port()), "--workers", "0",
           "--max-cron-threads", "0", "--stop-after-init", *args]  # fmt: skip
    print(f"+ {shlex.join(cmd)}\n  (log: {log.relative_to(REPO)})", flush=True)
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, cwd=LOGS, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, errors="replace")  # fmt: skip
        for line in proc.stdout:
            out.write(line)
            if echo:
                sys.stdout.write(line)
        return proc.wait()


def checklog(log):
    """checklog-odoo on the log: (ok, its report of the records that are not INFO/DEBUG)."""
    cmd = [sys.executable, "-m", "checklog_odoo", "--no-echo", "--no-err-if-empty", str(log)]
    cmd += [arg for regex in CHECKLOG_IGNORE for arg in ("--ignore", regex)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=REPO)
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


def fingerprint(depends):
    """Odoo's version, its source files (path, size, mtime) and the dependency list."""
    import odoo  # noqa: PLC0415

    digest = hashlib.sha1(f"{odoo.release.version}|{','.join(sorted(depends))}".encode())
    root = Path(odoo.__file__).parent
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            stat = os.stat(os.path.join(folder, name))
            digest.update(f"{folder}/{name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:12]


def ensure_template(name, depends, demo):
    """Build the template once: account and sale (the module's depends) installed, demo on or off."""
    if db_exists(name) and (DATA_DIR / "filestore" / name).is_dir():
        return True, "present"
    building = f"{name}_build_{os.getpid()}"
    drop_db(building)
    log = LOGS / f"odoo-{name}-{RUN_ID}.log"
    print(f"building template {name} ({', '.join(depends)}, {'with' if demo else 'without'} demo data)")
    rc = odoo(building, ["-i", ",".join(depends), "--without-demo=" + ("" if demo else "all")], log)
    ok, report = checklog(log)
    if rc or not ok:
        drop_db(building)
        return False, f"template {name} failed to build (odoo exit {rc}; {report or 'see ' + log.name})"
    (DATA_DIR / "filestore" / building).mkdir(parents=True, exist_ok=True)
    drop_db(name)  # a database left without its filestore
    sql(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    (DATA_DIR / "filestore" / building).rename(DATA_DIR / "filestore" / name)
    return True, "built"


# ---------------------------------------------------------------------------
# The Odoo suite
# ---------------------------------------------------------------------------


def find_chromium():
    """The browser Odoo's HttpCase starts (odoo/tests/common.py, _find_executable)."""
    for name in ("google-chrome", "chromium", "chromium-browser", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    for path in ("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
                 "/Applications/Chromium.app/Contents/MacOS/Chromium"):  # fmt: skip
        if os.access(path, os.X_OK):
            return path
    return None


def registered_tours():
    """Tour names registered in the module's tour files (registry "web_tour.tours")."""
    pattern = re.compile(r"""\.add\(\s*["']([A-Za-z0-9_]+)["']""")
    files = sorted((REPO / MODULE / "static" / "tests" / "tours").glob("*.js"))
    return sorted({name for path in files for name in pattern.findall(path.read_text(encoding="utf-8"))})


def run_suite_with_demo(template, test_db, depends):
    started = time.time()
    ok, how = ensure_template(template, depends, demo=True)
    if not ok:
        return record("odoo tests (demo)", False, started, how)
    tags, tours_skipped = f"/{MODULE}", None
    if not find_chromium():
        tours_skipped = "Chromium not found"
    elif not importable("websocket"):
        tours_skipped = "websocket-client not installed"
    if tours_skipped:
        tags += ",-credit_tour"
        print(f"SKIPPED: browser tours ({tours_skipped})")
    copy_db(template, test_db)
    log = LOGS / f"odoo-tests-{RUN_ID}.log"
    print(f"template {template} ({how}) copied to {test_db}")
    extra = shlex.split(os.environ.get("ODOO_EXTRA_ARGS", ""))
    args = ["-i", MODULE, "--test-enable", "--test-tags", tags, "--log-level=test", *extra]
    rc = odoo(test_db, args, log, echo=True)
    text = log.read_text(encoding="utf-8", errors="replace")
    found = RESULT_RE.findall(text)
    failed, errors, total = map(int, found[-1]) if found else (0, 0, 0)
    log_ok, report = checklog(log)
    reasons = [] if found else ["no test summary (odoo.tests.result) in the log"]
    reasons += ["0 tests ran"] if found and not total else []
    reasons += [f"odoo exit {rc}"] if rc else []
    reasons += ["checklog-odoo: WARNING/ERROR/CRITICAL records"] if not log_ok else []
    missing = (
        [t for t in registered_tours() if f"TOUR {t} SUCCEEDED" not in text] if not tours_skipped else []
    )
    reasons += [f"browser tour(s) not run to success: {' '.join(missing)}"] if missing else []
    if report:
        print(report)
    detail = f"{total - failed - errors} passed, {failed + errors} failed of {total} tests"
    detail += f" (browser tours left out: {tours_skipped})" if tours_skipped else ""
    detail += f"; {'; '.join(reasons)}" if reasons else ""
    record("odoo tests (demo)", not reasons, started, detail, total - failed - errors, failed + errors)


def run_install_without_demo(template, nodemo_db, depends):
    """The module installs cleanly on a database without demo data (checklog-odoo on its log)."""
    started = time.time()
    ok, how = ensure_template(template, depends, demo=False)
    if not ok:
        return False, started, time.time(), how
    copy_db(template, nodemo_db)
    log = LOGS / f"odoo-install-nodemo-{RUN_ID}.log"
    rc = odoo(nodemo_db, ["-i", MODULE], log)
    log_ok, report = checklog(log)
    detail = f"template {how}; " + ("installed cleanly" if rc == 0 and log_ok else f"odoo exit {rc}")
    return rc == 0 and log_ok, started, time.time(), f"{detail}\n{report}".strip()


def run_odoo():
    header("Odoo suite")
    started = time.time()
    if os.environ.get("SKIP_ODOO") == "1":
        print("SKIPPED: Odoo suite (SKIP_ODOO=1)")
        return record("odoo suite", True, started, "SKIP_ODOO=1", status="SKIPPED")
    if not importable("odoo.release"):
        print(f"SKIPPED: Odoo suite ({sys.executable} cannot import odoo)")
        return record("odoo suite", True, started, "odoo not importable", status="SKIPPED")
    if not pg_reachable():
        print(f"SKIPPED: Odoo suite (PostgreSQL not reachable at {PGHOST}:{PGPORT})")
        return record("odoo suite", True, started, "PostgreSQL not reachable", status="SKIPPED")
    if DB_USER == "postgres":
        return record(
            "odoo suite", False, started, "Odoo refuses to run as postgres: set CREDIT_TEST_DB_USER"
        )
    try:
        sql("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any reason is reported as is
        return record("odoo suite", False, started, f"database role {DB_USER}: {exc}".strip())
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    manifest = ast.literal_eval((REPO / MODULE / "__manifest__.py").read_text(encoding="utf-8"))
    depends = sorted(manifest["depends"])
    key = fingerprint(depends)
    test_db, nodemo_db = f"credit_risk_test_{RUN_ID}", f"credit_risk_nodemo_{RUN_ID}"
    print(f"templates: credit_risk_tmpl_{key}_demo, credit_risk_tmpl_{key}_nodemo (filestore in {DATA_DIR})")
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as background:
            nodemo = background.submit(
                run_install_without_demo, f"credit_risk_tmpl_{key}_nodemo", nodemo_db, depends
            )
            run_suite_with_demo(f"credit_risk_tmpl_{key}_demo", test_db, depends)
            ok, nodemo_started, nodemo_ended, detail = nodemo.result()
        header("Odoo install without demo data (ran in the background)")
        print(detail)
        record("odoo install (no demo)", ok, nodemo_started, detail.splitlines()[0], ended=nodemo_ended)
    finally:
        if os.environ.get("KEEP_TEST_DB") == "1":
            print(f"KEEP_TEST_DB=1: kept {test_db} and {nodemo_db} (filestores in {DATA_DIR})")
        else:
            for name in (test_db, nodemo_db):
                drop_db(name)
        print(f"Odoo suite: {round(time.time() - started)}s wall time")


def main():
    LOGS.mkdir(exist_ok=True)
    started = time.time()
    run_lint()
    run_pytest()
    try:
        run_odoo()
    except Exception:  # noqa: BLE001 - a crash of the runner itself is one failed step, not a traceback at the end
        traceback.print_exc()
        record("odoo suite", False, started, "the runner crashed (traceback above)")
    header(f"Summary ({round(time.time() - started)}s)")
    for step, status, seconds, detail in results:
        print(f"{step:<24} {status:<8} {seconds:>5}s  {detail}")
    print(f"{counts['passed']} passed, {counts['failed']} failed")
    return 1 if any(status == "FAILED" for _step, status, _s, _d in results) else 0


if __name__ == "__main__":
    sys.exit(main())
