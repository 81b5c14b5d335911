/* Dossier customer portal, sign-in: an e-mail address or mobile number → POST /c/{account}/login, which always
   answers 202 (it never tells whether the customer exists), so the page always says the same. Reuses the link
   page's parts (portal.js) for the branding and the contact. */
(function () {
  "use strict";

  var T = JSON.parse(document.getElementById("signin-texts").textContent);
  var ctx = JSON.parse(document.getElementById("signin-context").textContent);
  var root = document.getElementById("signin");
  var kit = window.DossierPortal.create({ texts: T, context: { account: { branding: ctx.branding } } });
  var el = kit.el;
  var t = kit.t;

  function loginUrl() {
    // The page is /c/{account}: relative to it, "{account}/login" is /c/{account}/login (under any stage prefix).
    return new URL(encodeURIComponent(ctx.account_id) + "/login", location.href).toString();
  }

  function addressBody(text) {
    if (text.indexOf("@") >= 0) return { email: text };
    var digits = text.replace(/[\s()\/.-]/g, "");
    if (/^\+?[0-9]{6,16}$/.test(digits)) return { phone: digits };
    return null;
  }

  // Where the portal sent the customer back here: a used or expired sign-in link, a sign-out, a lapsed session.
  var reasons = { link: "signin_link_invalid", expired_link: "signin_link_invalid", signed_out: "signin_signed_out",
    expired: "signin_expired" };
  var reason = reasons[new URLSearchParams(location.search).get("reason") || ""];

  var inputId = "signin-address";
  var input = el("input", { id: inputId, name: "address", type: "text", autocomplete: "email", inputmode: "email",
    required: true, "aria-describedby": "signin-hint signin-error", maxlength: "320" });
  var error = el("p", { className: "field-error", id: "signin-error", hidden: true });
  var button = el("button", { type: "submit", className: "button", text: t("signin_submit") });
  var status = el("p", { className: "form-status", role: "status" });
  var form = el("form", { className: "card form signin", novalidate: true }, [
    el("h2", { text: t("signin_heading") }),
    el("p", { text: t("signin_intro") }),
    reason ? el("p", { className: "notice " + (reason === "signin_signed_out" ? "notice-ok" : "notice-error"), role: "status", text: t(reason) }) : null,
    el("div", { className: "field" }, [
      el("label", { for: inputId, text: t("signin_label") }),
      el("p", { className: "hint", id: "signin-hint", text: t("signin_hint") }),
      input,
      error,
    ]),
    button,
    status,
  ]);

  function showError(message) {
    error.textContent = message || "";
    error.hidden = !message;
    if (message) { input.setAttribute("aria-invalid", "true"); input.focus(); } else input.removeAttribute("aria-invalid");
  }

  input.addEventListener("input", function () { showError(null); });

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { showError(t("signin_empty")); return; }
    var body = addressBody(text);
    if (!body) { showError(t("signin_invalid")); return; }
    button.disabled = true;
    status.textContent = t("signin_sending");
    var response;
    try {
      response = await fetch(loginUrl(), { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body), credentials: "same-origin", cache: "no-store" });
    } catch (failure) {
      response = null;
    } finally {
      button.disabled = false;
    }
    if (!response) { status.textContent = t("error_network"); return; }
    if (response.status === 429) { status.textContent = t("signin_rate_limited"); return; }
    if (response.status === 422) { status.textContent = ""; showError(t("signin_invalid")); return; }
    if (!response.ok) { status.textContent = t("error_server"); return; }
    var again = el("button", { type: "button", className: "button button-quiet", text: t("signin_again") });
    var heading = el("h2", { tabindex: "-1", text: t("signin_sent_heading") });
    var sent = el("section", { className: "card signin-sent", "aria-live": "polite" }, [
      heading,
      el("p", { text: t(body.email ? "signin_sent_email" : "signin_sent_sms", { address: text }) }),
      again,
    ]);
    again.addEventListener("click", function () { sent.replaceWith(form); input.select(); input.focus(); });
    form.replaceWith(sent);
    heading.focus();
  });

  root.replaceChildren(kit.renderHeader(), form, kit.renderContact() || "");
}());
