"""Clone the repository afresh, run `make run` in it, sign in with a demo login, stop it.

Checks the README's first command end to end: venv, install, migrate, seed, web, Celery.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = os.environ.get("SMOKE_PORT", "8765")
BASE = f"http://127.0.0.1:{PORT}"


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="ed-fresh-"))
    clone = work / "escalation-desk"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CI"}}
    env["PORT"] = PORT
    log = (work / "make-run.log").open("w")
    proc = subprocess.Popen(
        ["make", "run"], cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.time() + 900
        while time.time() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"make run exited early ({proc.returncode}); see {log.name}")
            text = (work / "make-run.log").read_text()
            if "Press Ctrl-C to stop" in text:
                break
            time.sleep(2)
        else:
            raise SystemExit("make run did not come up within 15 minutes")
        output = (work / "make-run.log").read_text()
        assert f"http://localhost:{PORT}/desk/" in output, "the URL is not printed"
        assert "erin" in output, "the demo logins are not printed"
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login = opener.open(f"{BASE}/desk/login/", timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login).group(1)
        data = urllib.parse.urlencode(
            {"username": "erin", "password": "demo", "csrfmiddlewaretoken": token}
        ).encode()
        request = urllib.request.Request(
            f"{BASE}/desk/login/", data=data, headers={"Referer": f"{BASE}/desk/login/"}
        )
        page = opener.open(request, timeout=30).read().decode()
        assert "My work" in page, "signing in with the demo login did not reach the console"
        queue = opener.open(f"{BASE}/desk/queue/", timeout=30).read().decode()
        assert "ED-" in queue, "the queue shows no demo tickets"
        assert opener.open(f"{BASE}/api/schema/", timeout=30).status == 200
        time.sleep(3)
        celery_log = (clone / "var" / "celery.log").read_text()
        assert "ready" in celery_log, "the Celery worker did not report ready"
        print("make run: site up, demo login works, queue has tickets, Celery worker ready.")
        return 0
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main())
