"""Signatures on the wire: generated parameters and the code-point sort of query keys."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ..adapter import ClientCrashed, ClientError
from ..context import Context
from ..outcomes import RuleFailed, RuleSkipped
from .base import SIGNED_REJECTIONS, call, property_settings, rule, run_property, signed_entries, traffic


@rule(
    "signing.generated",
    title="Signatures hold over generated parameters",
    statement="Signed requests over generated unicode ids, symbols and decimals are never refused by auth.",
    requires=("nonce.unique", "timestamp.fresh"),
    ops=("order_detail", "pending_orders", "place_order", "order_deals"),
    passes="no signed request over generated unicode ids, symbols and decimals is refused by auth",
    fails="a refusal by auth",
)
def check_signing_generated(ctx: Context) -> None:
    with ctx.client() as (adapter, acct):
        seen = [0]  # the newest journal entry id already judged
        texts = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)

        @property_settings(ctx, max_examples=ctx.examples)
        @given(
            client_id=texts,
            order_id=texts,
            symbol=st.sampled_from(["BTCUSDT", "ETHUSDT", "btcusdt", "NOPEUSDT", "ÉTHUSDT"]),
            volume=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(5), places=4),
        )
        def signed_requests_pass(client_id: str, order_id: str, symbol: str, volume: Decimal) -> None:
            for op, args in (
                ("order_detail", (order_id,)),
                ("pending_orders", (symbol,)),
                ("place_order", ("BTCUSDT", 2, 1, format(volume, "f"), "13000", client_id)),
                ("order_deals", (order_id, symbol)),
            ):
                traffic(ctx, adapter, op, *args)  # judged by what auth said, not by what the client read
            new = ctx.target.journal_since(acct["api_key"], seen[0])  # this example's requests only
            seen[0] = max((e["id"] for e in new), default=seen[0])
            for e in new:
                if e["code"] in SIGNED_REJECTIONS:
                    raise RuleFailed(
                        f"{e['operation']} was refused by the exchange's auth ({e['code']} {e['verdict']})",
                        **ctx.evidence(e),
                    )

        run_property(ctx, signed_requests_pass)


#: Query keys whose code-point order ("B" < "_z" < "a" < "a1" < "b") differs from every case-insensitive or
#: locale order, sent in neither order; orderId makes it an order_detail the exchange answers.
QUERY_SORT_PARAMS = [["orderId", "1"], ["b", "2"], ["a1", "x"], ["B", "1"], ["_z", "0"], ["a", "y"]]
QUERY_SORT_PATH = "/api/spot/v1/order/detail"
CODE_POINT = (
    "the exchange signs query keys sorted by code point (upper case before '_' before lower case: "
    "B1_z0aya1xb2orderId1 here), not ignoring case, by locale or in the order sent"
)


@rule(
    "signing.query-sort",
    title="Query keys are signed sorted by code point",
    statement="A signed GET whose query keys differ in case is not refused: the keys are signed sorted by code "
    "point, not ignoring case or by locale (optional op).",
    requires=("nonce.unique", "timestamp.fresh"),
    ops=("signed_get",),
    passes="a signed GET with keys B, _z, a, a1, b, orderId is accepted (optional `signed_get` op; skipped without it)",
    fails="it is refused (100005): keys signed ignoring case, by locale or unsorted (the doctor's diagnosis)",
)
def check_query_sort(ctx: Context) -> None:
    """Spot's signed GETs take at most one parameter, so only a GET with several, through the client's own
    request path, shows its sort; the mock's journal and signature doctor say how it signed them."""
    with ctx.client() as (adapter, acct):
        if getattr(adapter, "signed_get", None) is None:
            raise RuleSkipped("the adapter has no signed_get(path, params) operation; add one to have the sort checked")
        try:
            call(adapter, "signed_get", QUERY_SORT_PATH, [list(p) for p in QUERY_SORT_PARAMS])
        except ClientError:
            pass  # judged from the journal, whatever the client made of the answer
        except ClientCrashed as crash:
            raise RuleFailed(f"the client crashed: {crash}", traceback=crash.excerpt) from None
        for e in signed_entries(ctx, acct["api_key"]):
            if e["code"] not in SIGNED_REJECTIONS:
                continue
            diagnosis = e.get("diagnosis")
            mistake = diagnosis.get("mistake", "") if isinstance(diagnosis, dict) else ""
            said = f"{mistake}: {diagnosis.get('message', '')}" if isinstance(diagnosis, dict) else ""
            if mistake in ("case-insensitive-sort", "unsorted-query"):
                how = "ignoring case (or by locale)" if mistake == "case-insensitive-sort" else "in the order sent"
                raise RuleFailed(
                    f"a signed GET with query keys that differ in case was refused ({e['code']} {e['verdict']}): "
                    f"the client signed the keys {how}; {CODE_POINT}. The signature doctor: {said}",
                    **ctx.evidence(e),
                )
            raise RuleFailed(
                f"a signed GET with several query keys was refused by the exchange's auth ({e['code']} "
                f"{e['verdict']}); {CODE_POINT}" + (f". The signature doctor: {said}" if said else ""),
                **ctx.evidence(e),
            )
