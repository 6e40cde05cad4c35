// Small DOM helpers: elements are built with text nodes, never from HTML strings, so nothing the API returns
// is ever parsed as markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// render replaces main's content and moves the focus to its heading, so that keyboard and screen
// reader users land on the new page.
export function render(title, ...children) {
  const main = document.getElementById("main");
  main.replaceChildren();
  const h1 = h("h1", { tabindex: "-1" }, title);
  append(main, [h1, ...children]);
  document.title = title + " · Orion console";
  h1.focus();
}

export function flash(message, ok = false) {
  const el = document.getElementById("flash");
  el.textContent = message;
  el.className = ok ? "flash ok" : "flash";
  el.hidden = !message;
  el.dataset.at = Date.now();
}

// Routes are numbered: a page reads the API before it draws, and one whose route is no longer the
// current one when its answer comes (the user, or a redirect, moved on) draws nothing.
let routeSeq = 0;
export function nextRoute() {
  return ++routeSeq;
}
export function currentRoute() {
  return routeSeq;
}

// A page's listeners end when the router leaves it.
let leaving = [];
export function onLeave(fn) {
  leaving.push(fn);
}
export function leavePage() {
  leaving.forEach((fn) => fn());
  leaving = [];
}

export function money(m) {
  if (!m) return "";
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: m.currency }).format(m.amount / 100);
  } catch {
    return (m.amount / 100).toFixed(2) + " " + m.currency;
  }
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

export function badge(status) {
  return h("span", { class: "badge s-" + status }, label(status));
}

const labels = {
  PENDING: "Pending", RESERVED: "Reserved", PAYMENT_AUTHORIZED: "Payment authorized", CONFIRMED: "Confirmed",
  SHIPPED: "Shipped", DELIVERED: "Delivered", REJECTED: "Rejected", CANCELLED: "Cancelled", FAILED: "Failed",
  IN_STOCK: "In stock", LOW: "Low stock", OUT_OF_STOCK: "Out of stock",
};

export function label(status) {
  return labels[status] || status;
}

// reasons say in words why an order ended (docs/websocket.md, order.status reason).
const reasons = {
  OUT_OF_STOCK: "not enough stock for a line of the order",
  PAYMENT_DECLINED: "the payment was declined",
  PAYMENT_UNAVAILABLE: "the payment provider could not be reached",
  CUSTOMER_REQUEST: "cancelled at the customer's request",
  ADMIN_REQUEST: "cancelled by the shop",
  STEP_FAILED: "a step of the order failed",
  SAGA_FAILED: "the order could not be completed",
};

export function reasonText(reason) {
  return reason ? (reasons[reason] || reason.toLowerCase().replaceAll("_", " ")) + " (" + reason + ")" : "";
}

// field reads a form's named control.
export function field(form, name) {
  return form.elements.namedItem(name).value.trim();
}

// busy disables a form's buttons while fn runs, and shows its error, if any, in the flash line.
export async function busy(form, fn) {
  const buttons = form.querySelectorAll("button");
  buttons.forEach((b) => (b.disabled = true));
  try {
    flash("");
    await fn();
  } catch (err) {
    flash(err.message || String(err));
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}
