"""The Textual operator UI of netctl (``netctl tui``): talks to the core only through netctl.api."""
