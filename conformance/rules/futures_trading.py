"""Futures trading as the client does it: account and position reads, order life cycles in both position modes,
leverage / margin-mode / position-mode changes and their refusals, paging, and the documented oddities.

Every figure is judged against the reference futures client's read of the same account. Where the docs
and live disagree (spec §7: the docs' one-element array ``account``, integer totals, ``LONG``/``SHORT``
position sides; live's ``NEW_`` status padding), the client must read the live form, and a client that
cannot read the other form is WARNed (a documented oddity it does not tolerate), never failed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..adapter import ClientCrashed, ClientError
from ..context import Context
from ..outcomes import RuleFailed
from .base import call, rule
from .futures_base import FSIGNED, SYMBOL, book, endpoint, message, switched, truth

#: what every futures rule that reads answers needs: a signed call that works and a success read as one
FREAD = (*FSIGNED, "futures.envelope.code")

HINTS = {
    "10008": "an order's side is BUY or SELL (LONG/SHORT are position directions, not order sides)",
    "30019": "on a hedge-mode close, side is the position's direction (BUY closes a long, SELL a short) with "
    "tradeSide CLOSE and the positionId",
    "30004": "close the position by its positionId, read from get_pending_positions",
    "30018": "a reduce-only order needs a position to reduce",
}


def _step(ctx: Context, adapter: Any, what: str, op: str, *args: Any) -> Any:
    """A step of a life cycle: an error or a crash fails the rule, naming the step and what to change."""
    try:
        return call(adapter, op, *args)
    except ClientError as err:
        hint = HINTS.get(err.code, "")
        raise RuleFailed(
            f"{what}: the exchange refused it ({err.code} {err.msg})" + (f": {hint}" if hint else "")
        ) from None
    except ClientCrashed as crash:
        raise RuleFailed(f"{what}: the client crashed: {crash}", traceback=crash.excerpt) from None


def _held(ref: Any) -> list[tuple[str, Decimal]]:
    """The open positions of the account: (direction, qty), sorted."""
    return sorted((p["side"], Decimal(p["qty"])) for p in ref.futures_pending_positions(SYMBOL))


def _expect_held(ref: Any, what: str, want: list[tuple[str, Decimal]]) -> None:
    got = _held(ref)
    if got != sorted(want):
        show = ", ".join(f"{s} {q}" for s, q in sorted(want)) or "none"
        held = ", ".join(f"{s} {q}" for s, q in got) or "none"
        raise RuleFailed(f"{what}: the exchange holds positions {held}; the step should leave {show}")


def _position_id(ref: Any, side: str) -> str:
    return str(next(p["position_id"] for p in ref.futures_pending_positions(SYMBOL) if p["side"] == side))


@rule(
    "futures.account.read",
    title="The futures account reads as an object (and the docs' array)",
    statement="The account reads right from live's object; from the docs' one-element array (switch "
    "futures_shapes=doc) a misread is a WARN.",
    requires=FREAD,
    ops=("futures_account",),
    passes="the account's figures read exactly from the live object `data`",
    warns="the docs' array form (`data: [{...}]`, never seen live) is not read",
    fails="the live object is misread, raised or crashes the client",
)
def check_futures_account(ctx: Context) -> None:
    with ctx.client() as (adapter, acct):
        with truth(ctx, acct) as ref:
            want = ref.futures_account("USDT")
        for shape in ("live", "doc"):
            with switched(ctx, futures_shapes=shape):
                try:
                    mine = call(adapter, "futures_account", "USDT")
                    wrong = [k for k in ("available", "frozen", "margin") if Decimal(str(mine[k])) != Decimal(want[k])]
                    problem = f"read {', '.join(f'{k} {mine[k]!r}' for k in wrong)}" if wrong else ""
                except (ClientError, ClientCrashed, KeyError, TypeError, ArithmeticError) as exc:
                    problem, wrong = f"failed: {type(exc).__name__}: {exc}", ["all"]
                if not wrong:
                    continue
                if shape == "live":
                    raise RuleFailed(
                        f"the futures account answered as live does (`data` an object) {problem}; the exchange holds "
                        f"available {want['available']}, frozen {want['frozen']}, margin {want['margin']}: read `data` "
                        "as an object (and a one-element list as its element)"
                    )
                ctx.tolerated(
                    "futures-account-array",
                    f"the account answered as the docs' one-element array {problem}",
                    "`data` is an array of one account (DOC-C example)",
                    "`data` is an object (spec §7.1, TIQ, NET, LB) [H]",
                    {"method": "GET", "path": endpoint("futures.account").path, "operation": "futures.account"},
                )


@rule(
    "futures.hedge.lifecycle",
    title="Hedge mode: open long and short, close each by positionId",
    statement="In hedge mode the client opens a long (BUY/OPEN) and a short (SELL/OPEN) and closes each by its "
    "positionId with side = the position's direction and tradeSide CLOSE; the exchange's positions follow.",
    requires=FREAD,
    ops=("futures_change_position_mode", "futures_place_order"),
    passes="each step is accepted and leaves the positions the exchange should hold",
    warns=None,
    fails="a step refused (the verdict names the side/tradeSide mistake) or other positions",
)
def check_futures_hedge(ctx: Context) -> None:
    book(ctx)
    with ctx.client() as (adapter, acct), truth(ctx, acct) as ref:
        _step(ctx, adapter, "switching to hedge mode", "futures_change_position_mode", "HEDGE")
        if ref.futures_account("USDT")["position_mode"] != "HEDGE":
            raise RuleFailed("change_position_mode HEDGE returned but the account is not in hedge mode")
        _step(ctx, adapter, "opening a long (side BUY, tradeSide OPEN)", "futures_place_order",
              SYMBOL, "BUY", "MARKET", "0.02", None, "OPEN", None, None, None)  # fmt: skip
        _step(ctx, adapter, "opening a short (side SELL, tradeSide OPEN)", "futures_place_order",
              SYMBOL, "SELL", "MARKET", "0.01", None, "OPEN", None, None, None)  # fmt: skip
        _expect_held(ref, "after opening a long and a short", [("LONG", Decimal("0.02")), ("SHORT", Decimal("0.01"))])
        long_id = _position_id(ref, "LONG")
        _step(ctx, adapter, f"closing the long {long_id} (side BUY, tradeSide CLOSE, positionId)",
              "futures_place_order", SYMBOL, "BUY", "MARKET", "0.02", None, "CLOSE", long_id, None, None)  # fmt: skip
        _expect_held(ref, f"after closing the long {long_id}", [("SHORT", Decimal("0.01"))])
        short_id = _position_id(ref, "SHORT")
        _step(ctx, adapter, f"closing the short {short_id} (side SELL, tradeSide CLOSE, positionId)",
              "futures_place_order", SYMBOL, "SELL", "MARKET", "0.01", None, "CLOSE", short_id, None, None)  # fmt: skip
        _expect_held(ref, f"after closing the short {short_id}", [])


@rule(
    "futures.oneway.lifecycle",
    title="One-way mode: open, then reduce-only closes",
    statement="In one-way mode a BUY opens a long and reduce-only SELLs shrink and close it; a reduce-only order "
    "without a position is refused with its code.",
    requires=FREAD,
    ops=("futures_place_order",),
    passes="the long follows each step, and the stray reduce-only order raises 30018",
    warns=None,
    fails="a step refused, other positions, or the refusal swallowed or misreported",
)
def check_futures_oneway(ctx: Context) -> None:
    book(ctx)
    with ctx.client() as (adapter, acct), truth(ctx, acct) as ref:
        _step(ctx, adapter, "opening a long in one-way mode (side BUY)", "futures_place_order",
              SYMBOL, "BUY", "MARKET", "0.02", None, None, None, None, None)  # fmt: skip
        _expect_held(ref, "after a BUY of 0.02", [("LONG", Decimal("0.02"))])
        for left in ("0.01", None):
            _step(ctx, adapter, "reducing the long (side SELL, reduceOnly true)", "futures_place_order",
                  SYMBOL, "SELL", "MARKET", "0.01", None, None, None, True, None)  # fmt: skip
            _expect_held(ref, "after a reduce-only SELL of 0.01", [("LONG", Decimal(left))] if left else [])
        try:
            result = call(
                adapter, "futures_place_order", SYMBOL, "SELL", "MARKET", "0.01", None, None, None, True, None
            )
        except ClientError as err:
            if err.code != "30018":
                raise RuleFailed(
                    f"a reduce-only SELL without a position: the exchange answered 30018 ({message('30018')}) and the "
                    f"client reported {err.code!r}"
                ) from None
            return
        held = _held(ref)
        if held:
            raise RuleFailed(
                f"a reduce-only SELL without a position opened {', '.join(f'{s} {q}' for s, q in held)} instead of "
                f"being refused (30018 {message('30018')}): the order went out without reduceOnly true"
            )
        raise RuleFailed(
            f"a reduce-only SELL without a position: the exchange refused it (30018 {message('30018')}) and the "
            f"client returned {result!r} instead of raising it"
        )


@rule(
    "futures.positions.read",
    title="Positions read with their direction, live BUY/SELL (and the docs' LONG/SHORT)",
    statement="Open positions read with id, direction and qty as the exchange holds them, from live's BUY/SELL "
    "sides; from the docs' LONG/SHORT (switch futures_shapes=doc) a misread is a WARN; a flash close by positionId "
    "closes one.",
    requires=FREAD,
    ops=("futures_pending_positions", "futures_flash_close"),
    passes="a long and a short read exactly (sides `LONG`/`SHORT` from the wire's `BUY`/`SELL`), and flash_close "
    "closes the one named",
    warns="the docs' `LONG`/`SHORT` wire sides are not read",
    fails="a live position misread (e.g. the wire's BUY passed on as a direction), or the flash close fails",
)
def check_futures_positions(ctx: Context) -> None:
    book(ctx)
    with ctx.client() as (adapter, acct), truth(ctx, acct) as ref:
        ref.futures_change_position_mode("HEDGE")
        ref.futures_place_order(SYMBOL, "BUY", "MARKET", "0.03", None, "OPEN", None, None, None)
        ref.futures_place_order(SYMBOL, "SELL", "MARKET", "0.01", None, "OPEN", None, None, None)

        def view(rows: Any) -> list[tuple[str, str, Decimal]]:
            return sorted((str(p["position_id"]), str(p["side"]), Decimal(str(p["qty"]))) for p in rows)

        want = view(ref.futures_pending_positions(SYMBOL))
        for shape in ("live", "doc"):
            with switched(ctx, futures_shapes=shape):
                try:
                    got = view(call(adapter, "futures_pending_positions", SYMBOL))
                    problem = "" if got == want else f"read {got}"
                except (ClientError, ClientCrashed, KeyError, TypeError, ArithmeticError) as exc:
                    problem = f"failed: {type(exc).__name__}: {exc}"
            if not problem:
                continue
            if shape == "live":
                raise RuleFailed(
                    f"open positions answered as live does (side BUY for a long, SELL for a short; qty a string) "
                    f"{problem}; the exchange holds {want}: a position's direction is LONG for wire side BUY, SHORT "
                    "for SELL"
                )
            ctx.tolerated(
                "futures-position-side-long-short",
                f"positions answered with the docs' LONG/SHORT sides {problem}",
                "position `side` LONG/SHORT",
                "position `side` BUY/SELL (spec §7.7: four clients)",
                {
                    "method": "GET",
                    "path": endpoint("futures.position_get_pending_positions").path,
                    "operation": "futures.position_get_pending_positions",
                },
            )
        short_id = _position_id(ref, "SHORT")
        _step(ctx, adapter, f"flash-closing the short {short_id}", "futures_flash_close", short_id)
        _expect_held(ref, f"after flash_close_position {short_id}", [("LONG", Decimal("0.03"))])


@rule(
    "futures.settings.change",
    title="Leverage, margin mode and position mode change, and their refusals surface",
    statement="Leverage, margin mode and position mode changes take effect; with an open order the margin-mode change "
    "is refused 20006 and the position-mode change 20009, and the client raises those codes.",
    requires=FREAD,
    ops=(
        "futures_change_leverage",
        "futures_change_margin_mode",
        "futures_change_position_mode",
        "futures_place_order",
    ),
    passes="each change holds on the exchange, and each refusal is raised with its code",
    warns=None,
    fails="a change that does not hold, or a refusal swallowed or misreported",
)
def check_futures_settings(ctx: Context) -> None:
    with ctx.client() as (adapter, acct), truth(ctx, acct) as ref:
        _step(ctx, adapter, "changing BTCUSDT's leverage to 10", "futures_change_leverage", SYMBOL, 10)
        _step(ctx, adapter, "changing BTCUSDT's margin mode to CROSS", "futures_change_margin_mode", SYMBOL, "CROSS")
        held = ref.futures_leverage_margin_mode(SYMBOL)
        if (held["leverage"], held["margin_mode"]) != (10, "CROSS"):
            raise RuleFailed(f"after changing leverage to 10 and margin mode to CROSS the exchange holds {held}")
        _step(ctx, adapter, "changing the position mode to HEDGE", "futures_change_position_mode", "HEDGE")
        if ref.futures_account("USDT")["position_mode"] != "HEDGE":
            raise RuleFailed("after change_position_mode HEDGE the account is not in hedge mode")
        ref.futures_place_order(SYMBOL, "BUY", "LIMIT", "0.001", "50000", "OPEN", None, None, None)
        for code, op, args in (
            ("20006", "futures_change_margin_mode", (SYMBOL, "ISOLATION")),
            ("20009", "futures_change_position_mode", ("ONE_WAY",)),
        ):
            try:
                result = call(adapter, op, *args)
            except ClientError as err:
                if err.code != code:
                    raise RuleFailed(
                        f"{op} with an open order: the exchange answered {code} ({message(code)}) and the client "
                        f"reported {err.code!r}"
                    ) from None
                continue
            raise RuleFailed(
                f"{op} with an open order: the exchange refused it ({code} {message(code)}) and the client returned "
                f"{result!r} instead of raising it"
            )


def _page_through(ctx: Context, adapter: Any, op: str, rows: str, size: int) -> tuple[list[str], list[int]]:
    ids: list[str] = []
    totals: list[int] = []
    for skip in range(0, 9, size):
        page = _step(ctx, adapter, f"{op} skip {skip} limit {size}", op, SYMBOL, skip, size)
        totals.append(int(str(page["total"])))
        ids += [str(r["order_id"]) for r in page[rows]]
    return ids, totals


@rule(
    "futures.pagination",
    title="Futures lists page with skip/limit; totals (strings live) read as numbers",
    statement="Seven orders paged three at a time with skip/limit, open and then cancelled: every order once, total 7 "
    "on each page (a string live); integer totals (switch futures_shapes=doc) misread are a WARN; `NEW_` padding "
    "misread is a WARN.",
    requires=FREAD,
    ops=(
        "futures_place_order",
        "futures_pending_orders",
        "futures_cancel_orders",
        "futures_history_orders",
        "futures_order_detail",
    ),
    passes="pending and history pages hold every order once, newest first, with total 7",
    warns="the docs' integer totals or live's `NEW_` status padding are not read",
    fails="an order missing or repeated across pages, or a total misread",
)
def check_futures_pagination(ctx: Context) -> None:
    with ctx.client() as (adapter, acct), truth(ctx, acct) as ref:
        for i in range(7):
            _step(ctx, adapter, f"placing order {i + 1} of 7", "futures_place_order",
                  SYMBOL, "BUY", "LIMIT", "0.001", str(50000 + 10 * i), None, None, None, None)  # fmt: skip
        want = [str(o["order_id"]) for o in ref.futures_pending_orders(SYMBOL, 0, 100)["orders"]]
        for shape in ("live", "doc"):
            with switched(ctx, futures_shapes=shape):
                try:
                    ids, totals = _page_through(ctx, adapter, "futures_pending_orders", "orders", 3)
                    problem = "" if (ids, set(totals)) == (want, {7}) else f"read ids {ids} and totals {totals}"
                except (RuleFailed, KeyError, TypeError, ValueError) as exc:
                    problem = f"failed: {exc}"
            if not problem:
                continue
            if shape == "live":
                raise RuleFailed(
                    f"open orders paged 3 at a time (skip 0, 3, 6) {problem}; the exchange holds {want} (newest "
                    'first), total "7" (a string live): skip counts rows, not pages'
                )
            ctx.tolerated(
                "futures-integer-total",
                f"pages answered with the docs' integer total {problem}",
                "`total` an int64",
                "`total` a string of digits (spec §7.7, TIQ)",
                {
                    "method": "GET",
                    "path": endpoint("futures.trade_get_pending_orders").path,
                    "operation": "futures.trade_get_pending_orders",
                },
            )
        with switched(ctx, futures_status_padding="on"):
            try:
                status = str(call(adapter, "futures_order_detail", want[0])["status"])
            except (ClientError, ClientCrashed, KeyError, TypeError) as exc:
                status = f"{type(exc).__name__}: {exc}"
            if status != "NEW":
                ctx.tolerated(
                    "futures-status-padding",
                    f"an order with status NEW_ read as {status!r}",
                    "status NEW",
                    "NEW_ seen live (spec §3.0, PB and TIQ normalise a trailing underscore)",
                    {
                        "method": "GET",
                        "path": endpoint("futures.trade_get_order_detail").path,
                        "operation": "futures.trade_get_order_detail",
                    },
                )
        _step(ctx, adapter, "cancelling the 7 orders", "futures_cancel_orders", SYMBOL, want)
        ids, totals = _page_through(ctx, adapter, "futures_history_orders", "orders", 3)
        if sorted(ids) != sorted(want) or set(totals) != {7}:
            raise RuleFailed(
                f"history orders paged 3 at a time (skip 0, 3, 6) read ids {ids} and totals {totals}; the exchange "
                f"holds {sorted(want)} cancelled, total 7: skip counts rows, not pages"
            )
