#!/usr/bin/env node
// A Bitunix spot client in Node (>= 18, no dependencies) behind the conformance driver protocol.
//
// The kit starts this program with BITUNIX_BASE_URL, BITUNIX_API_KEY and BITUNIX_SECRET in the
// environment, writes one JSON request per line on stdin ({"id", "op", "args"}) and reads one JSON
// answer per line on stdout ({"id", "ok": true, "result"} or {"id", "ok": false, "error": {code, msg, type}}).
// It is the worked example of the protocol: amounts stay decimal strings end to end.

import { createHash, randomUUID } from "node:crypto";
import { createInterface } from "node:readline";

const BASE = (process.env.BITUNIX_BASE_URL || "").replace(/\/$/, "");
const KEY = process.env.BITUNIX_API_KEY || "";
const SECRET = process.env.BITUNIX_SECRET || "";
const SPOT = "/api/spot/v1";

const sha256 = (text) => createHash("sha256").update(text, "utf8").digest("hex");

function canonicalQuery(pairs) {
  // Sorted by key (code point order, stable), key and raw value joined with no separators.
  return [...pairs]
    .map((p, i) => [p, i])
    .sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1]))
    .map(([[k, v]]) => k + v)
    .join("");
}

function sign(nonce, timestamp, apiKey, secret, query, body) {
  return sha256(sha256(nonce + timestamp + apiKey + query + body) + secret);
}

// JSON numbers become strings before parsing, so no amount ever passes through a double.
function parseExact(text) {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === "\\") { out += text[++i]; } else if (c === '"') { inString = false; }
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === "-" || (c >= "0" && c <= "9")) {
      let j = i;
      while (j < text.length && /[-+0-9.eE]/.test(text[j])) j++;
      out += '"' + text.slice(i, j) + '"';
      i = j - 1;
    } else {
      out += c;
    }
  }
  return JSON.parse(out);
}

class ExchangeError extends Error {
  constructor(code, msg, type) {
    super(`[${code}] ${msg}`);
    this.code = code;
    this.msg = msg;
    this.type = type;
  }
}

// Server minus local time. There is no time endpoint: the exchange's clock is the Date header of
// its replies (1 s resolution). On 100008 (request expired) the client re-syncs from that reply and
// repeats the call once; a call refused with 100008 was never applied, so that is safe for writes too.
let offsetMs = 0;

function offsetFromDate(date, sentMs, receivedMs) {
  const serverMs = Date.parse(date);
  return Number.isNaN(serverMs) ? null : serverMs + 500 - Math.floor((sentMs + receivedMs) / 2);
}

async function call(method, path, params, signed) {
  try {
    return await attempt(method, path, params, signed);
  } catch (e) {
    if (!(e instanceof ExchangeError) || e.code !== "100008" || !e.date) throw e;
    const offset = offsetFromDate(e.date, e.sentMs, e.receivedMs);
    if (offset === null) throw e;
    offsetMs = offset;
    return await attempt(method, path, params, signed);
  }
}

