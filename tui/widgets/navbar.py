"""The top line: who is acting, and the screens with their keys (clickable)."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from netctl.i18n import N_, _

#: mode, key, title — in the order shown
NAV = (
    ("dashboard", "d", N_("Dashboard")),
    ("overview", "o", N_("Overview")),
    ("aps", "a", N_("APs")),
    ("alerts", "l", N_("Alerts")),
    ("jobs", "j", N_("Jobs")),
    ("push", "p", N_("Push")),
)


class NavBar(Static):
    """``netctl · anna (school-admin)  o Overview  a APs …`` with the current screen highlighted."""

    DEFAULT_CSS = """
    NavBar { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__(id="navbar")

    def on_mount(self) -> None:
        app = self.app
        self.current = app.current_mode
        who = f"{getattr(app, 'sub_title', '')}"
        allowed = getattr(app, "allowed", lambda mode: True)
        parts = [Content.from_markup("[b]netctl[/b] · $who ", who=who)]
        for mode, key, title in NAV:
            if not allowed(mode):
                continue
            style = "reverse" if mode == self.current else ""
            parts.append(
                Content.from_markup(
                    f"[@click=app.go('{mode}')][b]$key[/b] [{style}]$title[/][/] "
                    if style
                    else f"[@click=app.go('{mode}')][b]$key[/b] $title[/] ",
                    key=key,
                    title=_(title),
                )
            )
        self.update(Content("").join(parts))
