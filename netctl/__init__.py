"""netctl: a headless controller core for public and school WLANs.

The core never imports Textual; the TUI (``tui/``) and the CLI (``netctl.cli``) both talk to
:class:`netctl.api.Netctl`.
"""

__version__ = "0.1.0"