async function attempt(method, path, params, signed) {
  const pairs = method === "GET" ? Object.entries(params).filter(([, v]) => v !== null && v !== undefined) : [];
  const sorted = [...pairs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const queryString = sorted.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join("&");
  const body = method === "GET" ? "" : JSON.stringify(params);
  const headers = { "content-type": "application/json" };
  if (signed) {
    const nonce = randomUUID().replaceAll("-", "");
    const timestamp = String(Date.now() + offsetMs);
    Object.assign(headers, {
      "api-key": KEY,
      nonce,
      timestamp,
      sign: sign(nonce, timestamp, KEY, SECRET, canonicalQuery(pairs.map(([k, v]) => [k, String(v)])), body),
    });
  }
  let resp;
  const sentMs = Date.now();
  try {
    resp = await fetch(BASE + SPOT + path + (queryString ? "?" + queryString : ""), {
      method,
      headers,
      body: method === "GET" ? undefined : body,
    });
  } catch (e) {
    throw new ExchangeError("transport", String(e), "ConnectionFailed");
  }
  let text;
  try {
    text = await resp.text();
  } catch (e) {
    throw new ExchangeError("transport", String(e), "ConnectionFailed");
  }
  let doc;
  try {
    doc = parseExact(text);
  } catch {
    throw new ExchangeError("transport", `HTTP ${resp.status}: ${text.slice(0, 200)}`, "UnexpectedResponse");
  }
  if (doc === null || typeof doc !== "object" || !("code" in doc)) {
    throw new ExchangeError("transport", `HTTP ${resp.status}: not an envelope`, "UnexpectedResponse");
  }
  if (String(doc.code) !== "0") {
    const err = new ExchangeError(String(doc.code), String(doc.msg ?? ""), "ExchangeError");
    Object.assign(err, { date: resp.headers.get("date"), sentMs, receivedMs: Date.now() });
    throw err;
  }
  if (resp.status >= 400) throw new ExchangeError("transport", `HTTP ${resp.status}`, "HttpStatusError");
  return doc.data;
}

const order = (o) => ({
  order_id: String(o.orderId),
  symbol: o.symbol,
  side: Number(o.side),
  type: Number(o.type),
  status: Number(o.status),
  price: o.price,
  volume: o.volume,
  deal_volume: o.dealVolume,
  client_id: o.clientId ?? null,
});

const placed = (d) =>
  String(d.placeStatus) === "1" && d.orderId
    ? { accepted: true, order_id: String(d.orderId), place_code: null }
    : { accepted: false, order_id: null, place_code: d.placeCode == null ? null : String(d.placeCode) };

const wireOrder = (a) => {
  const out = { side: Number(a.side), type: Number(a.type), volume: a.volume };
  if (a.price !== null && a.price !== undefined) out.price = a.price;
  else if (Number(a.type) === 2) out.price = "0";
  out.symbol = a.symbol.toUpperCase();
  if (a.client_id !== null && a.client_id !== undefined) out.clientId = a.client_id;
  return out;
};

const OPS = {
  last_price: async (a) => String(await call("GET", "/market/last_price", { symbol: a.symbol.toUpperCase() }, false)),
  depth: async (a) => {
    const d = await call("GET", "/market/depth", { symbol: a.symbol.toUpperCase() }, false);
    const side = (rows) => (rows || []).map((r) => [r.price, r.volume]);
    return { asks: side(d.asks), bids: side(d.bids) };
  },
  balances: async () => {
    const rows = (await call("GET", "/user/account", {}, true)) || [];
    return Object.fromEntries(rows.map((r) => [r.coin, { free: String(r.balance), locked: String(r.balanceLocked) }]));
  },
  place_order: async (a) => placed(await call("POST", "/order/place_order", wireOrder(a), true)),
  place_orders: async (a) =>
    ((await call("POST", "/order/place_order/batch", { orderList: a.orders.map(wireOrder) }, true)) || []).map(placed),
  cancel_orders: async (a) => {
    const list = a.orders.map((o) => ({ orderId: o.order_id, symbol: o.symbol.toUpperCase() }));
    await call("POST", "/order/cancel", { orderIdList: list }, true);
    return null;
  },
  pending_orders: async (a) =>
    ((await call("POST", "/order/pending/list", { symbol: a.symbol.toUpperCase() }, true)) || []).map(order),
  order_history: async (a) => {
    const params = { symbol: a.symbol.toUpperCase(), page: a.page, pageSize: a.page_size };
    const d = await call("POST", "/order/history/page", params, true);
    return { total: Number(d.total), orders: (d.data || []).map(order) };
  },
  order_detail: async (a) => {
    const d = await call("GET", "/order/detail", { orderId: a.order_id }, true);
    return d == null ? null : order(d);
  },
  order_deals: async (a) => {
    const rows = await call("POST", "/order/deal/list", { orderId: a.order_id, symbol: a.symbol.toUpperCase() }, true);
    return (rows || []).map((f) => ({ price: f.price, volume: f.volume, fee: f.fee, maker: String(f.role) === "1" }));
  },
  // Optional: the products this client implements. This example is a spot client and says so; the kit then
  // reports the futures rules N/A (not applicable) instead of judging them. A futures driver answers
  // ["spot", "futures"] (or ["futures"]) and implements the futures_* operations of DRIVER.md.
  products: async () => ["spot"],
  sign: async (a) => sign(a.nonce, a.timestamp, a.api_key, a.secret, canonicalQuery(a.query_params), a.body),
  // Optional: a signed GET through the same request path as every operation (the kit checks the key sort).
  signed_get: async (a) => {
    if (!a.path.startsWith(SPOT)) throw new ExchangeError("unsupported", `not a spot path: ${a.path}`, "Unsupported");
    return await call("GET", a.path.slice(SPOT.length), Object.fromEntries(a.params), true);
  },
};

const lines = createInterface({ input: process.stdin, terminal: false });
let queue = Promise.resolve();
lines.on("line", (line) => {
  queue = queue.then(async () => {
    let request;
    try {
      request = JSON.parse(line);
    } catch {
      process.stdout.write(JSON.stringify({ ok: false, error: { code: "driver", msg: "request is not JSON" } }) + "\n");
      return;
    }
    const op = OPS[request.op];
    let answer;
    if (!op) {
      answer = { id: request.id, ok: false, error: { code: "unsupported", msg: `no op ${request.op}`, type: "Unsupported" } };
    } else {
      try {
        answer = { id: request.id, ok: true, result: await op(request.args || {}) };
      } catch (e) {
        const err = e instanceof ExchangeError ? e : new ExchangeError("crash", String(e?.stack || e), "Crash");
        answer = { id: request.id, ok: false, error: { code: err.code, msg: err.msg, type: err.type } };
      }
    }
    process.stdout.write(JSON.stringify(answer) + "\n");
  });
});
