// The admin pages: the catalog with edit, restock and low-stock warnings; every order's status live;
// one order's story drawn on a time axis. Only the public APIs, with an admin's token: the functions
// check the admin group on every call (docs/security.md, API5).
import * as api from "./api.js";
import * as live from "./live.js";
import { h, render, onLeave, currentRoute, money, badge, label, when, flash, field, busy } from "./ui.js";

// low: the item's own threshold when the API gives it (admins get lowStockThreshold: the email alert
// goes out when available falls below it), else the public level (LOW or OUT_OF_STOCK, below 5).
const low = (it) => (typeof it.lowStockThreshold === "number" && typeof it.available === "number"
  ? it.available < it.lowStockThreshold || it.available <= 0 : it.availability !== "IN_STOCK");
const lowLine = (it) => (typeof it.lowStockThreshold === "number" ? " (alert below " + it.lowStockThreshold + ")" : "");

export async function catalogPage() {
  const mine = currentRoute();
  let items = await api.all("/inventory");
  if (mine !== currentRoute()) return;
  const warn = h("section", { id: "low-stock", class: "lowstock", role: "status", "aria-live": "polite" });
  const body = h("tbody");
  // Rows are updated in place, never redrawn: a refresh while the admin types a quantity keeps the
  // field, its value and the focus.
  const rows = new Map(); // sku -> the row's cells and its current item
  const draw = () => {
    const short = items.filter(low);
    warn.replaceChildren(h("h2", {}, "Low stock (" + short.length + ")"),
      short.length ? h("ul", {}, short.map((it) => h("li", {}, it.sku + " — " + it.name + ": " + it.available + " left" + lowLine(it))))
        : h("p", {}, "Every item is in stock."));
    for (const it of items) {
      let r = rows.get(it.sku);
      if (!r) {
        r = row(it.sku);
        rows.set(it.sku, r);
        body.append(r.tr);
      }
      r.item = it;
      r.tr.className = low(it) ? "low" : "";
      r.name.textContent = it.name;
      r.price.textContent = money(it.price);
      r.available.textContent = it.available;
      r.stock.replaceChildren(badge(it.availability));
    }
  };
  let edits = 0; // a refresh that began before an edit answers with what the edit replaced: dropped
  const update = (it) => {
    edits++;
    items = items.some((x) => x.sku === it.sku) ? items.map((x) => (x.sku === it.sku ? it : x)) : [...items, it];
    draw();
  };
  const row = (sku) => {
    const r = { name: h("strong"), price: h("td", { class: "num hide-narrow" }), available: h("td", { class: "num available" }), stock: h("td") };
    const restock = h("form", { class: "inline", "aria-label": "Restock " + sku },
      h("input", { type: "number", name: "quantity", min: 1, value: 10, "aria-label": "Units to add to " + sku }),
      h("button", { type: "submit" }, "Restock"));
    restock.addEventListener("submit", (e) => {
      e.preventDefault();
      busy(restock, async () => {
        update(await api.post("/inventory/" + encodeURIComponent(sku) + "/restock", { quantity: Number(field(restock, "quantity")) }));
        flash("Restocked " + sku + ".", true);
      });
    });
    const edit = h("button", { type: "button", class: "secondary", onclick: () => editor(r.item, update) }, "Edit");
    r.tr = h("tr", { "data-sku": sku },
      h("td", {}, r.name, h("br"), h("span", { class: "muted" }, sku)), r.price, r.available, r.stock, h("td", {}, restock, edit));
    return r;
  };
  draw();
  // Orders move stock: while the page is open, every order's change refreshes the counts (debounced).
  let timer = 0;
  onLeave(live.on(() => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const at = edits;
      const fresh = await api.all("/inventory").catch(() => null);
      if (!fresh || at !== edits || mine !== currentRoute()) return;
      items = fresh;
      draw();
    }, 500);
  }));
  live.all(true);
  render("Catalog (admin)", warn,
    h("div", { class: "scroll" }, h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Item"), h("th", { class: "num hide-narrow" }, "Price"), h("th", { class: "num" }, "Available"), h("th", {}, "Stock"), h("th", {}, "Change"))), body)),
    h("p", {}, h("button", { type: "button", onclick: () => editor(null, update) }, "New item")),
    h("div", { id: "editor" }));
}

