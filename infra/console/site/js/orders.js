// The customer's orders: the history (GET /orders), one order with its status moving live over the
// WebSocket API, and the cancellation or return where the order allows it.
import * as api from "./api.js";
import * as live from "./live.js";
import { h, render, onLeave, currentRoute, money, badge, label, reasonText, when, flash, busy } from "./ui.js";

const happyPath = ["PENDING", "RESERVED", "PAYMENT_AUTHORIZED", "CONFIRMED", "SHIPPED", "DELIVERED"];
const ended = ["REJECTED", "CANCELLED", "FAILED"];
const cancellable = ["PENDING", "RESERVED", "PAYMENT_AUTHORIZED", "CONFIRMED"];

export async function ordersPage() {
  const mine = currentRoute();
  const page = await api.get("/orders?limit=50");
  if (mine !== currentRoute()) return;
  const rows = new Map();
  const body = h("tbody", {}, page.items.map((o) => {
    const cell = h("td", {}, badge(o.status));
    rows.set(o.orderId, cell);
    return h("tr", {},
      h("td", {}, h("a", { href: "#/orders/" + o.orderId }, o.orderId)),
      h("td", { class: "hide-narrow" }, when(o.createdAt)),
      h("td", { class: "num" }, money(o.total)), cell);
  }));
  onLeave(live.on((m) => rows.get(m.orderId)?.replaceChildren(badge(m.status))));
  render("Your orders",
    page.items.length ? h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Order"), h("th", { class: "hide-narrow" }, "Placed"), h("th", { class: "num" }, "Total"), h("th", {}, "Status"))), body)
      : h("p", {}, "No orders yet. ", h("a", { href: "#/" }, "Browse the catalog"), "."));
}

// placed holds the answer of POST /orders for the order page that follows it: that page starts from the
// PENDING order it was given, so every later status on it arrives over the WebSocket API.
const placed = new Map();
export function remember(o) {
  placed.set(o.orderId, o);
}

export async function orderPage(id) {
  const mine = currentRoute();
  const o = placed.get(id) || (await api.get("/orders/" + encodeURIComponent(id)));
  placed.delete(id);
  if (mine !== currentRoute()) return;
  const status = h("p", { id: "order-status", class: "status", "aria-live": "polite", "data-status": o.status });
  const reason = h("p", { id: "order-reason", "aria-live": "polite" });
  const steps = h("ol", { class: "steps", "aria-label": "Progress" });
  const history = h("ol", { id: "order-history" });
  const actions = h("div", { id: "order-actions" });
  const payment = h("p", { id: "order-payment", "aria-live": "polite" });
  // 3-D Secure: the owner's GET /orders/{id} carries the bank's page (never pushed: it may hold the
  // payment's client secret, docs/websocket.md); the order stays Reserved until the provider decides.
  const showPayment = (pa) => payment.replaceChildren(pa && pa.redirectUrl.startsWith("https://")
    ? h("a", { href: pa.redirectUrl, rel: "noopener noreferrer" }, "Complete the payment with your bank") : "");

  const reached = new Set(o.history.map((e) => e.status));
  const show = (st, why, via) => {
    reached.add(st);
    status.dataset.via = via;
    status.dataset.status = st;
    status.replaceChildren(badge(st));
    reason.textContent = why ? "Why: " + reasonText(why) : "";
    // Pushes may skip a step (docs/websocket.md, "Order"): a later step implies the earlier ones.
    const last = Math.max(...[...reached].map((s) => happyPath.indexOf(s)));
    steps.replaceChildren(...happyPath.filter((s, i) => i < 4 || i <= last).map((s, i) => h("li", { class: i <= last ? "done" : "" }, label(s))));
    if (ended.includes(st)) steps.append(h("li", { class: "bad" }, label(st)));
    actions.replaceChildren(...actionsFor(o, st));
  };
  const addHistory = (st, why, at) => history.append(h("li", {}, when(at) + " — " + label(st) + (why ? " (" + why + ")" : "")));

  o.history.forEach((e) => addHistory(e.status, e.reason, e.at));
  show(o.status, o.statusReason, "http");
  showPayment(o.paymentAction);
  onLeave(live.on((m) => {
    if (m.orderId !== o.orderId) return;
    if (m.status !== status.dataset.status) addHistory(m.status, m.reason, m.occurredAt || m.receivedAt);
    o.status = m.status;
    show(m.status, m.reason, m.type === "subscribed" ? "websocket-subscribe" : "websocket-push");
    if (m.paymentAction) api.get("/orders/" + o.orderId).then((fresh) => showPayment(fresh.paymentAction), () => {});
    else if (m.status !== "RESERVED") showPayment(null);
  }));
  live.watch(o.orderId); // the reply carries the current status: nothing missed between the GET and now

  render("Order " + o.orderId,
    status, reason, payment, steps,
    h("table", {}, h("tbody", {}, o.items.map((l) => h("tr", {}, h("td", {}, l.name), h("td", { class: "num" }, "× " + l.quantity), h("td", { class: "num" }, money(l.lineTotal)))),
      h("tr", {}, h("th", {}, "Total"), h("td", {}), h("td", { class: "num" }, money(o.total))))),
    actions,
    h("h2", {}, "History"), history,
    h("p", {}, h("a", { href: "#/orders" }, "All your orders")));
}

function actionsFor(o, st) {
  const out = [];
  if (cancellable.includes(st) && !o.cancellationRequested) {
    const form = h("form", { class: "inline", "aria-label": "Cancel the order" }, h("button", { type: "submit", class: "secondary" }, "Cancel order"));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      busy(form, async () => {
        const r = await api.post("/orders/" + o.orderId + "/cancel");
        o.cancellationRequested = r.cancellationRequested;
        flash(r.status === "CANCELLED" ? "Cancelled." : "Cancellation requested: the shop undoes what was done.", true);
        form.remove();
      });
    });
    out.push(form);
  }
  if (st === "DELIVERED") {
    const sel = h("select", { name: "sku" }, o.items.map((l) => h("option", { value: l.sku }, l.name)));
    const qty = h("input", { type: "number", name: "quantity", min: 1, value: 1, "aria-label": "Units to return" });
    const form = h("form", { class: "inline", "aria-label": "Request a return" }, h("label", {}, "Return", sel), qty, h("button", { type: "submit", class: "secondary" }, "Request return"));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      busy(form, async () => {
        const r = await api.post("/orders/" + o.orderId + "/returns", { lines: [{ sku: sel.value, quantity: Number(qty.value) }] });
        flash("Return " + r.returnId + " requested: the refund follows when the warehouse receives the units.", true);
      });
    });
    out.push(form);
  }
  return out;
}
