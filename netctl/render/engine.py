"""Rendering an AP's configuration from its platform's Jinja2 templates (pure, no I/O but reading templates).

Templates live in ``templates/<platform dir>/`` (or ``$NETCTL_TEMPLATES``); shared pieces in
``templates/_shared/``. Rendering uses ``StrictUndefined``: a variable the template needs but the AP's
merged variables lack is a :class:`RenderError` naming the AP, the template and the variable, before
anything is sent. Secret references (``secret:…``, ``env:…``, ``file:…``) among the variables are
resolved by a caller-supplied function, so a preview can show them masked and only a push resolves them.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from netctl.controllers.mibs import vrp_mac
from netctl.errors import NetctlError, RenderError
from netctl.platforms import PLATFORMS, find_platform
from netctl.render import yang
from netctl.render.schema import check_config
from netctl.resources import templates_dir
from netctl.results import ReadResult, caught
from netctl.secretrefs import MASK, is_reference
from netctl.values import QuotingError, check_value, check_values, dialect_of, finaliser, ident, tag_variables

if TYPE_CHECKING:  # jinja2 is imported when something is rendered, not when netctl starts
    import jinja2

logger = logging.getLogger(__name__)


def fallback_facts(ap: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``ap``/``site``/``tenant`` facts from an AP row, for variables that come without them.

    The inventory's merged variables normally carry these (``netctl.inventory.vars.facts``).
    """
    return {
        "ap": {
            k: ap.get(k)
            for k in (
                "name",
                "role",
                "platform",
                "address",
                "port",
                "model",
                "serial",
                "vehicle_id",
                "groups",
                "tags",
            )
        },
        "site": {"name": ap.get("site"), "kind": ap.get("site_kind"), "title": ap.get("site_title")},
        "tenant": {"name": ap.get("tenant"), "title": None},
    }


def template_roots() -> tuple[Path, ...]:
    """Where templates are looked up, first match wins: ``$NETCTL_TEMPLATES`` (a city's own), then netctl's.

    A city's folder may hold just the templates it changes; everything else comes from the built-in
    templates (package data of an installed netctl, ``templates/`` of a checkout).
    """
    env = os.environ.get("NETCTL_TEMPLATES")
    builtin = templates_dir()
    return (Path(env), builtin) if env else (builtin,)


def template_root() -> Path:
    """The folder a template is taken from first (``$NETCTL_TEMPLATES`` or the built-in templates)."""
    return template_roots()[0]


@lru_cache(maxsize=16)
def environment(roots: tuple[str, ...], dialect: str = "xml") -> jinja2.Environment:
    """One Jinja2 environment per list of template roots and quoting dialect: strict, ``do`` available.

    Every ``{{ … }}`` output goes through the dialect's finaliser (:mod:`netctl.values`): uci
    values become single-quoted shell words, IOS/VRP values must be one token, XML is escaped
    (autoescape). A template author cannot forget to quote; a value that cannot be quoted stops
    the render with a QuotingError.
    """
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(list(roots)),
        undefined=jinja2.StrictUndefined,
        autoescape=dialect == "xml",
        finalize=finaliser(dialect),
        keep_trailing_newline=True,
        extensions=["jinja2.ext.do"],
    )
    env.filters["ident"] = ident
    env.filters["vrp_mac"] = vrp_mac
    return env


@dataclass
class RenderResult(ReadResult):
    """One AP's rendered configuration, or why it could not be rendered.

    As every :class:`Result`: ``status`` is "rendered" or "failed", ``reason`` the error, ``changed``
    False (rendering sends nothing).
    """

    PUBLIC: ClassVar[tuple[str, ...]] = ("ap", "platform", "template", "format", "ok", "text", "error", "hash")

    ap: str
    platform: str
    template: str
    format: str
    ok: bool
    text: str = ""
    error: str | None = None
    hash: str | None = None
    secrets: list[str] = field(default_factory=list, repr=False)

    @property
    def status(self) -> str:
        return "rendered" if self.ok else "failed"


def template_for(platform: str, template: str | None = None) -> tuple[str, str]:
    """The template path (relative to the root) and format for ``platform``.

    ``template`` may be a name in the platform's folder with or without the ``.j2`` suffix.
    Raises RenderError for an unknown platform.
    """
    row = find_platform(platform)
    if row is None or not row.default_template or not row.template_dir:
        known = sorted(name for name, p in PLATFORMS.items() if p.default_template)
        raise RenderError(
            f"no templates for platform {platform!r}", hint=f"known platforms: {', '.join(known)}"
        )
    folder, default, fmt = row.template_dir, row.default_template, str(row.config_format)
    name = template or default
    if not name.endswith(".j2"):
        found = sorted({p.name for root in template_roots() for p in (root / folder).glob(f"{name}.*j2")})
        name = found[0] if found else name + ".j2"
    return f"{folder}/{name}", fmt


