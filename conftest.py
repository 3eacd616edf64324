"""Shared fixtures: the demo org tree and taxonomy are loaded once per test session
through the real seeders; each test runs in a transaction rolled back after it."""

from __future__ import annotations

import pytest

from orgs.models import OrgNode, Role, User


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from orgs import demo as orgs_demo
    from taxonomy import demo as taxonomy_demo

    with django_db_blocker.unblock():
        orgs_demo.seed()
        taxonomy_demo.seed()


@pytest.fixture
def node(db):
    """node("T01V01") -> the OrgNode with that demo code."""
    return lambda code: OrgNode.objects.get(code=code)


@pytest.fixture
def other_county(db):
    """A second county ZC (town ZT, village ZV, department ZD) under a province ZP;
    the demo county stays a root of its own."""

    def add(parent, code: str, name: str, kind: str) -> OrgNode:
        fields = {"code": code, "name": name, "kind": kind}
        if parent is None:
            return OrgNode.objects.add_root(fields)
        return OrgNode.objects.add_child(OrgNode.objects.get(pk=parent.pk), fields)

    province = add(None, "ZP", "另一省", OrgNode.Kind.PROVINCE)
    county = add(province, "ZC", "另一县", OrgNode.Kind.COUNTY)
    town = add(county, "ZT", "另一镇", OrgNode.Kind.TOWN)
    add(town, "ZV", "另一村", OrgNode.Kind.VILLAGE)
    add(county, "ZD", "另一县水利局", OrgNode.Kind.DEPARTMENT)
    return OrgNode.objects.get(code="ZC")


@pytest.fixture
def make_user(db):
    counter = iter(range(10_000))

    def make(node_code: str, *roles: str, username: str | None = None, **extra) -> User:
        user = User.objects.create_user(
            username=username or f"u{next(counter)}_{node_code}",
            password="Test@12345",
            full_name=extra.pop("full_name", "测试用户"),
            node=OrgNode.objects.get(code=node_code),
            **extra,
        )
        user.roles.set(Role.objects.filter(code__in=roles))
        return user

    return make


@pytest.fixture
def office(make_user):
    return make_user("C", Role.OFFICE, username="t_office")


@pytest.fixture
def demo_user(db):
    return lambda username: User.objects.get(username=username)


# --- browser tests ---------------------------------------------------------
# They drive Debian's chromium against a real server process on a scratch SQLite
# database loaded by `seed_demo`, exactly as `make run` serves it.


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    root = Path(__file__).resolve().parent
    var_dir = tmp_path_factory.mktemp("browser_var")
    env = {
        **os.environ,
        "BANSHI_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, str(root / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=root)
    subprocess.run([*manage, "seed_demo"], env=env, check=True, cwd=root, stdout=subprocess.DEVNULL)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    yield base
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture
def page_at(browser):
    """page_at(PHONE|DESKTOP) -> a fresh page in its own context."""
    contexts = []

    def make(viewport=DESKTOP):
        ctx = browser.new_context(viewport=viewport, locale="zh-CN")
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def screenshot_dir():
    import os
    from pathlib import Path

    path = Path(
        os.environ.get("BANSHI_SCREENSHOTS", Path(__file__).resolve().parent / "var" / "screens")
    )
    path.mkdir(parents=True, exist_ok=True)
    return path
