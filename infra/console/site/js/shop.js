// The customer's shop: the public catalog (GET /inventory), a cart kept in memory, and the checkout
// (POST /orders with an Idempotency-Key, so that a retried click never places a second order).
import * as api from "./api.js";
import * as session from "./session.js";
import { remember } from "./orders.js";
import { h, render, money, badge, busy, currentRoute } from "./ui.js";

const cart = new Map(); // sku -> { item, quantity }
let checkoutKey = ""; // one key per checkout attempt, kept until it succeeds

// The sandbox provider decides by token (docs/saga.md); with Stripe a storefront collects the card with
// Stripe's own library and sends the PaymentMethod id instead (docs/security.md, "Payments").
const cards = [
  ["tok_visa", "Sandbox Visa (approves)"],
  ["tok_declined", "Sandbox card that is declined"],
  ["tok_flaky", "Sandbox card, provider flaky (approves after retries)"],
  ["tok_unavailable", "Sandbox card, provider unavailable"],
];

export async function catalogPage() {
  const mine = currentRoute();
  const items = await api.all("/inventory");
  if (mine !== currentRoute()) return;
  const list = h("ul", { class: "grid", "aria-label": "Catalog" }, items.map(card));
  render("Catalog", cartSection(), h("h2", {}, "Products"), list);
}

function card(item) {
  const qty = h("input", { type: "number", min: 1, max: 1000, value: 1, name: "quantity", "aria-label": "Quantity of " + item.name });
  const add = h("button", { type: "submit", disabled: item.availability === "OUT_OF_STOCK" }, "Add to cart");
  const form = h("form", { class: "inline", "aria-label": "Add " + item.name }, qty, add);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const line = cart.get(item.sku) || { item, quantity: 0 };
    line.quantity += Number(qty.value) || 1;
    cart.set(item.sku, line);
    checkoutKey = "";
    document.getElementById("cart").replaceWith(cartSection());
    document.getElementById("cart-summary").focus();
  });
  return h("li", { class: "card", "data-sku": item.sku },
    h("h3", {}, item.name),
    h("p", { class: "muted" }, item.description),
    h("p", {}, h("strong", {}, money(item.price)), " ", badge(item.availability)),
    form);
}

const units = (n) => n + (n === 1 ? " item" : " items");

function cartSection() {
  const lines = [...cart.values()];
  const total = lines.reduce((s, l) => s + l.item.price.amount * l.quantity, 0);
  const section = h("section", { id: "cart", "aria-labelledby": "cart-summary" },
    h("h2", { id: "cart-summary", tabindex: "-1" }, "Cart (" + units(lines.reduce((s, l) => s + l.quantity, 0)) + ")"));
  if (!lines.length) {
    section.append(h("p", { class: "muted" }, "Empty. Add products below."));
    return section;
  }
  section.append(h("table", {},
    h("thead", {}, h("tr", {}, h("th", {}, "Product"), h("th", { class: "num" }, "Quantity"), h("th", { class: "num" }, "Price"), h("th", {}, h("span", { class: "hide-narrow" }, "Remove")))),
    h("tbody", {}, lines.map((l) => h("tr", {},
      h("td", {}, l.item.name), h("td", { class: "num" }, l.quantity), h("td", { class: "num" }, money({ amount: l.item.price.amount * l.quantity, currency: l.item.price.currency })),
      h("td", {}, h("button", { type: "button", class: "secondary", "aria-label": "Remove " + l.item.name, onclick: () => {
        cart.delete(l.item.sku);
        checkoutKey = "";
        document.getElementById("cart").replaceWith(cartSection());
      } }, "✕")))))),
  h("p", {}, "Total about ", h("strong", {}, money({ amount: total, currency: lines[0].item.price.currency })), h("span", { class: "muted" }, " (the shop prices the order)")));
  if (!session.signedIn()) {
    section.append(h("p", {}, h("a", { href: "#/login" }, "Sign in"), " to place the order."));
    return section;
  }
  const form = h("form", { "aria-label": "Checkout" },
    h("label", {}, "Card", h("select", { name: "card" }, cards.map(([v, t]) => h("option", { value: v }, t)))),
    h("button", { type: "submit" }, "Place order"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(form, async () => {
      checkoutKey = checkoutKey || crypto.randomUUID();
      const o = await api.post("/orders", {
        items: lines.map((l) => ({ sku: l.item.sku, quantity: l.quantity })),
        paymentToken: form.elements.namedItem("card").value,
      }, { headers: { "Idempotency-Key": checkoutKey } });
      cart.clear();
      checkoutKey = "";
      remember(o);
      location.hash = "#/orders/" + o.orderId;
    });
  });
  section.append(form);
  return section;
}
