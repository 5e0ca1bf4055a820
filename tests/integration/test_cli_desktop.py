"""`loupe app` as a desktop program (issue 12, point 6): the browser opens on the page where
there is a display, never where there is none, the address is printed, and Ctrl-C stops the
server cleanly (no traceback, exit 0 or 130, a "stopped" line, the port free again).

The servers here are real `loupe app` processes; the browser is a small script named in
$BROWSER (which Python's `webbrowser` honours) that records the address it was given.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[2]
DISPLAY_VARIABLES = ("DISPLAY", "WAYLAND_DISPLAY", "SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY", "BROWSER")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _recorder(folder: Path) -> tuple[Path, Path]:
    """A 'browser' that appends the address it is opened on to a file; (script, file)."""
    record = folder / "opened.txt"
    script = folder / "record-browser"
    script.write_text(f'#!/bin/sh\necho "$1" >> "{record}"\n')
    script.chmod(0o755)
    return script, record


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DISPLAY_VARIABLES}
    return {**env, **extra}


class App:
    """`loupe app -w WS --port P` in a process of its own, its output in a file."""

    def __init__(self, folder: Path, env: dict[str, str], *flags: str):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "app.log"
        with open(self.log, "w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "app", "-w", str(folder / "no-workspace"), "--port", str(self.port),
                 *flags], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as reply:
                    if reply.read() == b"ok":
                        return
            except OSError:
                time.sleep(0.2)
        pytest.fail(f"loupe app did not answer:\n{self.output()}")

    def interrupt(self) -> int:
        """Ctrl-C, as a terminal sends it; the exit code."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail(f"loupe app did not stop on SIGINT:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text()


def _port_is_free(port: int) -> bool:
    """Nothing answers on `port`, and a new server can listen on it (as servers do, with
    SO_REUSEADDR: the closed connections of the health checks linger in TIME_WAIT)."""
    with socket.socket() as client:
        if client.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            server.bind(("127.0.0.1", port))
            server.listen()
        except OSError:
            return False
    return True


def _stopped_cleanly(app: App, code: int) -> None:
    output = app.output()
    assert code in (0, 130), output
    assert "Traceback" not in output and "Error" not in output, output
    assert "Loupe app stopped" in output
    assert _port_is_free(app.port)


def test_with_a_display_the_browser_opens_on_the_page_and_ctrl_c_stops_it_cleanly(tmp_path):
    script, record = _recorder(tmp_path)
    app = App(tmp_path, _environment(DISPLAY=":0", BROWSER=str(script)))
    try:
        app.wait_healthy()
        deadline = time.monotonic() + 60
        while not record.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert record.exists(), app.output()
        assert record.read_text().split() == [app.url]  # once, on the page's address
    finally:
        code = app.interrupt()
    _stopped_cleanly(app, code)


def test_without_a_display_no_browser_opens_and_the_address_is_printed(tmp_path):
    script, record = _recorder(tmp_path)
    app = App(tmp_path, _environment(BROWSER=str(script)))  # no DISPLAY, no WAYLAND_DISPLAY
    try:
        app.wait_healthy()
        time.sleep(2)  # the opener polls the health check every 0.2 s: it would have opened by now
    finally:
        code = app.interrupt()
    assert not record.exists()
    assert f"Loupe app on {tmp_path / 'no-workspace'}: {app.url}" in app.output()
    assert "no display (or no graphical browser)" in app.output()
    _stopped_cleanly(app, code)


# ---- in this process: the choice to open, and Ctrl-C before the server starts --------------


@pytest.fixture()
def no_server(monkeypatch):
    """`loupe app` up to the server, which is not started; what the opener was asked to open."""
    import app.cli.serve as serve
    import app.preload
    from streamlit.web import cli as streamlit_cli

    opened = []
    monkeypatch.setattr(app.preload, "preload", lambda path: None)
    monkeypatch.setattr(streamlit_cli, "main", lambda *args, **kwargs: None)
    monkeypatch.setattr(serve, "open_when_ready", lambda url, browser, said: opened.append(url))
    for name in DISPLAY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return opened


def test_no_browser_keeps_the_browser_closed_even_with_a_display(no_server, monkeypatch, tmp_path):
    script, _ = _recorder(tmp_path)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("BROWSER", str(script))
    import webbrowser

    monkeypatch.setattr(webbrowser, "_tryorder", None)  # read $BROWSER again
    result = CliRunner().invoke(cli, ["app", "-w", str(tmp_path), "--port", "8598", "--no-browser"])
    assert result.exit_code == 0, result.output
    assert no_server == []
    result = CliRunner().invoke(cli, ["app", "-w", str(tmp_path), "--port", "8598"])
    assert result.exit_code == 0, result.output
    assert no_server == ["http://127.0.0.1:8598"]


def test_over_ssh_no_browser_opens(no_server, monkeypatch, tmp_path):
    monkeypatch.setenv("DISPLAY", "localhost:10.0")  # X forwarding
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 50000 10.0.0.2 22")
    result = CliRunner().invoke(cli, ["app", "-w", str(tmp_path), "--port", "8598"])
    assert result.exit_code == 0, result.output
    assert no_server == [] and "no display (or no graphical browser)" in result.output


def test_ctrl_c_while_the_columns_load_stops_without_a_traceback(no_server, monkeypatch, tmp_path):
    import app.preload

    def interrupted(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(app.preload, "preload", interrupted)
    result = CliRunner().invoke(cli, ["app", "-w", str(tmp_path), "--port", "8598"])
    assert result.exit_code == 130, result.output
    assert "Loupe app stopped" in result.output and "Traceback" not in result.output


def test_a_text_browser_is_no_browser_to_open(monkeypatch, tmp_path):
    """Without a display `webbrowser` falls back on lynx or w3m, which would take over the terminal."""
    import webbrowser

    from app.cli.desktop import graphical_browser

    script, _ = _recorder(tmp_path)
    lynx = tmp_path / "lynx"
    lynx.write_text(script.read_text())
    lynx.chmod(0o755)
    for browser, expected in ((lynx, None), (script, str(script))):
        monkeypatch.setenv("BROWSER", str(browser))
        monkeypatch.setattr(webbrowser, "_tryorder", None)
        found = graphical_browser()
        assert (found and found.name) == expected