// editor is the form of PUT /inventory/{sku}: a new item, or the revision of it.
function editor(it, update) {
  const v = it || { sku: "", name: "", description: "", price: { amount: 0, currency: "USD" }, available: 0 };
  const form = h("form", { "aria-label": it ? "Edit " + it.sku : "New item" },
    h("label", {}, "SKU", h("input", { name: "sku", value: v.sku, required: true, pattern: "[A-Z0-9_\\-]{1,64}", readonly: !!it })),
    h("label", {}, "Name", h("input", { name: "name", value: v.name, required: true, maxlength: 200 })),
    h("label", {}, "Description", h("textarea", { name: "description", maxlength: 2000 }, v.description)),
    h("label", {}, "Price (minor units, e.g. cents)", h("input", { name: "amount", type: "number", min: 0, value: v.price.amount, required: true })),
    h("label", {}, "Currency", h("input", { name: "currency", value: v.price.currency, pattern: "[A-Z]{3}", required: true })),
    h("label", {}, "Available units (replaces the count: orders since this page loaded are not in it)", h("input", { name: "available", type: "number", min: 0, value: v.available, required: true })),
    h("label", {}, "Low-stock alert below (empty keeps the item's)", h("input", { name: "lowStockThreshold", type: "number", min: 0 })),
    h("button", { type: "submit" }, "Save"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(form, async () => {
      const body = { name: field(form, "name"), description: field(form, "description"),
        price: { amount: Number(field(form, "amount")), currency: field(form, "currency") }, available: Number(field(form, "available")) };
      if (field(form, "lowStockThreshold") !== "") body.lowStockThreshold = Number(field(form, "lowStockThreshold"));
      update(await api.put("/inventory/" + encodeURIComponent(field(form, "sku")), body));
      flash("Saved " + field(form, "sku") + ".", true);
      form.remove();
    });
  });
  const box = document.getElementById("editor");
  box.replaceChildren(h("h2", {}, it ? "Edit " + it.sku : "New item"), form);
  form.elements.namedItem(it ? "name" : "sku").focus();
}

export async function feedPage() {
  const state = h("p", { id: "feed-state", role: "status" }, "Connecting…");
  const body = h("tbody");
  const rows = new Map();
  const put = (id, status, reason, at, extra) => {
    const tr = h("tr", { "data-order": id },
      h("td", {}, h("a", { href: "#/admin/orders/" + id }, id)),
      h("td", {}, badge(status), reason ? " " + reason : ""),
      h("td", { class: "hide-narrow" }, when(at)),
      h("td", { class: "hide-narrow muted" }, extra || ""));
    const old = rows.get(id);
    rows.set(id, tr);
    if (old) old.remove();
    body.prepend(tr);
    while (body.children.length > 200) rows.delete(body.lastElementChild.dataset.order), body.lastElementChild.remove();
  };
  onLeave(live.onAll(() => (state.textContent = "Watching every order live.")));
  onLeave(live.on((m) => put(m.orderId, m.status, m.reason, m.occurredAt || m.receivedAt, "v" + m.orderVersion + (m.type === "order.status" ? " pushed" : ""))));
  live.all(true);
  const open = h("form", { class: "inline", "aria-label": "Open an order's story" },
    h("label", {}, "Order id", h("input", { name: "id", pattern: "[0-9A-Z]{26}", required: true })),
    h("button", { type: "submit" }, "Show story"));
  open.addEventListener("submit", (e) => {
    e.preventDefault();
    location.hash = "#/admin/orders/" + field(open, "id");
  });
  render("Every order, live", state, open,
    h("div", { class: "scroll" }, h("table", { id: "feed" }, h("thead", {}, h("tr", {}, h("th", {}, "Order"), h("th", {}, "Status"), h("th", { class: "hide-narrow" }, "When"), h("th", { class: "hide-narrow" }, "Version"))), body)));
  // The latest orders as a start (admins list everyone's); pushes put theirs on top.
  const mine = currentRoute();
  try {
    const page = await api.get("/orders?limit=20");
    if (mine !== currentRoute()) return;
    for (const o of page.items.reverse()) if (!rows.has(o.orderId)) put(o.orderId, o.status, o.statusReason, o.updatedAt, "");
  } catch (err) {
    flash("The order list could not be read: " + err.message);
  }
}

