"""Rendering: Jinja2 environment, template lookup per platform, local schema checks, canonical form."""

from netctl.render.engine import RenderResult, config_hash, render_ap, template_for

__all__ = ["RenderResult", "config_hash", "render_ap", "template_for"]
