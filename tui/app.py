"""The netctl operator UI: ``netctl tui``.

Screens are Textual modes: Overview, Access points, Alerts, Jobs and Push; the AP detail and the WLANs
window open on top of them and close when a navigation key shows a screen (:meth:`NetctlApp.show`).
Everything the UI shows or does goes through the facade (:mod:`netctl.api`) as the acting user, so the
core's scope rules hold here too: APs outside the user's scope are never shown and no action can reach them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from netctl.api import Netctl
from netctl.i18n import N_, _
from tui.backend import Backend
from tui.screens.alerts import AlertsScreen
from tui.screens.ap_detail import ApDetailScreen
from tui.screens.aps import ApsScreen
from tui.screens.base import NetctlScreen, translate_bindings
from tui.screens.dashboard import DashboardScreen
from tui.screens.help import HelpScreen
from tui.screens.jobs import JobsScreen
from tui.screens.overview import OverviewScreen
from tui.screens.push import PushScreen
from tui.widgets.navbar import NAV

#: mode → (title, action the user needs to see it)
SCREENS: dict[str, tuple[str, str]] = {
    "dashboard": (N_("Dashboard"), "view"),
    "overview": (N_("Overview"), "view"),
    "aps": (N_("Access points"), "view"),
    "alerts": (N_("Alerts"), "view"),
    "jobs": (N_("Jobs"), "jobs"),
    "push": (N_("Push"), "push"),
}


#: the screen a role sees first (the overview for every role not named)
HOME = {"school-admin": "dashboard"}


def home_mode(role: str) -> str:
    """The first screen of a user with ``role``: a school admin's is the dashboard of their school."""
    return HOME.get(role, "overview")


class ApJumpProvider(Provider):
    """Command palette: type part of an AP name to open its detail (quick jump)."""

    async def startup(self) -> None:
        app = self.app
        assert isinstance(app, NetctlApp)
        self.ap_names: list[str] = await asyncio.to_thread(
            lambda: [ap["name"] for ap in app.backend.run(lambda api: api.session.select())])

    async def search(self, query: str) -> Hits:
        """Substring matches first (cheap on 10,000 names), fuzzy ones only when there are none."""
        app = self.app
        assert isinstance(app, NetctlApp)
        matcher = self.matcher(query)
        needle = query.strip().lower()
        names = [n for n in self.ap_names if needle in n.lower()] if needle else []
        shown = 0
        for index, name in enumerate(names or self.ap_names):
            if index % 500 == 499:
                await asyncio.sleep(0)  # let the screen breathe between chunks
            score = matcher.match(f"ap {name}")
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(f"ap {name}"),
                    partial(app.open_ap, name),
                    help=_("open the access point"),
                )
                shown += 1
                if shown >= 50:
                    break

    async def discover(self) -> Hits:
        app = self.app
        assert isinstance(app, NetctlApp)
        for name in self.ap_names[:20]:
            yield DiscoveryHit(f"ap {name}", partial(app.open_ap, name), help=_("open the access point"))


class NetctlApp(App[None]):
    """The operator UI for one netctl user."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "netctl"
    MODES = {
        "dashboard": DashboardScreen,
        "overview": OverviewScreen,
        "aps": ApsScreen,
        "alerts": AlertsScreen,
        "jobs": JobsScreen,
        "push": PushScreen,
    }
    DEFAULT_MODE = "overview"
    COMMANDS = App.COMMANDS | {ApJumpProvider}
    BINDINGS = [
        Binding("d", "go('dashboard')", N_("Dashboard"), show=False),
        Binding("o", "go('overview')", N_("Overview"), show=False),
        Binding("a", "go('aps')", N_("APs"), show=False),
        Binding("l", "go('alerts')", N_("Alerts"), show=False),
        Binding("j", "go('jobs')", N_("Jobs"), show=False),
        Binding("p", "go('push')", N_("Push"), show=False),
        Binding("question_mark", "help", N_("Help"), key_display="?"),
        Binding("q", "quit", N_("Quit")),
    ]

    def __init__(
        self,
        api: Netctl,
        *,
        refresh_seconds: float = 5.0,
        clock: Callable[[], dt.datetime] | None = None,
        tick_seconds: float = 1.0,
    ) -> None:
        """``refresh_seconds``: how often screens reload (0: never, tests); ``clock``: the time ages are
        counted to; ``tick_seconds``: how often the ages on screen are re-formatted (no reload; 0: never)."""
        self.DEFAULT_MODE = home_mode(api.session.role)  # type: ignore[misc]  # read by App.__init__
        super().__init__()
        self.backend = Backend(api)
        self.refresh_seconds = refresh_seconds
        self.tick_seconds = tick_seconds
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.sub_title = f"{self.backend.user} ({self.backend.role})"
        translate_bindings(self)

    # -- navigation -----------------------------------------------------------------------------
    def allowed(self, mode: str) -> bool:
        return mode in SCREENS and self.backend.can(SCREENS[mode][1])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "go" and parameters:
            return self.allowed(str(parameters[0]))
        return True

    def action_go(self, mode: str) -> None:
        if not self.allowed(mode):
            screen = _(SCREENS[mode][0]) if mode in SCREENS else mode
            self.notify(_("{user} ({role}) may not open {screen}").format(
                user=self.backend.user, role=self.backend.role, screen=screen), severity="warning")
            return
        self.show(mode)

    def show(self, mode: str) -> None:
        """Show ``mode``'s own screen. Screens opened over the current one (an AP page, the WLANs window)
        close first, so no mode keeps one that a later key would show in place of the screen it names;
        then the screen takes the focus where it wants it (:meth:`NetctlScreen.entered`)."""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.switch_mode(mode)
        if isinstance(self.screen, NetctlScreen):
            self.screen.entered()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(NAV, self.allowed))

    def open_ap(self, name: str) -> None:
        """Open the detail of AP ``name`` (NotFound inside the screen if it is out of scope)."""
        self.push_screen(ApDetailScreen(name))

    def open_dashboard(self, site: str | None = None) -> None:
        """Show the dashboard of ``site`` (None: of the user's sites)."""
        self.action_go("dashboard")
        screen = self.screen
        if isinstance(screen, DashboardScreen):
            screen.show_site(site)

    def open_aps(self, query: str = "") -> None:
        """Show the access point table filtered by ``query``."""
        self.show("aps")
        screen = self.screen
        if isinstance(screen, ApsScreen):
            screen.set_filter(query)

    def open_push(self, selection: str) -> None:
        """Show the push screen with ``selection`` chosen (nothing is rendered or sent until the user asks);
        refused, as the push key is, for a role that may not push."""
        self.action_go("push")
        screen = self.screen
        if isinstance(screen, PushScreen):
            screen.set_selection(selection)

    def get_system_commands(self, screen: Screen[Any]) -> Any:
        for mode, (title, _action) in SCREENS.items():
            if self.allowed(mode):
                yield SystemCommand(_(title), _("open the {screen} screen").format(screen=_(title).lower()),
                                    partial(self.action_go, mode))
        yield SystemCommand(_("Help"), _("keys, screens and what each status means"), self.action_help)
        yield from super().get_system_commands(screen)