const tone = (s) => (["REJECTED", "CANCELLED", "FAILED"].includes(s) ? "bad" : ["CONFIRMED", "SHIPPED", "DELIVERED", "REFUNDED", "RECEIVED"].includes(s) ? "ok" : "mid");

// The admin story's sources (GET /orders/{orderId}/story) as lanes; "order" is the status history,
// which the order itself gives.
const storyLanes = { event: "events", saga: "saga", cancellation: "cancellation", email: "emails" };

// storyPoint is an entry of the admin story as a point: events by type, saga states by name, emails by
// what the email function recorded (its outcome, for which event).
function storyPoint(e) {
  const words = e.what.trim().split(/\s+/);
  if (e.source === "event") return { lane: "events", at: e.at, what: words[0], detail: e.what, tone: "event" };
  if (e.source === "email") {
    return { lane: "emails", at: e.at, what: "Email " + words[0].split(":")[0].toLowerCase() + (words[2] ? " (" + words[2] + ")" : ""), detail: e.what,
      tone: words[0].startsWith("SENT") ? "ok" : "mid" };
  }
  const failed = /failed|Failed|Aborted|TimedOut/.test(e.what);
  return { lane: storyLanes[e.source] || e.source, at: e.at, what: e.what.trim(), detail: e.what, tone: failed ? "bad" : "step" };
}

// storyPage draws one order on a time axis: its status history, the shipment, the delivery, its returns
// (GET /orders/{id}), its events, saga steps and recorded emails (GET /orders/{id}/story, admins only),
// and the WebSocket pushes this page receives while open.
export async function storyPage(id) {
  const mine = currentRoute();
  const path = "/orders/" + encodeURIComponent(id);
  const [o, told] = await Promise.all([api.get(path), api.get(path + "/story").catch((err) => ({ error: err }))]);
  if (mine !== currentRoute()) return;
  const points = [];
  for (const e of o.history) points.push({ lane: "status", at: e.at, what: label(e.status) + (e.reason ? " (" + e.reason + ")" : ""), tone: tone(e.status) });
  let note = "Events, saga steps and recorded emails: GET /orders/" + o.orderId + "/story.";
  if (told.error) {
    note = "The order's events, saga steps and emails could not be read: " + told.error.message;
  } else {
    for (const e of told.entries) if (e.source !== "order") points.push(storyPoint(e));
    if (told.truncated) note = "The story has more than " + told.entries.length + " entries: the earliest are drawn.";
  }
  if (o.shipment) points.push({ lane: "shipment", at: o.shipment.shippedAt, what: "Shipped " + o.shipment.carrier + " " + o.shipment.trackingNumber, tone: "ok" });
  if (o.deliveredAt) points.push({ lane: "shipment", at: o.deliveredAt, what: "Delivered", tone: "ok" });
  for (const r of o.returns || []) {
    for (const [k, s] of [["requestedAt", "REQUESTED"], ["receivedAt", "RECEIVED"], ["refundedAt", "REFUNDED"]]) {
      if (r[k]) points.push({ lane: "returns", at: r[k], what: "Return " + r.returnId + " " + s.toLowerCase(), tone: tone(s) });
    }
  }
  const figure = h("figure", {});
  const table = h("tbody");
  const draw = () => {
    points.sort((a, b) => a.at.localeCompare(b.at));
    figure.replaceChildren(picture(o, points), h("figcaption", { class: "muted" }, "Time runs left to right from the order's placement; hover or read the table for exact times."));
    const t0 = Date.parse(points[0].at);
    table.replaceChildren(...points.map((p) => h("tr", {}, h("td", { class: "num" }, "+" + (Date.parse(p.at) - t0) + " ms"), h("td", {}, p.lane), h("td", {}, p.detail || p.what), h("td", { class: "hide-narrow" }, when(p.at)))));
  };
  const pushed = (m) => {
    const late = m.occurredAt ? ", " + (Date.parse(m.receivedAt) - Date.parse(m.occurredAt)) + " ms after the change" : "";
    points.push({ lane: "pushes", at: m.receivedAt, what: label(m.status) + " v" + m.orderVersion,
      detail: (m.type === "subscribed" ? "Subscribe reply: " : "Pushed: ") + label(m.status) + " v" + m.orderVersion + late, tone: "push" });
  };
  live.log(o.orderId).forEach(pushed); // what the feed received before this page opened
  draw();
  onLeave(live.on((m) => {
    if (m.orderId !== o.orderId) return;
    pushed(m);
    if (m.type === "order.status" && !points.some((p) => p.lane === "status" && p.what.startsWith(label(m.status)))) {
      points.push({ lane: "status", at: m.occurredAt, what: label(m.status) + (m.reason ? " (" + m.reason + ")" : ""), tone: tone(m.status) });
    }
    draw();
  }));
  // Every order's changes, as on the feed: a subscription per story would count against the 50 topics
  // an admin connection may watch (docs/websocket.md, Limits) and never be given back.
  live.all(true);
  render("Story of order " + o.orderId,
    h("p", {}, badge(o.status), " ", money(o.total), " · customer ", o.customerId),
    figure,
    h("h2", {}, "Moments"),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", { class: "num" }, "After"), h("th", {}, "Lane"), h("th", {}, "What"), h("th", { class: "hide-narrow" }, "When"))), table),
    h("p", { class: "muted", id: "story-note" }, note));
}

