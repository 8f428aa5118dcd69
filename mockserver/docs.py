"""The docs pages' tables, generated from the endpoint, error, admin and fidelity tables.

Each product (:data:`~mockserver.api.products.PRODUCTS`) has its own endpoint, error and fidelity
regions: spot's are named ``endpoints``, ``errors`` and ``fidelity``; another product's carry its
name first (``futures-endpoints``, ...). A product with an empty table renders just the header.

``python -m mockserver.docs --write`` rewrites the regions between ``<!-- BEGIN name -->``
and ``<!-- END name -->`` of every page in :data:`PAGES`; ``--check`` exits 1 naming the stale
pages, and a test fails when a page and the tables drift apart.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

from .api.params import Kind, Param
from .api.products import PRODUCTS, SPOT, Product
from .errors import PLACE_REFUSAL_TABLE

__all__ = ["PAGES", "ROOT", "SECTIONS", "render_admin", "render_endpoints", "render_errors", "stale_pages", "sync_page"]

ROOT = Path(__file__).resolve().parent.parent


def _param_text(params: tuple[Param, ...]) -> str:
    out = []
    for p in params:
        name = p.name if p.required else f"{p.name}?"
        if p.kind is Kind.OBJECT_LIST:
            inner = ", ".join(i.name if i.required else f"{i.name}?" for i in p.items)
            name += f"[{{{inner}}}]"
        out.append(f"`{name}`")
    return ", ".join(out) or "-"


def render_endpoints(product: Product = SPOT) -> str:
    """A product's endpoint list: operation (the name journal entries, ``expect=`` and rate limits use), method,
    path, auth and permission, parameters, confidence."""
    rows = [
        "| group | operation | method | path | auth (permission) | parameters | conf. |",
        "|---|---|---|---|---|---|---|",
    ]
    for ep in product.endpoints:
        auth = f"signed ({ep.permission})" if ep.auth else "public"
        rows.append(
            f"| {ep.group} | `{ep.operation}` | {ep.method} | `{ep.path}` | {auth} | {_param_text(ep.params)} "
            f"| {ep.confidence} |"
        )
    return "\n".join(rows)


def render_errors(product: Product = SPOT) -> str:
    """A product's error table (and spot's placement-refusal table)."""
    rows = [
        "| code | msg | HTTP | meaning | source |",
        "|---|---|---|---|---|",
    ]
    for e in product.errors.values():
        source = "mock-specific" if e.mock_specific else f"exchange (confidence {e.confidence})"
        rows.append(f"| `{e.code}` | `{e.msg}` | {e.http_status} | {e.meaning} | {source} |")
    if product is not SPOT:
        return "\n".join(rows)
    rows += [
        "",
        'Refused placements answer `code "0"` with `data.placeStatus 0` and:',
        "",
        "| placeCode | placeMsg | meaning | source |",
        "|---|---|---|---|",
    ]
    for code, cls in PLACE_REFUSAL_TABLE.items():
        source = "mock-specific" if cls.mock_specific else "exchange (seen live)"
        rows.append(f"| `{code}` | `{cls.place_msg}` | {cls.meaning} | {source} |")
    return "\n".join(rows)


def render_admin() -> str:
    """The admin namespace: every control-plane route."""
    from .config import ADMIN_PREFIX
    from .control.routes import ADMIN_ROUTES

    rows = ["| method | path | what it does | token |", "|---|---|---|---|"]
    for r in ADMIN_ROUTES:
        token = "open" if r.open else "when configured"
        rows.append(f"| {r.method} | `{ADMIN_PREFIX}{r.path}` | {r.summary.replace('|', '/')} | {token} |")
    return "\n".join(rows)


def render_profiles() -> str:
    """The verification profiles, default first."""
    from .api.auth import DEFAULT_PROFILE, PROFILES, QueryForm

    rows = [
        "| profile | canonical query | nonce | replay | timestamp window | what it is for |",
        "|---|---|---|---|---|---|",
    ]
    for p in PROFILES.values():
        name = f"`{p.name}`" + (" (default)" if p.name == DEFAULT_PROFILE else "")
        query = " or ".join("`id1uid200`" if f == QueryForm.CONCAT else "`id=1uid=200`" for f in p.query_forms)
        nonce = "any non-empty (warning if not 32)" if p.nonce_length is None else f"exactly {p.nonce_length} chars"
        replay = "refused (900001)" if p.reject_replay else "accepted"
        future = "any future (warning past 60 s)" if p.future_window_ms is None else f"+{p.future_window_ms // 1000} s"
        window = f"-{p.past_window_ms // 1000} s .. {future}"
        rows.append(f"| {name} | {query} | {nonce} | {replay} | {window} | {p.description} |")
    return "\n".join(rows)


def render_fidelity(product: Product = SPOT) -> str:
    """What the mock does for ``product`` where evidence is thin, with sources, and the switches that change it."""
    from .fidelity import BEHAVIOURS, SWITCHES

    rows = ["| area | the mock | source | conf. | switch |", "|---|---|---|---|---|"]
    for b in BEHAVIOURS:
        if b.product != product.name:
            continue
        switch = f"`{b.switch}`" if b.switch else ""
        rows.append(f"| {b.area} | {b.mock} | {b.source} | {b.confidence} | {switch} |")
    rows += ["", "| switch | choices (default first) | what it does | source | conf. |", "|---|---|---|---|---|"]
    for sw in SWITCHES.values():
        if sw.product != product.name:
            continue
        choices = ", ".join(f"`{c}`" for c in (sw.default, *(c for c in sw.choices if c != sw.default)))
        rows.append(f"| `{sw.name}` | {choices} | {sw.what} | {sw.source} | {sw.confidence} |")
    return "\n".join(rows)


def render_bench() -> str:
    """The latest benchmark table (``python -m bench`` writes bench/results/latest.md)."""
    latest = Path(__file__).resolve().parent.parent / "bench" / "results" / "latest.md"
    return latest.read_text("utf-8").strip() if latest.exists() else "(no benchmark run yet: python -m bench)"


def _per_product(render: Callable[[Product], str], product: Product) -> Callable[[], str]:
    return lambda: render(product)


SECTIONS: dict[str, Callable[[], str]] = {
    "profiles": render_profiles,
    "endpoints": render_endpoints,
    "errors": render_errors,
    "fidelity": render_fidelity,
    "admin": render_admin,
    "bench": render_bench,
}
#: Every other product's regions: ``<product>-endpoints``, ``<product>-errors``, ``<product>-fidelity``.
for _product in PRODUCTS:
    if _product is not SPOT:
        for _name, _render in (
            ("endpoints", render_endpoints),
            ("errors", render_errors),
            ("fidelity", render_fidelity),
        ):
            SECTIONS[f"{_product.name}-{_name}"] = _per_product(_render, _product)


#: Each page (relative to the repository root) and the generated regions it holds.
PAGES: dict[str, tuple[str, ...]] = {
    "docs/calling.md": ("profiles",),
    "docs/endpoints.md": ("endpoints", "futures-endpoints"),
    "docs/errors.md": ("errors", "futures-errors"),
    "docs/fidelity.md": ("fidelity", "futures-fidelity"),
    "docs/futures.md": ("futures-fidelity",),
    "docs/admin.md": ("admin",),
    "bench/README.md": ("bench",),
}


def sync_page(text: str, names: tuple[str, ...]) -> str:
    """``text`` with each of its generated regions ``names`` replaced by its current rendering."""
    for name in names:
        pattern = re.compile(rf"(<!-- BEGIN {name} -->\n).*?(<!-- END {name} -->)", re.S)
        replacement = r"\g<1>" + SECTIONS[name]().replace("\\", "\\\\") + "\n" + r"\g<2>"
        text, n = pattern.subn(replacement, text)
        if n != 1:
            raise ValueError(f"needs exactly one <!-- BEGIN {name} --> ... <!-- END {name} --> region")
    return text


def stale_pages(root: Path = ROOT) -> list[str]:
    """The pages whose generated regions differ from the code's tables."""
    return [page for page, names in PAGES.items() if _differs(root / page, names)]


def _differs(path: Path, names: tuple[str, ...]) -> bool:
    text = path.read_text("utf-8")
    return sync_page(text, names) != text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite the generated regions of every page")
    parser.add_argument("--check", action="store_true", help="exit 1 when a page's generated regions are stale")
    args = parser.parse_args(argv)
    if args.write:
        for page, names in PAGES.items():
            path = ROOT / page
            path.write_text(sync_page(path.read_text("utf-8"), names), "utf-8")
    elif args.check:
        stale = stale_pages()
        if stale:
            print(f"stale generated tables in {', '.join(stale)}: run python -m mockserver.docs --write")
            return 1
    else:
        for render in SECTIONS.values():
            print(render(), end="\n\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
