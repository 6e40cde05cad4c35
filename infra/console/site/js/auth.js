// Register, confirm, sign in (with an admin's TOTP step), sign out: POST /auth/*.
import * as api from "./api.js";
import * as session from "./session.js";
import { h, render, flash, field, busy } from "./ui.js";

export function loginPage() {
  const form = h("form", { "aria-label": "Sign in" },
    h("label", {}, "Email", h("input", { name: "email", type: "email", autocomplete: "username", required: true })),
    h("label", {}, "Password", h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
    h("button", { type: "submit" }, "Sign in"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(form, async () => {
      const email = field(form, "email");
      const challenge = await api.login(email, form.elements.namedItem("password").value);
      if (challenge) return mfaPage(email, challenge);
      location.hash = session.isAdmin() ? "#/admin/catalog" : "#/";
    });
  });
  render("Sign in", form, h("p", {}, "No account yet? ", h("a", { href: "#/register" }, "Register"), "."));
}

// mfaPage answers the TOTP challenge every admin gets (docs/openapi.yaml, /auth/login/mfa).
function mfaPage(email, challenge) {
  const form = h("form", { "aria-label": "Authenticator code" },
    h("label", {}, "Code from your authenticator app",
      h("input", { name: "code", inputmode: "numeric", pattern: "[0-9]{6}", maxlength: 6, autocomplete: "one-time-code", required: true })),
    h("button", { type: "submit" }, "Verify"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(form, async () => {
      await api.mfa(email, challenge, field(form, "code"));
      location.hash = session.isAdmin() ? "#/admin/catalog" : "#/";
    });
  });
  render("Two-step sign-in", h("p", {}, "Enter the 6-digit code for " + email + "."), form);
}

export function registerPage() {
  const form = h("form", { "aria-label": "Register" },
    h("label", {}, "Name", h("input", { name: "name", autocomplete: "name", required: true, maxlength: 200 })),
    h("label", {}, "Email", h("input", { name: "email", type: "email", autocomplete: "email", required: true })),
    h("label", {}, "Password (12 characters or more)",
      h("input", { name: "password", type: "password", autocomplete: "new-password", minlength: 12, required: true })),
    h("button", { type: "submit" }, "Register"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(form, async () => {
      const email = field(form, "email");
      const r = await api.post("/auth/register", { name: field(form, "name"), email, password: form.elements.namedItem("password").value }, { auth: false });
      // One answer whatever holds the address (docs/security.md): the next step is the mailed code, or,
      // where the stack confirms users at once, signing in.
      flash(r.message, true);
      confirmPage(email);
    });
  });
  render("Register", form);
}

export function confirmPage(email = "") {
  const form = h("form", { "aria-label": "Confirm your address" },
    h("label", {}, "Email", h("input", { name: "email", type: "email", value: email, required: true })),
    h("label", {}, "Code from the email", h("input", { name: "code", autocomplete: "one-time-code", required: true })),
    h("button", { type: "submit" }, "Confirm"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(form, async () => {
      await api.post("/auth/confirm", { email: field(form, "email"), code: field(form, "code") }, { auth: false });
      flash("Confirmed: you can sign in now.", true);
      location.hash = "#/login";
    });
  });
  render("Confirm your address", form,
    h("p", { class: "muted" }, "Where the stack confirms users at once (make dev), skip this and ", h("a", { href: "#/login" }, "sign in"), "."));
}

export async function logout() {
  await api.logout();
  flash("Signed out.", true);
  location.hash = "#/";
}