const svgNS = "http://www.w3.org/2000/svg";
function s(tag, attrs, ...children) {
  const el = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

// picture is the SVG: one lane per source, a dot per moment. An order's moments often land
// milliseconds apart, so labels go in up to four rows per lane (two above the axis, two below), each
// where it overlaps no other; a label with no room is left out, its moment still a dot with a tooltip
// and a row of the table under the picture.
function picture(o, points) {
  const known = ["status", "events", "saga", "cancellation", "emails", "shipment", "returns", "pushes"];
  const lanes = [...known, ...new Set(points.map((p) => p.lane).filter((l) => !known.includes(l)))].filter((l) => points.some((p) => p.lane === l));
  const W = 900, left = 80, right = 20, laneH = 84, top = 24;
  const H = top + lanes.length * laneH + 30;
  const times = points.map((p) => Date.parse(p.at));
  const t0 = Math.min(...times), t1 = Math.max(...times, t0 + 1);
  const x = (t) => left + ((t - t0) / (t1 - t0)) * (W - left - right);
  const svg = s("svg", { class: "story", viewBox: `0 0 ${W} ${H}`, role: "img", "data-points": points.length,
    "aria-label": "Story of order " + o.orderId + ": " + points.map((p) => p.what).join(", ") });
  const rows = [-12, 23, -26, 37]; // baselines from the axis, nearest first
  const charW = 6.6, gap = 8; // a generous width per character at the 11 px font (style.css .story text)
  lanes.forEach((l, i) => {
    const y = top + i * laneH + laneH / 2;
    svg.append(s("line", { class: "axis", x1: left, x2: W - right, y1: y, y2: y }), s("text", { class: "lane", x: 0, y: y + 4 }, l));
    const taken = rows.map(() => []); // per row, the [from, to] spans its labels cover
    points.filter((p) => p.lane === l).forEach((p) => {
      const cx = x(Date.parse(p.at));
      svg.append(s("circle", { cx, cy: y, r: 6, class: p.tone, "data-lane": l }, s("title", {}, (p.detail || p.what) + " — " + p.at)));
      const w = p.what.length * charW, end = cx + w > W;
      const from = end ? cx - w : cx, to = end ? cx : cx + w;
      const row = taken.findIndex((spans) => spans.every(([a, b]) => to + gap <= a || from >= b + gap));
      if (row < 0) return;
      taken[row].push([from, to]);
      svg.append(s("text", { x: cx, y: y + rows[row], "text-anchor": end ? "end" : "start", "data-lane": l }, p.what));
    });
  });
  const yAxis = top + lanes.length * laneH + 15;
  svg.append(s("text", { x: left, y: yAxis }, when(new Date(t0).toISOString())), s("text", { x: W - right, y: yAxis, "text-anchor": "end" }, "+" + (t1 - t0) + " ms"));
  return svg;
}