class LazySecret:
    """A secret reference that resolves only when a template prints it.

    So an AP needs only the secrets its own template uses (a school AP never needs the zoo's
    passphrase), and every value printed is recorded in ``found`` for masking.
    """

    #: never shown in an error message (netctl.values)
    secret = True

    def __init__(
        self,
        ref: str,
        resolve: Callable[[str], str],
        found: list[str],
        check: Callable[[str], None] | None = None,
    ) -> None:
        self.ref, self._resolve, self._found, self._check = ref, resolve, found, check
        self._value: str | None = None

    def __str__(self) -> str:
        if self._value is None:
            value = self._resolve(self.ref)
            if self._check is not None:
                self._check(value)
            self._value = value
            if self._value and self._value != MASK:
                self._found.append(self._value)
        return self._value

    def __html__(self) -> str:
        import markupsafe

        return str(markupsafe.escape(str(self)))

    def __bool__(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return str(self) == (str(other) if isinstance(other, LazySecret) else other)

    def __hash__(self) -> int:
        return hash(self.ref)

    def __repr__(self) -> str:
        return f"LazySecret({self.ref!r})"


def resolve_refs(
    value: Any,
    resolve: Callable[[str], str],
    found: list[str],
    check: Callable[[str, str], None] | None = None,
    path: str = "",
) -> Any:
    """A copy of ``value`` with every secret reference replaced by a :class:`LazySecret`.

    ``check(variable, value)`` runs on each secret's value when it resolves (and may raise).
    """
    if isinstance(value, Mapping):
        return {k: resolve_refs(v, resolve, found, check, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [resolve_refs(v, resolve, found, check, f"{path}[{i}]") for i, v in enumerate(value)]
    if is_reference(value):
        at = path
        return LazySecret(value, resolve, found, (lambda v: check(at, v)) if check else None)
    return value


class ValueRefused(RenderError):
    """Variables of an AP that break the value rules (netctl.values); nothing is rendered or sent."""


def _template_line(exc: BaseException) -> str:
    """``template:line`` of the innermost template frame in ``exc``'s traceback ('' when none)."""
    where = ""
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith(".j2"):
            where = f"{name.rsplit('templates/', 1)[-1]}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where


def mask_refs(ref: str) -> str:
    """The resolver a preview uses: every secret shows as the mask."""
    return MASK


def config_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def render_ap(
    ap: Mapping[str, Any],
    variables: Mapping[str, Any],
    *,
    template: str | None = None,
    resolve: Callable[[str], str] = mask_refs,
) -> RenderResult:
    """Render one AP; failures (missing variable, template error, failed local check) come back as data.

    ``ap`` is an AP row (with ``site_kind``/``site_title`` when known); ``variables`` its merged variables.
    """
    platform = str(ap.get("platform") or "")
    name = str(ap.get("name"))
    try:
        path, fmt = template_for(platform, template)
    except RenderError as exc:
        return RenderResult(name, platform, template or "", "", False, error=exc.message)
    import jinja2

    found: list[str] = []
    facts = {k: v for k, v in fallback_facts(ap).items() if k not in variables}
    unsafe = check_values(name, platform, {**variables, **facts}, skip=is_reference)
    if unsafe:
        return RenderResult(name, platform, path, fmt, False, error="; ".join(str(p) for p in unsafe))

    def check_secret(variable: str, value: str) -> None:
        if refused := check_value(name, platform, variable, value, secret=True):
            raise ValueRefused("; ".join(str(p) for p in refused))

    try:
        context = tag_variables(resolve_refs(dict(variables), resolve, found, check_secret))
        context.update({k: tag_variables(v, k) for k, v in facts.items()})
        context["vars"] = dict(context)
        env = environment(tuple(str(root) for root in template_roots()), dialect_of(platform))
        text = env.get_template(path).render(context)
    except QuotingError as exc:
        where = _template_line(exc) or path
        return RenderResult(
            name, platform, path, fmt, False, error=f"{name}: template {where}: {exc.message}; {exc.hint}"
        )
    except jinja2.UndefinedError as exc:
        return RenderResult(
            name,
            platform,
            path,
            fmt,
            False,
            error=f"template {path}: {exc.message}; set it in the inventory vars "
            f"(global, tenant, site, group or AP) of {name}",
        )
    except jinja2.TemplateNotFound as exc:
        where = " or ".join(map(str, template_roots()))
        return RenderResult(name, platform, path, fmt, False, error=f"template {exc.name} not found under {where}")
    except jinja2.TemplateError as exc:
        where = f"{getattr(exc, 'filename', None) or path}:{getattr(exc, 'lineno', '?')}"
        return RenderResult(name, platform, path, fmt, False, error=f"template {where}: {exc}")
    except RenderError as exc:
        return RenderResult(name, platform, path, fmt, False, error=exc.message)
    except Exception as exc:  # noqa: BLE001 - a secret resolver or filter failing is this AP's failure
        msg = getattr(exc, "message", None) or str(exc)
        if not isinstance(exc, NetctlError):
            logger.exception("%s: unexpected %s rendering %s", name, type(exc).__name__, path)
        return RenderResult(name, platform, path, fmt, False, error=f"{type(exc).__name__}: {msg}", **caught(exc))
    text = text.strip() + "\n"
    problems = check_config(platform, text)
    if not any(p.startswith("bad XML") for p in problems):
        problems = [f"the YANG model says: {p}" for p in yang.validate(platform, text)] + problems
    if problems:
        return RenderResult(
            name,
            platform,
            path,
            fmt,
            False,
            text=text,
            error=f"{path}: the rendered config would be rejected: " + "; ".join(problems),
            secrets=found,
        )
    return RenderResult(name, platform, path, fmt, True, text=text, hash=config_hash(text), secrets=found)
