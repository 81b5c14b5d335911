/* Dossier customer portal, the signed-in customer's home: open requests with their checklists and uploads,
   other documents, files staff sent, documents to approve, messages and the profile.

   The upload areas, checklists, form and sent files are the link page's parts (portal.js, DossierPortal.create):
   one instance per open request, one for the rest of the page, each given its share of `GET api/context`.
   Every state-changing call carries the session's CSRF token (`X-CSRF-Token`); whatever the customer's
   permissions forbid is not offered (the API refuses it anyway). Data is put into the page as text only. */
(function () {
  "use strict";

  var T = JSON.parse(document.getElementById("home-texts").textContent);
  var shell = JSON.parse(document.getElementById("home-context").textContent);
  var root = document.getElementById("home");
  var lang = document.documentElement.lang || "de";
  var home = null;        // the last GET context
  var parts = [];         // the portal.js instances on the page, each with how to pick its context
  var live = null;        // one polite live region for what happened

  // The page is /c/{account}/home: relative to it, "api/…" is /c/{account}/api/… (under any stage prefix).
  function apiUrl(path) { return new URL("api/" + path, location.href).toString(); }
  function signInUrl(reason) {
    return new URL("../" + encodeURIComponent(shell.account_id) + (reason ? "?reason=" + reason : ""), location.href).toString();
  }

  async function request(method, path, body) {
    var headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && home) headers["X-CSRF-Token"] = home.csrf_token;
    var response = await fetch(apiUrl(path), { method: method, headers: headers, credentials: "same-origin",
      cache: "no-store", body: body === undefined ? undefined : JSON.stringify(body) });
    var data = null;
    try { data = await response.json(); } catch (ignored) { /* no body */ }
    if (response.status === 401) sessionGone();
    return { status: response.status, ok: response.ok, data: data };
  }

  function sessionGone() {
    announce(kit.t("error_session"));
    location.replace(signInUrl("expired"));
  }

  function allowed(name) { return !home || !home.permissions || home.permissions[name] !== false; }

  // ---- each part's share of the context ---------------------------------------------------------------

  function base(extra) {
    return Object.assign({ account: home.account, customer: home.customer, link: { message: "", expires_at: "", status: "" },
      items: [], areas: [], attributes: [], sent_files: [], limits: home.limits }, extra);
  }

  function requestContext(fresh, requestId) {
    var found = (fresh.requests || []).filter(function (one) { return one.id === requestId; })[0];
    if (!found) return null;
    return base({ link: { message: found.message || "", expires_at: found.expires_at || "", due_at: found.due_at,
      status: found.status }, items: found.items || [], areas: found.areas || [], attributes: found.attributes || [] });
  }

  function generalContext(fresh) {
    return base({ areas: fresh.general ? [fresh.general] : [], attributes: fresh.attributes || [], sent_files: fresh.sent_files || [] });
  }

  async function reloadAll() {
    var reply = await request("GET", "context");
    if (!reply.ok) return false;
    home = reply.data;
    window.DossierHome.context = home;
    parts.forEach(function (part) {
      var share = part.pick(home);
      if (share) part.kit.update(share);
    });
    renderApprovals();
    return true;
  }

  var kit = window.DossierPortal.create({ texts: T, context: { account: { branding: shell.branding } } });
  var el = kit.el;
  var t = kit.t;
  var dateFormat = new Intl.DateTimeFormat(lang, { dateStyle: "long" });

  function announce(text) { if (live) { live.textContent = ""; live.textContent = text; } }

  function onGone(status) {
    if (status === 401) sessionGone();
    else if (status === 403) announce(t("error_forbidden"));
    else announce(t("error_server"));
  }

  function part(idPrefix, pick, extra) {
    var instance = window.DossierPortal.create(Object.assign({
      texts: T,
      context: pick(home),
      idPrefix: idPrefix,
      request: request,
      onGone: onGone,
      // A reload of one part reads the context once for the whole page and hands every part its share.
      reload: async function () { return (await reloadAll()) ? pick(home) : null; },
      canUpload: allowed("upload"),
      canMarkNotApplicable: allowed("upload"),
      onDeleteFile: allowed("delete_pending_uploads") ? deleteFile : null,
    }, extra || {}));
    parts.push({ kit: instance, pick: pick });
    return instance;
  }

  async function deleteFile(file, button) {
    if (!window.confirm(t("delete_confirm", { name: file.filename }))) return;
    button.disabled = true;
    var reply = await request("DELETE", "files/" + encodeURIComponent(file.id));
    if (!reply.ok) { button.disabled = false; onGone(reply.status); return; }
    await reloadAll();
    announce(t("deleted", { name: file.filename }));
  }

  // ---- the sections ------------------------------------------------------------------------------------

  function section(id, heading, children) {
    return el("section", { className: "home-section", id: id, "aria-labelledby": id + "-heading" },
      [el("h2", { id: id + "-heading", tabindex: "-1", text: heading })].concat(children));
  }

  function renderRequests() {
    var open = home.requests || [];
    if (!open.length) return section("requests", t("requests_heading"), [el("p", { className: "card hint", text: t("requests_none") })]);
    return section("requests", t("requests_heading"), open.map(function (one) {
      var instance = part("r" + one.id + "-", function (fresh) { return requestContext(fresh, one.id); },
        { uploadExtra: { link_id: one.id }, attributesPath: "requests/" + encodeURIComponent(one.id) + "/attributes",
          itemPath: function (itemId) { return "requests/" + encodeURIComponent(one.id) + "/items/" + encodeURIComponent(itemId); } });
      var title = one.created_at ? t("request_heading", { date: dateFormat.format(new Date(one.created_at)) }) : t("checklist_heading");
      return el("article", { className: "request", "data-request": one.id }, [
        el("div", { className: "card request-head" }, [
          el("div", { className: "row" }, [
            el("h3", { text: title }),
            el("span", { className: "badge badge-status-" + one.status, text: T["request_status_" + one.status] || one.status }),
          ]),
          one.message ? el("p", { className: "message", text: one.message }) : null,
        ]),
        instance.renderChecklist() || "",
        instance.renderAreas() || "",
        instance.renderForm() || "",
      ]);
    }));
  }

  function renderGeneral(general) {
    if (!home.general || !allowed("upload")) return null;
    return section("general", t("general_heading"), [el("p", { className: "hint", text: t("general_intro") }), general.renderAreas() || ""]);
  }

  var approvalsHolder = null;

  function renderApprovalList() {
    var list = home.approvals || [];
    if (!list.length) return el("p", { className: "hint", text: t("approvals_none") });
    return el("ul", { className: "files approvals" }, list.map(function (approval) {
      var actions = [];
      if (approval.download_url) actions.push(el("a", { className: "button button-small button-quiet", href: approval.download_url, rel: "noopener", text: t("approval_open") }));
      var pending = !approval.decision;
      // The signing dialog is its own script: it registers itself as DossierHome.approvalDialog.
      if (pending && allowed("approve_documents") && window.DossierHome.approvalDialog) {
        var sign = el("button", { type: "button", className: "button button-small", text: t("approval_sign") });
        sign.addEventListener("click", function () {
          window.DossierHome.approvalDialog(approval, { request: request, texts: T, done: reloadAll, returnFocus: sign });
        });
        actions.push(sign);
      }
      var state = pending ? "pending" : approval.decision;
      return el("li", { className: "file", "data-approval": approval.id }, [
        el("div", { className: "row" }, [
          el("span", { className: "name", text: approval.filename || "" }),
          el("span", { className: "badge badge-approval-" + state, text: t("approval_" + state) }),
        ]),
        approval.message ? el("p", { className: "note", text: approval.message }) : null,
        el("div", { className: "actions" }, actions),
      ]);
    }));
  }

  function renderApprovals() {
    if (!approvalsHolder) return;
    approvalsHolder.replaceChildren(renderApprovalList());
  }

  function renderApprovalsSection() {
    if (!(home.approvals || []).length && !allowed("approve_documents")) return null;
    approvalsHolder = el("div", { className: "card" }, [renderApprovalList()]);
    return section("approvals", t("approvals_heading"), [approvalsHolder]);
  }

  // ---- messages ----------------------------------------------------------------------------------------

  var thread = null;
  var timeFormat = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });

  function renderThread(messages) {
    if (!messages.length) return el("p", { className: "hint", text: t("messages_none") });
    return el("ol", { className: "thread" }, messages.map(function (message) {
      var mine = message.author === "customer";
      return el("li", { className: "message-item " + (mine ? "from-me" : "from-staff"), "data-message": message.id }, [
        el("p", { className: "meta" }, [
          el("strong", { text: mine ? t("message_from_me") : message.author_name || t("message_from_staff", { company: home.account.branding.company_name }) }),
          " · ",
          el("time", { datetime: message.at, text: timeFormat.format(new Date(message.at)) }),
        ]),
        el("p", { className: "body", text: message.body }),
      ]);
    }));
  }

  async function loadMessages() {
    var reply = await request("GET", "messages");
    if (!reply.ok) { onGone(reply.status); return; }
    // Newest first from the API; a thread reads oldest first.
    var items = (reply.data.items || []).slice().reverse();
    thread.replaceChildren(renderThread(items));
    if (home.messages && home.messages.unread) {
      home.messages.unread = 0;
      request("POST", "messages/read");
    }
  }

  function renderMessages() {
    thread = el("div", { className: "thread-holder" }, [el("p", { className: "hint", text: t("loading") })]);
    var children = [thread];
    if (allowed("message")) {
      var id = "message-body";
      var text = el("textarea", { id: id, rows: "3", maxlength: "5000", required: true, "aria-describedby": "message-error" });
      var error = el("p", { className: "field-error", id: "message-error", hidden: true });
      var button = el("button", { type: "submit", className: "button", text: t("message_send") });
      var status = el("p", { className: "form-status", role: "status" });
      var form = el("form", { className: "message-form", novalidate: true }, [
        el("label", { for: id, text: t("message_label") }), text, error, button, status,
      ]);
      text.addEventListener("input", function () { error.hidden = true; text.removeAttribute("aria-invalid"); });
      form.addEventListener("submit", async function (event) {
        event.preventDefault();
        if (!text.value.trim()) {
          error.textContent = t("message_empty");
          error.hidden = false;
          text.setAttribute("aria-invalid", "true");
          text.focus();
          return;
        }
        button.disabled = true;
        status.textContent = t("message_sending");
        var reply;
        try { reply = await request("POST", "messages", { body: text.value.trim() }); } catch (failure) { reply = null; }
        button.disabled = false;
        if (!reply) { status.textContent = t("error_network"); return; }
        if (!reply.ok) {
          var detail = reply.data && reply.data.error ? reply.data.error.message : "";
          status.textContent = reply.status === 403 ? t("error_forbidden") : (detail || t("error_server"));
          return;
        }
        text.value = "";
        status.textContent = t("message_sent");
        await loadMessages();
      });
      children.push(form);
    }
    loadMessages();
    return section("messages", t("messages_heading"), [el("div", { className: "card" }, children)]);
  }

  // ---- profile -----------------------------------------------------------------------------------------

  function renderProfile(general) {
    var customer = home.customer || {};
    var contact = el("dl", { className: "contact-list" }, [["profile_name", customer.name], ["profile_email", customer.email],
      ["profile_phone", customer.phone], ["profile_company", customer.company]].reduce(function (rows, pair) {
      if (pair[1]) rows.push(el("dt", { text: t(pair[0]) }), el("dd", { text: pair[1] }));
      return rows;
    }, []));
    var children = [el("div", { className: "card" }, [el("h3", { text: t("profile_contact") }), contact])];
    if (allowed("edit_profile")) {
      var form = general.renderForm();
      if (form) children.push(form);
    } else if ((home.attributes || []).length) {
      children.push(el("div", { className: "card" }, [el("dl", { className: "contact-list profile-values" }, home.attributes.reduce(function (rows, field) {
        var value = field.type === "info" ? (lang.slice(0, 2) === "en" && field.text_en) || field.text || ""
          : field.value === null || field.value === undefined || field.value === "" ? t("profile_empty")
          : field.type === "signature" ? t("signature_done", { date: kit.when(field.value.signed_at) })
          : field.value === true ? t("yes") : String(field.value);
        rows.push(el("dt", { text: field.name }), el("dd", { text: value }));
        return rows;
      }, []))]));
    }
    return section("profile", t("profile_heading"), children);
  }

  // ---- the page ----------------------------------------------------------------------------------------

  async function signOut(button) {
    button.disabled = true;
    try { await request("POST", "../logout"); } catch (ignored) { /* signed out locally all the same */ }
    location.replace(signInUrl("signed_out"));
  }

  function renderNav(sections) {
    var signOutButton = el("button", { type: "button", className: "button button-quiet", text: t("sign_out") });
    signOutButton.addEventListener("click", function () { signOut(signOutButton); });
    return el("nav", { className: "home-nav", "aria-label": t("nav_label") }, [
      el("ul", {}, sections.filter(Boolean).map(function (one) {
        var heading = one.querySelector("h2");
        return el("li", {}, [el("a", { href: "#" + one.id, text: heading.textContent })]);
      })),
      signOutButton,
    ]);
  }

  async function start() {
    var reply;
    try { reply = await request("GET", "context"); } catch (failure) { reply = null; }
    if (!reply || !reply.ok) {
      if (reply && reply.status === 401) return;
      root.replaceChildren(kit.renderHeader(), el("p", { className: "notice notice-error", role: "alert", text: t("error_server") }));
      return;
    }
    home = reply.data;
    window.DossierHome.context = home;
    var general = part("g-", generalContext, {});
    live = el("p", { className: "visually-hidden", role: "status", "aria-live": "polite" });
    var sections = [
      renderRequests(),
      renderGeneral(general),
      allowed("see_sent_files") && (home.sent_files || []).length ? section("sent", t("sent_heading"), [general.renderSent() || ""]) : null,
      renderApprovalsSection(),
      renderMessages(),
      renderProfile(general),
    ];
    var greeting = el("section", { className: "card intro" }, [
      el("h2", { text: t("home_greeting", { name: home.customer.name }) }),
      el("p", { text: t("home_intro") }),
    ]);
    root.replaceChildren.apply(root, [kit.renderHeader(), renderNav(sections), greeting].concat(
      sections.filter(Boolean), [kit.renderContact() || "", live]));
  }

  // A hook for the approval dialog's script (loaded after this one): it sets DossierHome.approvalDialog =
  // function (approval, {request, texts, done, returnFocus}) and calls DossierHome.refresh() if it loads late.
  window.DossierHome = { approvalDialog: null, context: null, refresh: function () { renderApprovals(); } };

  start();
}());
