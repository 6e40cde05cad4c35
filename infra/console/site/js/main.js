// The console's entry: reads /config.json (the stack's API URLs), then routes #/... to a page.
import * as api from "./api.js";
import * as live from "./live.js";
import * as session from "./session.js";
import * as auth from "./auth.js";
import * as shop from "./shop.js";
import * as orders from "./orders.js";
import { h, render, flash, leavePage, nextRoute, currentRoute } from "./ui.js";

const routes = [
  [/^#\/?$/, () => shop.catalogPage()],
  [/^#\/login$/, () => auth.loginPage()],
  [/^#\/register$/, () => auth.registerPage()],
  [/^#\/confirm$/, () => auth.confirmPage()],
  [/^#\/logout$/, () => auth.logout()],
  [/^#\/orders$/, () => orders.ordersPage(), "customer"],
  [/^#\/orders\/([0-9A-Z]{26})$/, (id) => orders.orderPage(id), "customer"],
  [/^#\/admin\/catalog$/, () => adminPage("catalogPage"), "admin"],
  [/^#\/admin\/feed$/, () => adminPage("feedPage"), "admin"],
  [/^#\/admin\/orders\/([0-9A-Z]{26})$/, (id) => adminPage("storyPage", id), "admin"],
];

// The admin pages load only when an admin opens one: a customer's browser never fetches them.
function adminPage(name, ...args) {
  const mine = currentRoute();
  return import("./admin.js").then((a) => mine === currentRoute() && a[name](...args));
}

async function route() {
  nextRoute();
  leavePage();
  const hash = location.hash || "#/";
  nav(hash);
  for (const [re, page, needs] of routes) {
    const m = hash.match(re);
    if (!m) continue;
    if (needs && !session.signedIn()) return auth.loginPage();
    if (needs === "admin" && !session.isAdmin()) return render("Not allowed", h("p", {}, "These pages are for the shop's admins."));
    try {
      await page(...m.slice(1));
    } catch (err) {
      if (err.status === 401) {
        session.clear();
        return auth.loginPage();
      }
      render("Something went wrong", h("p", { role: "alert" }, err.message || String(err)));
    }
    return;
  }
  render("Not found", h("p", {}, h("a", { href: "#/" }, "Back to the catalog")));
}

function nav(hash) {
  const links = [["#/", "Catalog"]];
  if (session.signedIn()) links.push(["#/orders", "My orders"]);
  if (session.isAdmin()) links.push(["#/admin/catalog", "Admin: catalog"], ["#/admin/feed", "Admin: live feed"]);
  links.push(session.signedIn() ? ["#/logout", "Sign out"] : ["#/login", "Sign in"]);
  if (!session.signedIn()) links.push(["#/register", "Register"]);
  document.getElementById("nav").replaceChildren(...links.map(([href, text]) =>
    h("a", { href, "aria-current": href === hash ? "page" : null }, text)));
  document.getElementById("who").textContent = session.signedIn() ? "Signed in" + (session.isAdmin() ? " (admin)" : "") : "";
}

async function start() {
  try {
    const cfg = await (await fetch("config.json", { cache: "no-cache" })).json();
    api.configure(cfg.apiUrl);
    live.configure(cfg.webSocketUrl);
  } catch (err) {
    return render("Not configured", h("p", { role: "alert" }, "config.json could not be read: " + err.message));
  }
  session.onChange(() => nav(location.hash || "#/"));
  addEventListener("hashchange", () => {
    // A message shown just before a navigation ("Confirmed: sign in now") stays for the next page.
    if (Date.now() - Number(document.getElementById("flash").dataset.at || 0) > 1500) flash("");
    route();
  });
  route();
}

start();
