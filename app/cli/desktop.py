"""`loupe app` as a desktop program: the browser opens on the page once it answers, and Ctrl-C stops it.

Streamlit's own browser opening is off (the server runs headless): it opens as soon as the
server starts, before the page can answer, and on a machine without a screen it may start a
text browser in the terminal. Here the browser opens only when a person could see it (not
over SSH; on Linux an X or Wayland display) and a graphical browser is known (Python's
`webbrowser`, which honours $BROWSER), and only after `/_stcore/health` answers.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import urllib.request
import webbrowser
from pathlib import Path

HEALTH_WAIT_S = 300  # the longest the opener waits for the server (a big workspace's preload is before it)
TEXT_BROWSERS = {"www-browser", "links", "links2", "elinks", "lynx", "w3m"}  # they would take over the terminal
SSH_VARIABLES = ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY")


def page_url(host: str, port: int) -> str:
    """The address a browser on this machine opens (an any-address bind is reached on localhost)."""
    shown = "localhost" if host in ("0.0.0.0", "::", "") else host
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def has_display() -> bool:
    """Whether a browser window opened here would be seen: not in an SSH session, and on
    Linux and the BSDs only with an X or Wayland display (macOS and Windows always have one)."""
    if any(os.environ.get(name) for name in SSH_VARIABLES):
        return False
    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def graphical_browser() -> webbrowser.BaseBrowser | None:
    """The browser `webbrowser` would use ($BROWSER first), or None when it knows none or
    only a text browser."""
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return None
    name = Path(str(getattr(browser, "name", "") or "").split(" ")[0]).name.lower()
    return None if name in TEXT_BROWSERS else browser


def answers(url: str, timeout: float = 1.0) -> bool:
    """Whether the Streamlit server at `url` answers its health check."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout) as reply:
            return reply.read().strip() == b"ok"
    except OSError:
        return False


def open_when_ready(url: str, browser: webbrowser.BaseBrowser, said=print, wait_s: float = HEALTH_WAIT_S) -> threading.Thread:
    """In a daemon thread: wait for the server at `url` to answer, then open `browser` on it
    (a failure to open is said, never raised: the address is printed anyway)."""

    def run() -> None:
        deadline = time.monotonic() + wait_s
        while not answers(url):
            if time.monotonic() > deadline:
                return
            time.sleep(0.2)
        try:
            opened = browser.open(url, new=2)
        except Exception as error:  # noqa: BLE001 - any browser failure: the user opens the address
            opened, reason = False, str(error)
        else:
            reason = "the browser did not start"
        if not opened:
            said(f"could not open a browser ({reason}); open {url} yourself")

    thread = threading.Thread(target=run, name="loupe-open-browser", daemon=True)
    thread.start()
    return thread
