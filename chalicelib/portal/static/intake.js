// The registration page for new customers: name and e-mail, then "check your mail" (double opt-in). The same
// script serves the page the confirmation mail links to: it confirms and goes on to the customer's upload page.
(function () {
  "use strict";

  var texts = JSON.parse(document.getElementById("intake-texts").textContent);
  var ctx = JSON.parse(document.getElementById("intake-context").textContent);
  var main = document.getElementById("intake");

  function t(key, values) {
    return (texts[key] || key).replace(/\{(\w+)\}/g, function (_, name) { return values && name in values ? values[name] : ""; });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name === "className") node.className = value;
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  var branding = ctx.branding;
  var inputs = {};
  var errors = {};

  function field(name, type, required, autocomplete) {
    var id = "intake-" + name;
    var input = el("input", { id: id, name: name, type: type, required: required, autocomplete: autocomplete,
      maxlength: "200", "aria-describedby": id + "-error" });
    var error = el("p", { className: "field-error", id: id + "-error", hidden: true });
    input.addEventListener("input", function () { showError(name, null); });
    inputs[name] = input;
    errors[name] = error;
    return el("div", { className: "field", "data-field": name }, [
      el("label", { for: id }, [t("intake_" + name), required ? el("span", { className: "required", "aria-hidden": "true", text: " *" }) : null]),
      input, error,
    ]);
  }

  function showError(name, message) {
    errors[name].textContent = message || "";
    errors[name].hidden = !message;
    if (message) inputs[name].setAttribute("aria-invalid", "true");
    else inputs[name].removeAttribute("aria-invalid");
  }

  var status = el("p", { className: "form-status", role: "status", "aria-live": "polite" });
  var submit = el("button", { type: "submit", className: "button", text: t("intake_submit") });

  function say(message, isError) {
    status.textContent = message || "";
    status.className = "form-status" + (message ? (isError ? " form-status-error" : " form-status-ok") : "");
  }

  function send(event) {
    event.preventDefault();
    if (!form.reportValidity()) return;
    var body = { name: inputs.name.value.trim(), email: inputs.email.value.trim() };
    if (inputs.company.value.trim()) body.company = inputs.company.value.trim();
    if (inputs.phone.value.trim()) body.phone = inputs.phone.value.trim();
    submit.disabled = true;
    say(t("intake_sending"));
    fetch(location.pathname, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      credentials: "omit", referrerPolicy: "no-referrer" })
      .then(function (reply) {
        return reply.json().catch(function () { return {}; }).then(function (data) { return { status: reply.status, data: data }; });
      })
      .then(function (reply) {
        if (reply.status === 202) {
          showCheckMail(body.email);
          return;
        }
        submit.disabled = false;
        var error = (reply.data && reply.data.error) || {};
        if (reply.status === 422 && error.details) {
          error.details.forEach(function (detail) {
            var name = String(detail.field || "").split(".")[0];
            if (inputs[name]) showError(name, detail.message);
          });
          say(t("form_has_errors"), true);
        } else if (error.code === "plan_limit") {
          say(t("intake_full"), true);
        } else if (reply.status === 429) {
          say(t("intake_rate_limited"), true);
        } else if (reply.status === 404) {
          say(t("intake_gone"), true);
        } else {
          say(error.message || t("intake_network"), true);
        }
      })
      .catch(function () {
        submit.disabled = false;
        say(t("intake_network"), true);
      });
  }

  var form = el("form", { className: "card", novalidate: false, onsubmit: send }, [
    el("h2", { text: t("intake_heading") }),
    el("p", { text: t("intake_intro") }),
    field("name", "text", true, "name"),
    field("email", "email", true, "email"),
    field("company", "text", false, "organization"),
    field("phone", "tel", false, "tel"),
    el("div", { className: "actions" }, [submit]),
    status,
  ]);

  var header = el("header", { className: "brand" }, [
    branding.logo_url ? el("img", { className: "logo", src: branding.logo_url, alt: t("logo_alt", { company: branding.company_name }) }) : null,
    el("div", { className: "brand-text" }, [
      el("h1", { text: branding.company_name }),
      branding.description ? el("p", { className: "description", text: branding.description }) : null,
    ]),
  ]);

  function showCheckMail(email) {
    var notice = el("section", { className: "card", id: "intake-check-mail", role: "status" }, [
      el("h2", { text: t("intake_check_mail_heading") }),
      el("p", { text: t("intake_check_mail", { email: email }) }),
    ]);
    main.replaceChild(notice, form);
    notice.querySelector("h2").setAttribute("tabindex", "-1");
    notice.querySelector("h2").focus();
  }

  // The confirmation page: confirm once, then continue on the upload page (or say why not).
  function confirmRegistration() {
    var card = el("section", { className: "card", id: "intake-confirm" }, [
      el("h2", { text: t("intake_heading") }),
    ]);
    card.appendChild(status);
    main.appendChild(card);
    say(t("intake_confirming"));
    fetch(location.pathname, { method: "POST", credentials: "omit", referrerPolicy: "no-referrer" })
      .then(function (reply) {
        return reply.json().catch(function () { return {}; }).then(function (data) { return { status: reply.status, data: data }; });
      })
      .then(function (reply) {
        if (reply.status === 200 && reply.data.url) {
          location.replace(reply.data.url);
          return;
        }
        var error = (reply.data && reply.data.error) || {};
        if (error.code === "plan_limit") say(t("intake_full"), true);
        else if (reply.status === 404) say(t("intake_confirm_failed"), true);
        else say(error.message || t("intake_network"), true);
      })
      .catch(function () { say(t("intake_network"), true); });
  }

  main.textContent = "";
  main.appendChild(header);
  if (ctx.confirm) confirmRegistration();
  else main.appendChild(form);
})();
