"""The two HTML pages of ``netctl serve``: the login form and the page that holds the TUI.

Plain strings with every inserted value escaped; no inline scripts (the pages are served with a
Content-Security-Policy that allows scripts from the server only). The TUI page is textual-serve's
page without its web font from a CDN: the font comes from textual-serve's own static files.
"""

from __future__ import annotations

from html import escape

_HEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="{static}css/xterm.css">
<style>
@font-face {{ font-family: "Roboto Mono"; src: url("{static}fonts/RobotoMono-VariableFont_wght.ttf"); }}
body {{ margin: 0; background: #0c181f; color: #e8eef2; font-family: "Roboto Mono", menlo, monospace; }}
{style}
</style></head>
"""

_LOGIN_STYLE = """
form { width: 22em; margin: 12vh auto; padding: 2em; background: #12232d; }
label { display: block; margin-top: 1em; }
input { width: 100%; box-sizing: border-box; padding: .5em; font: inherit; }
button { margin-top: 1.5em; padding: .6em 2em; font: inherit; background: #2d6aa3; color: #fff; border: 0; }
.error { color: #ff8a80; }
"""

_TUI_STYLE = """
#bar { height: 28px; line-height: 28px; padding: 0 12px; background: #12232d; font-size: 14px;
       display: flex; justify-content: space-between; }
#bar form { margin: 0; }
#bar button { font: inherit; background: none; color: #9cc7ee; border: 0; cursor: pointer; }
.textual-terminal { height: calc(100vh - 28px) !important; opacity: 1 !important; }
.ended { display: none; padding: 2em; }
body.-closed .ended { display: block; }
body.-closed .textual-terminal { display: none; }
"""


def login_page(*, static_url: str, message: str = "", user: str = "") -> str:
    """The login form (``message``: why the last try failed)."""
    error = f'<p class="error" role="alert">{escape(message)}</p>' if message else ""
    return _HEAD.format(title="netctl: log in", static=escape(static_url), style=_LOGIN_STYLE) + f"""<body>
<form method="post" action="login">
<h1>netctl</h1>{error}
<label for="user">User</label><input id="user" name="user" autocomplete="username" value="{escape(user)}" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Log in</button>
</form></body></html>
"""


def tui_page(*, static_url: str, websocket_url: str, user: str, role: str, font_size: int = 16) -> str:
    """The page that runs the TUI (textual-serve's ``textual.js`` connects to ``websocket_url``)."""
    return _HEAD.format(title="netctl", static=escape(static_url), style=_TUI_STYLE) + f"""<body>
<div id="bar"><span>netctl · {escape(user)} ({escape(role)})</span>
<form method="post" action="logout"><button type="submit" id="logout">Log out</button></form></div>
<div class="ended">The session ended. <a href="./">Start again</a></div>
<div id="terminal" class="textual-terminal" data-session-websocket-url="{escape(websocket_url)}"
     data-font-size="{font_size}"></div>
<script src="{escape(static_url)}js/textual.js"></script>
</body></html>
"""
