"""What the mock does where the evidence is thin: one table of behaviours and the switches that steer them.

Every behaviour that is not plainly observed live is a row here, with its
source and confidence; the fidelity table of docs/fidelity.md is generated from these rows
and the code reads the switches from the same table (``MockState.switch``), so
the documentation cannot drift from what runs. Confidence: H = seen live or two
sources agree; M = one credible source; L = inferred, or the mock's own choice.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BEHAVIOURS", "SWITCHES", "Behaviour", "Switch", "parse_switches"]


@dataclass(frozen=True)
class Switch:
    """A behaviour a user can change (``--switch name=value``, ``Config(switches=...)``, ``/_mock/switches``)."""

    name: str
    choices: tuple[str, ...]
    default: str
    what: str  # what each choice does
    source: str
    confidence: str
    product: str = "spot"  # the product whose behaviour it steers (mockserver.api.products)


SWITCHES: dict[str, Switch] = {
    s.name: s
    for s in (
        Switch(
            "empty_lists",
            ("null", "[]"),
            "null",
            "an empty pending/list, and history/page's empty page list, answer data null (or [])",
            "a live client's code treats null there as the exchange's habit, like the empty account (HB); not recorded",
            "L",
        ),
        Switch(
            "price_band",
            ("placecode", "error", "off"),
            "placecode",
            "a limit buy below last x (1 + minBuyPriceOffset) or a sell above last x (1 + maxSellPriceOffset) is "
            "refused: placecode = placeStatus 0 with placeCode 910005; error = code 2; off = accepted",
            "HB 2026 notes: the band exists and is enforced; formula, reference price and refusal shape unknown",
            "M band / L shape",
        ),
        Switch(
            "cancel_by_client_id",
            ("stall", "noop", "refuse"),
            "stall",
            "a cancel item naming clientId instead of orderId: stall = success, nothing cancelled, and cancels "
            "of that order are ignored for 60 s of mock time; noop = success, nothing cancelled; refuse = code 2",
            "HB live 2026-10-07 (success and no-op); the ~60 s stall is HB's word 'stuck'",
            "M no-op / L stall",
        ),
        Switch(
            "batch_cap",
            ("20", "off"),
            "20",
            "place_order/batch and cancel take at most 20 items (21 answers code 2); off = no cap",
            "futures batch limit; MCP caps spot cancel lists at 20; nothing on spot",
            "L",
        ),
        Switch(
            "page_size_cap",
            ("clamp", "refuse", "off"),
            "clamp",
            "history/page pageSize above 100: clamp = served as 100; refuse = code 2; off = served in full",
            "live maximum unknown; live clients use 100 (HB) and 20 (MCP)",
            "L",
        ),
        Switch(
            "depth_precision",
            ("lenient", "strict"),
            "lenient",
            "depth precision that is not one of the pair's precisions: lenient = aggregated to that step "
            "(any positive step); strict = code 2",
            "the WS doc example itself sends precision 5; live REST behaviour unknown",
            "L",
        ),
        Switch(
            "price_precision",
            ("10059", "2"),
            "10059",
            "a limit price with more decimals than quotePrecision: 10059 'Price precision error' (a code guessed "
            "next to 10058) or 2 'Parameter error'",
            "no source shows the reaction; it could also be rounding or a placeCode",
            "L",
        ),
        Switch(
            "network_names",
            ("display", "lenient"),
            "display",
            "wallet networks are the documented display names ('Tron (TRC-20)'); lenient also accepts the "
            "short codes (TRC20, ERC20) clients sometimes hard-code",
            "every DOC wallet example uses the display name (spec §3.2)",
            "M",
        ),
        Switch(
            "withdraw_whitelist",
            ("on", "off"),
            "on",
            "withdrawals only to addresses whitelisted for the account (110008 otherwise; /_mock whitelists); "
            "off = any address that matches the network's pattern",
            "DOC withdraw rules; code 110008 from an exchange error list (CCXT-K)",
            "M rule / L code",
        ),
        Switch(
            "futures_nonce_replay",
            ("off", "profile"),
            "off",
            "futures requests: off = a reused nonce is accepted (and not remembered); profile = refused as the "
            "verification profile says for spot (10007 on futures)",
            "futures spec §1.4: no source tested nonce reuse; the spec's mock default is off, switchable",
            "L",
            "futures",
        ),
        Switch(
            "futures_shapes",
            ("live", "doc"),
            "live",
            "futures reply shapes: live = object account, change_* and funding_rate replies, string total/ctime/"
            "mtime, BUY/SELL position sides, string depth levels, tpsl/place_order an array; doc = the official "
            "examples' literal shapes (one-element arrays, integer times and totals, LONG/SHORT, numeric depth "
            "levels, a tpsl/place_order object)",
            "futures spec §7.1, §7.2, §7.7: TIQ strict decoding, NET and LB live remarks, NEM depth capture",
            "H account / M others",
            "futures",
        ),
        Switch(
            "futures_status_padding",
            ("off", "on"),
            "off",
            "futures order status NEW is sent as NEW_ (on), as PB and TIQ saw it live on order reads",
            "futures spec §3.0: PB and TIQ both normalise a trailing underscore",
            "H",
            "futures",
        ),
    )
}


@dataclass(frozen=True)
class Behaviour:
    """One row of the fidelity table (docs/fidelity.md)."""

    area: str
    mock: str
    source: str
    confidence: str
    switch: str = ""  # the switch that changes it, if any
    product: str = "spot"  # the product it describes (mockserver.api.products)


BEHAVIOURS: tuple[Behaviour, ...] = (
    Behaviour("envelope", "`{code, msg, data, success}`, code a string, HTTP 200 for errors", "live capture", "H"),
    Behaviour(
        "success `msg`",
        '`"Success"` on kline, kline/history, coin_network/list, deposit/page; `"result.success"` elsewhere',
        "live kline capture (KL); DOC examples",
        "M",
    ),
    Behaviour("signature", "double SHA-256, key+value query, raw body bytes", "official demo vector + live", "H"),
    Behaviour(
        "`coin_pair/list`",
        "numbers for ids, precisions and flags; lower-case `symbol`; `minPrice` = minimum order value",
        "recorded live reply",
        "H",
    ),
    Behaviour("limit order `volume`", "base quantity", "live (HB)", "H"),
    Behaviour(
        "unknown order",
        "`detail` answers data null; `deal/list` answers []; a cancel answers success",
        "live (HB)",
        "M",
    ),
    Behaviour(
        "matching",
        "price-time priority; trades at the maker's price; self-trade allowed; market orders never rest",
        "standard exchange behaviour",
        "L",
    ),
    Behaviour(
        "timestamp window",
        "more than 60 s behind refused (100008); ahead accepted (warning past 60 s); ±60 s in `strict`",
        "live: −61 s refused, +61 s accepted (HB)",
        "M",
    ),
    Behaviour(
        "nonce length",
        "any non-empty nonce (warning when not 32 characters); exactly 32 in `strict` (900002, mock's code)",
        "44-character nonces work live (TCJ, PyPI client); docs say 32",
        "M",
    ),
    Behaviour(
        "nonce reuse",
        "refused with 900001 (the mock's own code) except in `observed`",
        "never tested live; kept because CI users want replay caught",
        "L",
    ),
    Behaviour(
        "`Date` header",
        "every reply carries Date from the mock clock (moved clock included)",
        "live: the only server clock; clients re-sync from it on 100008 (HB)",
        "M",
    ),
    Behaviour(
        "refused placement",
        'code "0", `placeStatus 0`, `placeCode`/`placeMsg`; 10034 `余额不足` is the one real placeCode',
        "live for insufficient balance (HB)",
        "M",
    ),
    Behaviour(
        "placeCodes 910001-910005",
        "below minVolume, below minPrice notional, above maxAmount, pair closed, outside the price band: "
        "the mock's own codes and English texts",
        "no source; only 10034 was ever seen",
        "L",
    ),
    Behaviour(
        "check order",
        "api-key, nonce, timestamp, sign, rate limit, replay, IP whitelist, permission, parameters, business "
        "rules; maxAmount is checked before the balance",
        "only '100008 before anything executes' is observed",
        "L",
    ),
    Behaviour("price precision", "see the `price_precision` switch", "no source", "L", "price_precision"),
    Behaviour("volume precision", "more decimals than basePrecision: code 10058", "docs + live (HB)", "H"),
    Behaviour(
        "market buy volume",
        "a quote amount with quotePrecision decimals; order reads rewrite volume to the base bought",
        "docs contradict each other",
        "L",
    ),
    Behaviour("price band", "see the `price_band` switch", "HB notes", "M/L", "price_band"),
    Behaviour("cancel by clientId", "see the `cancel_by_client_id` switch", "HB live", "M/L", "cancel_by_client_id"),
    Behaviour("cancel, mismatched symbol", 'code "0", nothing cancelled', "unknown live", "L"),
    Behaviour(
        "batch placement",
        "each item gets its own result (placeStatus, placeCode); a bad item does not sink the others",
        "DOC gives each item its own placeStatus",
        "M",
        "batch_cap",
    ),
    Behaviour("empty order lists", "see the `empty_lists` switch", "HB code", "L", "empty_lists"),
    Behaviour(
        "open orders list",
        "`pending/list` answers the newest 1000 open orders of the pair, no more (the mock's list bound: 20,000 "
        "cost 186 ms a call); no paging parameters",
        "DOC: symbol only, not paginated; no source gives a cap (rustcta's page/pageSize unverified)",
        "L",
    ),
    Behaviour("history page size", "see the `page_size_cap` switch", "unknown", "L", "page_size_cap"),
    Behaviour(
        "depth",
        "50 levels a side (the seeded market maker keeps 50); `precision` optional, default the finest step",
        "live (HB)",
        "M",
        "depth_precision",
    ),
    Behaviour(
        "kline",
        "newest first, latest 200 incl. the forming candle; every row carries `symbol`; prices without trailing zeros",
        "live capture (KL)",
        "M",
    ),
    Behaviour(
        "kline/history `endTime`",
        "unix seconds; ms values land in the future and return the latest page",
        "KL sends seconds; ms never tested",
        "L",
    ),
    Behaviour(
        "`last_price`", 'padded to the pair\'s quotePrecision (`"64000.00"`)', "DOC example; live format unknown", "L"
    ),
    Behaviour(
        "order reads",
        "all fields strings; statuses 1/2/3/4/7; ISO-8601 times; `clientId` null when none was sent",
        "docs + live notes",
        "M",
    ),
    Behaviour("`user/account`", "JSON numbers; empty account answers null", "docs, SDKs, live", "M"),
    Behaviour(
        "number formatting",
        "one rule per field: `last_price` padded to quotePrecision; depth, kline, order and fill amounts without "
        "trailing zeros; balances as exact JSON numbers; wallet amounts with 20 (withdrawals) or 8 (deposits) "
        "decimals; no exponent notation anywhere",
        "kline live capture strips zeros (KL); DOC examples for the rest; depth and last-price live formats unknown",
        "L",
    ),
    Behaviour(
        "error `msg` texts",
        "`100005`, `100008` and `110033` as seen live; `2`, `500`, `10016`, `70003`, `110007`, `110008` are "
        "English guesses (live texts are probably i18n keys)",
        "HB live for the three; CCXT-K code lists for the rest",
        "L",
    ),
    Behaviour(
        "length and list caps",
        "clientId 64 characters, orderId 32, 1000 items in any list (hard bound); the exchange-like caps are the "
        "`batch_cap` and `page_size_cap` switches",
        "no source",
        "L",
    ),
    Behaviour(
        "permissions and IP whitelist",
        "read / trade / withdraw / transfer per endpoint; 110033 when missing; a key's IP whitelist answers 100011",
        "110033 live (HB); the mapping and 100011's meaning are assumptions",
        "L",
    ),
    Behaviour("wallet networks", "display names (`Tron (TRC-20)`)", "DOC examples", "M", "network_names"),
    Behaviour(
        "withdrawals",
        "only to whitelisted addresses (110008); amount below the network fee refused (110007); the fee comes "
        "out of the amount; pending 60 s, then success; records with null hash/fee/memo while pending",
        "DOC rules; codes from an exchange error list (CCXT-K)",
        "M rule / L codes",
        "withdraw_whitelist",
    ),
    Behaviour(
        "internal transfers",
        "by uid only, settle at once (cancel answers code 2); the sender's own refusals (10034 short of money, "
        "own or missing uid) come before the recipient is looked up, so whether a uid exists shows only to a "
        "sender whose transfer would move the money (unknown: code 2)",
        "docs only; live's check order unknown",
        "L",
    ),
    Behaviour("fees", "0.1 % maker and taker, charged in the coin received", "mock choice, per market", "L"),
    Behaviour(
        "rate limits",
        "off by default; 110041 when on; wallet 10/s per IP (docs), others an assumed 20/s (live passed 16/s)",
        "docs; live code and a 16/s burst (HB)",
        "M",
    ),
    Behaviour(
        "JSON leniency",
        "duplicate keys: last wins; numbers where strings are documented (warning) and vice versa",
        "a Jackson backend's defaults",
        "L",
    ),
    Behaviour("unknown path / method", "HTTP 404 / 405 with an envelope", "404 live; bodies mock-specific", "M/L"),
    Behaviour("synthetic market", "seeded 50-level market maker; seeded price path for the past", "mock choice", "L"),
    # -- futures: the seam's choices (mockserver/api/products.py); the futures API's own rows follow them.
    Behaviour(
        "envelope",
        '`{"code":0,"data":...,"msg":"Success"}`: code a JSON number, keys in that order, no `success` key; errors '
        "`data: null`, HTTP 200",
        "futures spec §2.1: DOC-C examples, OFF `CommonResult.java`, NEM live error bodies",
        "H",
        product="futures",
    ),
    Behaviour(
        "unknown path",
        'anything under `/api/v1/futures/` no endpoint has: `{"code":404,"data":null,"msg":"Not Found"}` with HTTP 200',
        "futures spec §1.1: NEM live",
        "M",
        product="futures",
    ),
    Behaviour(
        "method not allowed",
        "a futures path called with the other HTTP method answers like an unknown path (code 404, HTTP 200)",
        "no source; live's gateway answers an unknown path so",
        "L",
        product="futures",
    ),
    Behaviour(
        "body too large",
        "a body over the server's limit (64 KiB) answers 10002 `Parameter Error` with HTTP 200, unread",
        "no source; every recorded futures refusal is HTTP 200",
        "L",
        product="futures",
    ),
    Behaviour(
        "api-key",
        "a missing api-key answers 10003 `api-key can't be empty`; an unknown one too",
        "futures spec §2.2: the table for the missing key (M); no futures code is known for an unknown key (L)",
        "M missing / L unknown",
        product="futures",
    ),
    Behaviour(
        "signature",
        "double SHA-256, `k+v` sorted query over decoded values, raw body bytes; a mismatch answers 10007 "
        "`Sign signature error`; the signature doctor explains it as on spot",
        "futures spec §1.3: OFF Go vector, PB and TIQ live; §2.2 table",
        "H scheme / M code",
        product="futures",
    ),
    Behaviour(
        "timestamp window",
        "more than 60 s behind refused, ahead accepted (the verification profile's window, as spot); the refusal "
        "answers 10007 `Sign signature error`",
        "futures spec §1.4: no futures refusal recorded; spot's window on the same signing stack (M on spot)",
        "L",
        product="futures",
    ),
    Behaviour(
        "nonce",
        "any non-empty nonce; a missing one answers 10007; reuse accepted by default (10007 when the "
        "`futures_nonce_replay` switch is `profile`)",
        "futures spec §1.2 (44-character nonces live), §1.4 (reuse never tested)",
        "L",
        "futures_nonce_replay",
        product="futures",
    ),
    Behaviour(
        "IP whitelist and permissions",
        "a key's IP whitelist answers 10004; a missing permission answers 403 `This API key does not support this "
        "operation`",
        "futures spec §2.2 table (403: the newest table only)",
        "M",
        product="futures",
    ),
    Behaviour(
        "rate limits",
        "off by default; when on, the rows' limits of spec §5.16 per IP (public) or per key (signed), answered "
        "with 10006 `Request too frequently` (10005 means the same; neither was tested live)",
        "futures spec §2.2, §5.16",
        "L code",
        product="futures",
    ),
    Behaviour(
        "parameters",
        "a missing or malformed parameter answers 10002 `Parameter Error`; a value outside its enumeration the "
        'live 10008 text (`Parameter 20 does not match, alternative value ["1","5","15","50","max"].`)',
        "futures spec §2.2: NEM live for 10008",
        "H 10008 / M 10002",
        product="futures",
    ),
    Behaviour(
        "internal failure",
        "an unexpected server error answers 10001 `Network Error`",
        "futures spec §2.2 table",
        "M",
        product="futures",
    ),
    Behaviour(
        "check order",
        "api-key, nonce, timestamp, sign, rate limit, replay, IP whitelist, permission, parameters, business "
        "rules (spot's order, one pipeline)",
        "futures spec §2.2 'check order' (inferred)",
        "L",
        product="futures",
    ),
    Behaviour(
        "futures wallet",
        "every account (demo, admin-created, fixture, tenant) opens with a futures wallet of 100000 USDT "
        "(`Config.demo_futures_balances`, admin `futures_balances`); an account reset restores it "
        "(its futures orders, positions and TP/SL closed first: positions at the mark against the house, no fee); "
        "deleting the account drops it",
        "issue 21: the quick start trades futures at once; the mock's choice",
        "L",
        product="futures",
    ),
    # -- futures: the engine's choices where the spec has no source (mockserver/engine/futures/).
    Behaviour(
        "10008 for too many decimals",
        'the live wording `Parameter <value> does not match, alternative value ["<below>","<above>"].` with the '
        "nearest allowed values (positive ones for price and qty)",
        "futures spec §2.2: the wording NEM live (depth limit); which alternatives a grid error lists: no source",
        "L",
        product="futures",
    ),
    Behaviour(
        "close beyond the liquidation price",
        "a LIMIT close (tradeSide CLOSE, reduce-only, or a TP/SL's LIMIT child) of a long priced below its "
        "liquidation price: 30002; of a short above it: 30003 (cross positions count the free balance)",
        "futures spec §5.8: 30002/30003 by message text (M); the rule's reach: no source",
        "L",
        product="futures",
    ),
    Behaviour(
        "modify_order TP/SL",
        "a TP/SL leg sent replaces the order's attached leg, a leg not sent keeps it; an order already part "
        "filled hands the new legs to its position's TP/SL at once",
        "futures spec §3.4: the fields are documented, their effect is not",
        "L",
        product="futures",
    ),
    Behaviour(
        "attached TP/SL on place_order",
        "checked at placement: a LIMIT order's legs against the order's own price (a long's TP above it, SL below; "
        "30007-30010), a MARKET order's against the mark or last price as the TP/SL endpoints check them; they "
        "become the position's TP/SL on the order's first fill",
        "futures spec §3.4, §5.14: the fields are documented, when they are checked is not; the official demo's "
        "example (BUY LIMIT 60000, TP 61000) only passes live if the order price is the reference",
        "L",
        product="futures",
    ),
    Behaviour(
        "minimum quantity",
        "DOGEUSDT's minTradeVolume is 10 (lots of 1): below it 30017",
        "futures spec §5.1: 30017 by message (M); the seed's figure is the mock's",
        "L",
        product="futures",
    ),
    Behaviour(
        "order margin",
        "an order that may open freezes the initial margin of what it may open plus the taker fee on all its lots, "
        "at its worst fill price (a taking sell: the best bid); in one-way mode the opposite position is shared by "
        "the side's open orders oldest first; an order whose freeze can no longer be kept whole is cancelled",
        "futures spec §5.5: order margin exists; how it nets against a position: no source",
        "L",
        product="futures",
    ),
    Behaviour(
        "isolated liquidation in a gap",
        "a mark past an isolated position's bankruptcy price liquidates it there (it loses exactly its margin); "
        "the house takes it at that price",
        "futures spec §5.7: liquidation closes the position; the fill price: no source",
        "L",
        product="futures",
    ),
    Behaviour(
        "funding history and early klines",
        "the newest 1000 settled rates are kept per contract; no candles before the contract's launchTime",
        "futures spec §3.1: limits of the history: no source",
        "L",
        product="futures",
    ),
)


def parse_switches(pairs: dict[str, str]) -> dict[str, str]:
    """Validated switch values (unknown names or values raise ValueError naming the choices)."""
    out: dict[str, str] = {}
    for name, value in pairs.items():
        switch = SWITCHES.get(name)
        if switch is None:
            raise ValueError(f"unknown switch {name!r}; known: {', '.join(SWITCHES)}")
        if value not in switch.choices:
            raise ValueError(f"switch {name} is one of {', '.join(switch.choices)}, not {value!r}")
        out[name] = value
    return out
