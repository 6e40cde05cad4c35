// The WebSocket API (docs/websocket.md): the access token travels as a subprotocol, never in the URL
// (docs/adr/0016); every order.status and subscribe reply goes to the listeners once per newer
// orderVersion; after a reconnect every watched order is subscribed again, whose reply carries its
// current status, covering whatever was missed in between.
import * as session from "./session.js";

let url = "";
let ws = null;
let wsToken = "";
let attempt = 0;
let retryTimer = 0;
let pingTimer = 0;
const watched = new Set();
let watchAll = false;
const versions = new Map(); // orderId -> highest orderVersion shown
const listeners = new Set();
const received = new Map(); // orderId -> the messages this page received of it (the story's pushes lane)
const allListeners = new Set();

export function configure(webSocketUrl) {
  url = webSocketUrl;
  session.onChange(() => {
    if (!session.signedIn()) return close();
    if (session.accessToken() !== wsToken) connect(); // a new sign-in or a refreshed token
  });
}

// on registers fn(message) for every new status of an order; returns the function that removes it.
export function on(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// onAll registers fn() for the reply to an admin's subscription to every order; returns its remover.
export function onAll(fn) {
  allListeners.add(fn);
  return () => allListeners.delete(fn);
}

export function watch(orderId) {
  watched.add(orderId);
  send({ action: "subscribe", orderId });
}

export function unwatch(orderId) {
  watched.delete(orderId);
}

// all subscribes an admin's connection to every order's changes (or ends it).
export function all(on) {
  watchAll = on;
  send(on ? { action: "subscribe", all: true } : { action: "unsubscribe", all: true });
}

function send(msg) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
}

function state(text) {
  const el = document.getElementById("live-state");
  if (el) {
    el.textContent = text;
    el.dataset.state = text;
  }
}

function connect() {
  const old = ws;
  clearTimeout(retryTimer);
  wsToken = session.accessToken();
  const sock = new WebSocket(url, ["orion.v1", "orion.token." + wsToken]);
  ws = sock;
  state("Live updates: connecting");
  sock.onopen = () => {
    attempt = 0;
    state("Live updates: on");
    if (old && old !== sock) old.close(1000); // a refreshed token's new connection replaces the old one
    if (watchAll) send({ action: "subscribe", all: true });
    for (const id of watched) send({ action: "subscribe", orderId: id });
    clearInterval(pingTimer);
    pingTimer = setInterval(() => send({ action: "ping" }), 5 * 60 * 1000); // API Gateway closes after 10 idle minutes
  };
  sock.onmessage = (e) => {
    let m;
    try {
      m = JSON.parse(e.data);
    } catch {
      return;
    }
    if ((m.type === "order.status" || (m.type === "subscribed" && m.orderId)) && m.status) {
      const seen = versions.get(m.orderId) || 0;
      // A push and a subscribe reply can cross: an older version never wins. A subscribe reply of the
      // version already seen is passed on all the same: it tells a page opened after the push where
      // the order stands (GET /orders/{id} carries no version to compare).
      if (m.orderVersion < seen || (m.orderVersion === seen && m.type !== "subscribed")) return;
      versions.set(m.orderId, m.orderVersion);
      const msg = { ...m, receivedAt: new Date().toISOString() };
      if (!received.has(m.orderId) && received.size >= 500) received.delete(received.keys().next().value);
      received.set(m.orderId, [...(received.get(m.orderId) || []), msg].slice(-50));
      for (const fn of listeners) fn(msg);
    }
    if (m.type === "subscribed" && m.all) for (const fn of allListeners) fn();
    if (m.type === "error" && m.code === "token_expired") sock.close(1000);
  };
  sock.onclose = () => {
    if (ws !== sock) return; // replaced
    clearInterval(pingTimer);
    ws = null;
    if (!session.signedIn()) return state("");
    // Backoff with jitter: 1 s, 2 s, 4 s ... 30 s (docs/websocket.md, "Reconnecting").
    const delay = Math.min(30000, 1000 * 2 ** attempt++) * (0.5 + Math.random() / 2);
    state("Live updates: reconnecting");
    retryTimer = setTimeout(async () => {
      if (attempt > 1) {
        // The token may be what ended the connection: a refreshed one connects through onChange.
        const before = session.accessToken();
        const { refresh } = await import("./api.js");
        await refresh();
        if (session.signedIn() && session.accessToken() === before) connect();
      } else connect();
    }, delay);
  };
}

function close() {
  clearTimeout(retryTimer);
  clearInterval(pingTimer);
  watched.clear();
  versions.clear();
  received.clear();
  watchAll = false;
  wsToken = "";
  const sock = ws;
  ws = null;
  if (sock) sock.close(1000);
  state("");
}

// log is what this page received of an order over the WebSocket since sign-in, oldest first.
export function log(orderId) {
  return received.get(orderId) || [];
}
