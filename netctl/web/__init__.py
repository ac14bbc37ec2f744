"""``netctl serve``: the TUI in a browser, behind a login.

:mod:`netctl.web.auth` holds the rules (password hashes, the login rate limit, browser sessions and
their cookie) as pure code; :mod:`netctl.web.server` is the aiohttp server around them, which starts
one ``netctl tui`` process per browser tab acting as the logged-in netctl user (textual-serve's
web driver). Nothing here imports Textual.
"""
