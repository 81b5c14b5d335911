/* Dossier customer portal: renders the link's context, uploads files straight to S3 with progress, and
   submits the link's form. No library, no build step; every text comes from the page (German or English).
   Data is only ever put into the page as text (textContent), never as HTML.

   The same parts serve the link page (`/p/{token}`) and the customer's portal home (`/c/{account}/home`):
   `DossierPortal.create(options)` builds them over one context of the link page's shape, talking to its API
   through `options.request`; the link page is one such instance, the home one per open request. */
(function () {
  "use strict";

  // Files dropped beside a drop zone must not make the browser leave the page to show them.
  window.addEventListener("dragover", function (event) { event.preventDefault(); });
  window.addEventListener("drop", function (event) { event.preventDefault(); });

  /* options: texts, context, request(method, path, body) → {status, ok, data} (default: the link's API),
     reload() → a fresh context or null (default: GET context), onGone(status), idPrefix (unique per page),
     uploadExtra (merged into each presign's body), itemPath(itemId), attributesPath, canUpload, canMarkNotApplicable,
     onDeleteFile(file) (offered for files still waiting for review). */
  function create(options) {
  var T = options.texts;
  var ctx = options.context;
  var lang = document.documentElement.lang || "de";
  var token = location.pathname.split("/").pop();
  var idPrefix = options.idPrefix || "";
  var contextAt = Date.now();
  var MAX_PARALLEL = 3;
  var POLL_GIVE_UP_MS = 60000;
  var STALE_DOWNLOAD_MS = 240000;

  // ---- small helpers -------------------------------------------------------------------------------

  function t(key, values) {
    var text = T[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(values[name]));
    });
    return text;
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

  function url(path) {
    return new URL(encodeURIComponent(token) + "/" + path, location.href).toString();
  }

  var numberFormat = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  var dateTimeFormat = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
  var dateFormat = new Intl.DateTimeFormat(lang, { dateStyle: "long" });

  function size(bytes) {
    if (bytes >= 1048576) return numberFormat.format(bytes / 1048576) + " MB";
    return numberFormat.format(Math.max(1, Math.floor(bytes / 1024))) + " KB";
  }

  function when(iso, format) {
    var date = new Date(iso);
    return isNaN(date.getTime()) ? iso : (format || dateTimeFormat).format(date);
  }

  function extension(name) {
    var dot = name.lastIndexOf(".");
    return dot > 0 ? name.slice(dot).toLowerCase() : "";
  }

  /* The content type to declare, as the server checks it: the browser's type if allowed and fitting the
     name's extension, else the allowed type that extension belongs to (browsers often report HEIC as ""
     and CSV as an Excel type); null if the file cannot be uploaded. */
  function contentType(file) {
    var allowed = ctx.limits.allowed_types;
    var ext = extension(file.name);
    var declared = (file.type || "").toLowerCase();
    if (allowed[declared] && allowed[declared].indexOf(ext) >= 0) return declared;
    var types = Object.keys(allowed);
    for (var i = 0; i < types.length; i++) {
      if (allowed[types[i]].indexOf(ext) >= 0) return types[i];
    }
    return null;
  }

  async function api(method, path, body) {
    if (options.request) return options.request(method, path, body);
    var response = await fetch(url(path), {
      method: method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
    var data = null;
    try { data = await response.json(); } catch (ignored) { /* not JSON: handled by the status */ }
    return { status: response.status, ok: response.ok, data: data };
  }

  function errorCode(reply) {
    return reply && reply.data && reply.data.error ? reply.data.error.code : null;
  }

  // ---- the page ------------------------------------------------------------------------------------

  var banner = el("p", { className: "notice notice-error", role: "alert", hidden: true });
  var areaViews = {};

  function showLinkProblem(status) {
    if (options.onGone) { options.onGone(status); return; }
    banner.textContent = status === 410 ? t("error_link_expired") : t("error_link_gone");
    banner.hidden = false;
  }

  function renderHeader() {
    var branding = ctx.account.branding;
    var logo = null;
    if (branding.logo_url) {
      logo = el("img", { className: "logo", src: branding.logo_url, alt: t("logo_alt", { company: branding.company_name }) });
      logo.addEventListener("error", function () { logo.hidden = true; });
    }
    return el("header", { className: "brand" }, [
      logo,
      el("div", { className: "brand-text" }, [
        el("h1", { text: branding.company_name }),
        branding.description ? el("p", { className: "description", text: branding.description }) : null,
      ]),
    ]);
  }

  function renderIntro() {
    return el("section", { className: "card intro" }, [
      el("h2", { text: t("greeting", { name: ctx.customer.name }) }),
      el("p", { text: t("intro") }),
      ctx.link.message ? el("p", { className: "message", text: ctx.link.message }) : null,
      el("p", { className: "hint", text: t("valid_until", { date: when(ctx.link.expires_at, dateFormat) }) }),
    ]);
  }

  function requiredMarker(key) {
    return el("span", { className: "required" }, [
      el("span", { "aria-hidden": "true", text: "*" }),
      el("span", { className: "visually-hidden", text: " " + t(key) }),
    ]);
  }

  function reviewBadge(review) {
    return el("span", { className: "badge badge-" + review, text: t("review_" + review) });
  }

  function reasonText(code) {
    return T["reason_" + code] || t("reason_unknown");
  }

  function renderFileList(area) {
    if (!area.files.length) return el("p", { className: "hint empty", text: t("no_files") });
    return el("ul", { className: "files" }, area.files.map(function (file) {
      var notes = [];
      if (file.review === "needs_clarification" && file.review_comment) {
        notes.push(el("p", { className: "note note-clarification", text: t("clarification", { comment: file.review_comment }) }));
      }
      if (file.review === "rejected") {
        notes.push(el("p", { className: "note note-rejected", text: t("rejected_reason", { reason: reasonText(file.reject_reason) }) }));
      }
      var remove = null;
      if (options.onDeleteFile && file.review === "pending") {
        remove = el("button", { type: "button", className: "button button-small button-quiet",
          "aria-label": t("delete_file", { name: file.filename }), text: t("delete") });
        remove.addEventListener("click", function () { options.onDeleteFile(file, remove); });
      }
      return el("li", { className: "file", "data-file-id": file.id, "data-review": file.review }, [
        el("div", { className: "row" }, [
          el("span", { className: "name", text: file.filename }),
          reviewBadge(file.review),
          remove,
        ]),
        el("p", { className: "meta", text: size(file.size) + " · " + when(file.uploaded_at) }),
      ].concat(notes));
    }));
  }

  function renderArea(area) {
    var inputId = idPrefix + "files-" + area.id;
    // The picker is a real button (Enter and Space work everywhere); the file input itself stays hidden.
    var input = el("input", { type: "file", id: inputId, multiple: true, hidden: true, tabindex: "-1" });
    var choose = el("button", { type: "button", className: "button", "aria-describedby": idPrefix + "limits-" + area.id,
      text: t("choose_files") });
    choose.addEventListener("click", function () { input.click(); });
    var queue = el("ul", { className: "queue", "aria-live": "polite" });
    var zone = el("div", { className: "dropzone" }, [
      el("p", { className: "drop-text", text: t("drop_here") }),
      el("p", { className: "or", text: t("or") }),
      input,
      choose,
      el("p", { className: "hint", id: idPrefix + "limits-" + area.id, text: t("limits", { max: size(ctx.limits.max_file_bytes) }) }),
    ]);
    var listHolder = el("div", { className: "uploaded" }, [renderFileList(area)]);
    var section = el("section", { className: "card area", "data-area": area.id }, [
      el("h3", {}, [area.name, area.required ? requiredMarker("required_area") : null]),
      options.canUpload === false ? null : zone,
      queue,
      el("h4", { text: t("uploaded_files") }),
      listHolder,
    ]);

    input.addEventListener("change", function () {
      addFiles(area.id, input.files);
      input.value = "";
    });
    var depth = 0;
    zone.addEventListener("dragenter", function (event) { event.preventDefault(); depth++; zone.classList.add("dragging"); });
    zone.addEventListener("dragover", function (event) { event.preventDefault(); event.dataTransfer.dropEffect = "copy"; });
    zone.addEventListener("dragleave", function () { if (--depth <= 0) { depth = 0; zone.classList.remove("dragging"); } });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      depth = 0;
      zone.classList.remove("dragging");
      addFiles(area.id, event.dataTransfer.files);
    });
    areaViews[area.id] = { queue: queue, listHolder: listHolder, items: [] };
    return section;
  }

  // ---- the checklist -------------------------------------------------------------------------------

  var checklistHolder = null;
  var DONE_STATES = ["checked", "accepted_na", "not_applicable", "received"];

  function renderChecklistItems() {
    var open = ctx.items.filter(function (item) { return item.required && DONE_STATES.indexOf(item.state) < 0; });
    var summary = el("p", { className: "checklist-summary", role: "status",
      text: open.length ? t("checklist_open", { count: open.length }) : t("checklist_done") });
    var list = el("ul", { className: "checklist" }, ctx.items.map(renderItem));
    return el("div", {}, [summary, list]);
  }

  function renderItem(item) {
    if (item.kind === "info") {
      // Display text: nothing to do, so no state, no "optional" and no "does not apply".
      var shown = (ctx.attributes || []).filter(function (field) { return field.id === item.attribute_id; })[0];
      return el("li", { className: "item item-info", "data-item": item.id, "data-state": "info" }, [
        el("span", { className: "name", text: item.name }),
        shown ? el("p", { className: "info-text", text: infoText(shown) }) : null,
        item.help ? el("p", { className: "hint", text: item.help }) : null,
      ]);
    }
    var parts = [
      el("div", { className: "row" }, [
        el("span", { className: "name" }, [item.name, item.required ? requiredMarker("required") : el("span", { className: "hint", text: " (" + t("item_optional") + ")" })]),
        el("span", { className: "badge badge-item-" + item.state, text: t("item_" + item.state) }),
      ]),
    ];
    if (item.help) parts.push(el("p", { className: "hint", text: item.help }));
    if (item.comment && (item.state === "not_applicable" || item.state === "accepted_na")) {
      parts.push(el("p", { className: "note", text: t("na_your_comment", { comment: item.comment }) }));
    } else if (item.comment) {
      parts.push(el("p", { className: "note note-clarification", text: item.comment }));
    }
    if (item.state === "not_applicable" && options.canMarkNotApplicable !== false) {
      var undo = el("button", { type: "button", className: "button button-small", text: t("na_undo") });
      undo.addEventListener("click", function () { changeMark(item, "DELETE", null, undo); });
      parts.push(undo);
    } else if (options.canMarkNotApplicable !== false && (item.state === "missing" || item.state === "needs_clarification")) {
      parts.push(renderNotApplicable(item));
    }
    return el("li", { className: "item", "data-item": item.id, "data-state": item.state }, parts);
  }

  function renderNotApplicable(item) {
    var holder = el("div", { className: "na" });
    var open = el("button", { type: "button", className: "button button-small button-quiet", text: t("na_button") });
    open.addEventListener("click", function () {
      var id = idPrefix + "na-" + item.id;
      var errorId = idPrefix + "na-error-" + item.id;
      var comment = el("textarea", { id: id, rows: "2", maxlength: "2000", "aria-describedby": errorId });
      var error = el("p", { className: "field-error", id: errorId, hidden: true });
      var send = el("button", { type: "submit", className: "button button-small", text: t("na_submit") });
      var cancel = el("button", { type: "button", className: "button button-small button-quiet", text: t("na_cancel") });
      var form = el("form", { className: "na-form", novalidate: true }, [
        el("label", { for: id, text: t("na_comment") }), comment, error, el("div", { className: "row" }, [send, cancel]),
      ]);
      cancel.addEventListener("click", function () { holder.replaceChildren(open); open.focus(); });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (!comment.value.trim()) {
          error.textContent = t("na_comment_required");
          error.hidden = false;
          comment.setAttribute("aria-invalid", "true");
          comment.focus();
          return;
        }
        changeMark(item, "POST", { comment: comment.value.trim() }, send);
      });
      holder.replaceChildren(form);
      comment.focus();
    });
    holder.appendChild(open);
    return holder;
  }

  async function changeMark(item, method, body, button) {
    button.disabled = true;
    var path = options.itemPath ? options.itemPath(item.id) : "items/" + encodeURIComponent(item.id);
    var reply = await api(method, path + "/not-applicable", body === null ? undefined : body);
    if (!reply.ok && (reply.status === 404 || reply.status === 410)) { showLinkProblem(reply.status); return; }
    await refreshContext();
    var again = checklistHolder && checklistHolder.querySelector('[data-item="' + item.id + '"] button');
    if (again) again.focus();
  }

  function renderChecklist() {
    if (!ctx.items || !ctx.items.length) return null;
    checklistHolder = el("div", {}, [renderChecklistItems()]);
    var heading = [el("h2", { text: t("checklist_heading") })];
    if (ctx.link.due_at) heading.push(el("p", { className: "hint due", text: t("due_at", { date: when(ctx.link.due_at, dateFormat) }) }));
    return el("section", { className: "card checklist-card" }, heading.concat([checklistHolder]));
  }

  function renderAreas() {
    if (!ctx.areas.length) return null;
    return el("section", { className: "areas" }, [el("h2", { text: t("areas_heading") })].concat(ctx.areas.map(renderArea)));
  }

  function refreshAreaLists() {
    ctx.areas.forEach(function (area) {
      var view = areaViews[area.id];
      if (!view) return;
      view.listHolder.replaceChildren(renderFileList(area));
    });
    if (sentHolder) sentHolder.replaceChildren(renderSentList());
    if (checklistHolder) checklistHolder.replaceChildren(renderChecklistItems());
  }

  // ---- uploads -------------------------------------------------------------------------------------

  var uploads = [];
  var pending = {};  // file id → upload waiting for its record

  function committedBytes() {
    // What this page has asked for since the context it knows was read (the server counts the rest).
    return uploads.reduce(function (sum, item) {
      var counts = ["waiting", "uploading", "processing", "done"].indexOf(item.state) >= 0;
      return counts && (item.presignedAt === null || item.presignedAt > contextAt) ? sum + item.file.size : sum;
    }, 0);
  }

  function addFiles(areaId, fileList) {
    Array.prototype.forEach.call(fileList || [], function (file) {
      var item = newUpload(areaId, file);
      var problem = clientCheck(item);
      if (problem) item.fail(problem, false);
      else item.setState("waiting");
    });
    pump();
  }

  function clientCheck(item) {
    var file = item.file;
    if (file.size === 0) return t("error_empty", { name: file.name });
    if (file.size > ctx.limits.max_file_bytes) {
      return t("error_too_large", { name: file.name, size: size(file.size), max: size(ctx.limits.max_file_bytes) });
    }
    item.contentType = contentType(file);
    if (!item.contentType) return t("error_type", { name: file.name });
    var remaining = ctx.limits.remaining_bytes - committedBytes();
    if (file.size > remaining) return t("error_quota", { name: file.name, remaining: size(Math.max(0, remaining)) });
    return null;
  }

  function newUpload(areaId, file) {
    var view = areaViews[areaId];
    var progress = el("progress", { max: "100", value: "0" });
    var status = el("p", { className: "status" });
    var retry = el("button", { type: "button", className: "button button-small", hidden: true, text: t("retry") });
    var dismiss = el("button", { type: "button", className: "button button-small button-quiet", hidden: true, text: t("remove") });
    var node = el("li", { className: "upload" }, [
      el("div", { className: "row" }, [el("span", { className: "name", text: file.name }), el("span", { className: "meta", text: size(file.size) })]),
      progress, status, el("div", { className: "actions" }, [retry, dismiss]),
    ]);
    view.queue.appendChild(node);
    var item = {
      areaId: areaId, file: file, contentType: null, state: "new", presignedAt: null, fileId: null, sentAt: 0,
      setState: function (state, message) {
        item.state = state;
        node.setAttribute("data-state", state);
        status.textContent = message || t("state_" + state, { percent: 0 });
        progress.hidden = state === "error" || state === "rejected";
        if (state === "done") progress.value = 100;
        retry.hidden = true;
        dismiss.hidden = ["error", "rejected", "done", "slow"].indexOf(state) < 0;
        summarise(areaId);
      },
      progress: function (percent) {
        progress.value = percent;
        status.textContent = t("state_uploading", { percent: percent });
      },
      fail: function (message, retryable) {
        item.setState("error", message);
        retry.hidden = !retryable;
        status.setAttribute("role", "alert");
      },
    };
    retry.addEventListener("click", function () {
      status.removeAttribute("role");
      var problem = clientCheck(item);
      if (problem) { item.fail(problem, false); return; }
      item.presignedAt = null;
      item.setState("waiting");
      progress.value = 0;
      pump();
    });
    dismiss.addEventListener("click", function () {
      node.remove();
      uploads.splice(uploads.indexOf(item), 1);
      view.items.splice(view.items.indexOf(item), 1);
      summarise(areaId);
    });
    uploads.push(item);
    view.items.push(item);
    return item;
  }

  function pump() {
    var running = uploads.filter(function (item) { return item.state === "uploading"; }).length;
    uploads.forEach(function (item) {
      if (item.state === "waiting" && running < MAX_PARALLEL && !(item.notBefore > Date.now())) {
        running++;
        item.setState("uploading");
        send(item).then(pump, pump);
      }
    });
  }

  function presignProblem(item, reply) {
    var code = errorCode(reply);
    var file = item.file;
    if (reply.status === 410) { showLinkProblem(410); return [t("error_link_expired"), false]; }
    if (reply.status === 404) { showLinkProblem(404); return [t("error_link_gone"), false]; }
    if (code === "file_too_large") return [t("error_too_large", { name: file.name, size: size(file.size), max: size(ctx.limits.max_file_bytes) }), false];
    if (code === "unsupported_type") return [t("error_type", { name: file.name }), false];
    if (code === "quota_exceeded") {
      var details = (reply.data.error.details || [])[0] || {};
      return [t("error_quota", { name: file.name, remaining: size(details.remaining_bytes || 0) }), false];
    }
    return [t("error_server"), true];
  }

  async function send(item) {
    var reply;
    try {
      reply = await api("POST", "uploads", Object.assign({ filename: item.file.name, size: item.file.size, content_type: item.contentType, area: item.areaId }, options.uploadExtra || {}));
    } catch (error) {
      item.fail(t("error_network"), true);
      return;
    }
    if (reply.status === 429 || errorCode(reply) === "upload_limit") {
      // The link's uploads are limited in number and rate: wait as told (or a few seconds) and try again.
      var detail = (((reply.data || {}).error || {}).details || [])[0] || {};
      item.notBefore = Date.now() + 1000 * (detail.retry_after || 5);
      item.setState("waiting");
      setTimeout(pump, item.notBefore - Date.now() + 50);
      return;
    }
    if (!reply.ok) {
      var problem = presignProblem(item, reply);
      item.fail(problem[0], problem[1]);
      return;
    }
    item.presignedAt = Date.now();
    item.fileId = reply.data.file_id;
    await new Promise(function (resolve) {
      var form = new FormData();
      Object.keys(reply.data.fields).forEach(function (name) { form.append(name, reply.data.fields[name]); });
      form.append("file", item.file);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", reply.data.url);
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) item.progress(Math.min(99, Math.floor(event.loaded * 100 / event.total)));
      });
      xhr.addEventListener("load", function () {
        if (xhr.status >= 200 && xhr.status < 300) {
          item.setState("processing");
          item.sentAt = Date.now();
          pending[item.fileId] = item;
          poll();
        } else {
          item.fail(t("error_server"), true);
        }
        resolve();
      });
      xhr.addEventListener("error", function () { item.fail(t("error_network"), true); resolve(); });
      xhr.addEventListener("abort", function () { item.fail(t("error_network"), true); resolve(); });
      xhr.send(form);
    });
  }

  // ---- waiting for the record ----------------------------------------------------------------------

  var polling = false;

  async function refreshContext() {
    var startedAt = Date.now();
    if (options.reload) {
      var fresh = await options.reload();
      if (!fresh) return false;
      ctx = fresh;
    } else {
      var reply = await api("GET", "context");
      if (!reply.ok) {
        if (reply.status === 404 || reply.status === 410) showLinkProblem(reply.status);
        return false;
      }
      ctx = reply.data;
    }
    contextAt = startedAt;
    refreshAreaLists();
    return true;
  }

  function recorded(fileId) {
    for (var i = 0; i < ctx.areas.length; i++) {
      for (var j = 0; j < ctx.areas[i].files.length; j++) {
        if (ctx.areas[i].files[j].id === fileId) return ctx.areas[i].files[j];
      }
    }
    return null;
  }

  async function poll() {
    if (polling) return;
    polling = true;
    var started = Date.now();
    try {
      while (Object.keys(pending).length) {
        await new Promise(function (resolve) { setTimeout(resolve, Date.now() - started < 10000 ? 800 : 2500); });
        var fresh = false;
        try { fresh = await refreshContext(); } catch (ignored) { /* offline for a moment: try again */ }
        Object.keys(pending).forEach(function (fileId) {
          var item = pending[fileId];
          var file = fresh ? recorded(fileId) : null;
          if (file && file.review === "rejected") {
            item.setState("rejected", t("state_rejected", { reason: reasonText(file.reject_reason) }));
          } else if (file) {
            item.setState("done");
          } else if (Date.now() - item.sentAt > POLL_GIVE_UP_MS) {
            item.setState("slow");
          } else {
            return;
          }
          delete pending[fileId];
        });
      }
    } finally {
      polling = false;
    }
  }

  function summarise(areaId) {
    // "All files have arrived" once every upload of the area is recorded; gone again with the next one.
    var view = areaViews[areaId];
    var allDone = view.items.length > 0 && view.items.every(function (item) { return item.state === "done"; });
    var shown = view.queue.nextElementSibling && view.queue.nextElementSibling.classList.contains("all-done");
    if (allDone && !shown) view.queue.after(el("p", { className: "notice notice-ok all-done", role: "status", text: t("all_done") }));
    if (!allDone && shown) view.queue.nextElementSibling.remove();
  }

  // ---- the form ------------------------------------------------------------------------------------

  var fieldViews = {};

  function compilesInBrowser(pattern) {
    // Browsers compile `pattern` with the `v` flag; staff write RE2 syntax, which mostly agrees. A pattern
    // the browser cannot compile is left to the server, which checks every value anyway.
    try { new RegExp("^(?:" + pattern + ")$", "v"); return true; } catch (error) { return false; }
  }

  function displayValue(field) {
    if (field.value === null || field.value === undefined) return "";
    if (field.type === "signature") return field.value.signed_at ? t("signature_done", { date: when(field.value.signed_at) }) : "";
    if (field.type === "decimal" && lang === "de") return String(field.value).replace(".", ",");
    return String(field.value);
  }

  /* Display text ("info"): shown in its place, in the page's language; never an input, never sent. */
  function infoText(field) {
    return (lang.slice(0, 2) === "en" && field.text_en) || field.text || "";
  }

  function renderInfo(field) {
    return el("div", { className: "field field-info", "data-field": field.id, role: "note", "aria-label": field.name }, [
      el("p", { className: "info-name", text: field.name }),
      el("p", { className: "info-text", text: infoText(field) }),
    ]);
  }

  /* A signature field: its state (signed when, or not yet), "Sign" opens the signature pad (signature.js: mouse,
     touch or pen, or the typed name by keyboard), "Remove" clears it when saved. The value sent is the new image
     (base64 PNG), null to clear, or the stored reference unchanged. */
  function renderSignatureField(field) {
    var id = idPrefix + "field-" + field.id;
    var errorId = idPrefix + "error-" + field.id;
    var stateId = id + "-state";
    var state = el("p", { className: "signature-state", id: stateId, "aria-live": "polite" });
    var error = el("p", { className: "field-error", id: errorId, hidden: true });
    var sign = el("button", { type: "button", className: "button button-small", id: id, "aria-describedby": stateId + " " + errorId });
    var remove = el("button", { type: "button", className: "button button-small button-quiet" });
    var holder = el("div", { className: "signature-holder" });
    var wrapper = el("fieldset", { className: "field field-signature", "data-field": field.id }, [
      el("legend", {}, [field.name, field.required ? requiredMarker("required") : null]),
      state, el("div", { className: "actions" }, [sign, remove]), holder, error,
    ]);
    var view = { field: field, input: sign, error: error, wrapper: wrapper, pad: null, removed: false };

    function show() {
      var signed = view.field.value && !view.removed;
      state.textContent = view.removed ? t("signature_removed") : signed ? displayValue(view.field) : t("signature_none");
      sign.textContent = view.field.value ? t("signature_again") : t("signature_sign");
      sign.hidden = !!view.pad;
      remove.hidden = !view.field.value || !!view.pad;
      // Errors point at what signs: the pad's keyboard alternative while it is open, else the button opening it.
      view.input = view.pad ? view.pad.element.querySelector("input[type=checkbox]") : sign;
      remove.textContent = view.removed ? t("signature_keep") : t("signature_remove");
    }
    function closePad() {
      view.pad = null;
      holder.replaceChildren();
      show();
    }
    sign.addEventListener("click", function () {
      if (!window.DossierSignaturePad) return;
      view.pad = window.DossierSignaturePad.create();
      view.removed = false;
      var nameId = id + "-name";
      var name = el("input", { type: "text", id: nameId, autocomplete: "name", maxlength: "200" });
      name.value = (ctx.customer && ctx.customer.name) || "";
      view.pad.useName(name.value);
      name.addEventListener("input", function () { view.pad.useName(name.value); });
      var cancel = el("button", { type: "button", className: "button button-small button-quiet", text: t("signature_cancel") });
      cancel.addEventListener("click", function () { closePad(); sign.focus(); });
      holder.replaceChildren(el("div", { className: "field" }, [el("label", { for: nameId, text: t("signature_name") }), name]),
        view.pad.element, el("div", { className: "actions" }, [cancel]));
      showFieldError(field.id, null);
      show();
      name.focus();
    });
    remove.addEventListener("click", function () {
      view.removed = !view.removed;
      show();
      remove.focus();
    });
    view.refresh = function (fresh) { view.field = fresh; view.removed = false; closePad(); };
    view.value = function () {
      if (view.pad && !view.pad.isEmpty()) return view.pad.png();
      if (view.removed) return null;
      return view.field.value === undefined ? null : view.field.value;
    };
    view.problem = function () {
      return field.required && view.value() === null ? t("signature_required") : null;
    };
    show();
    fieldViews[field.id] = view;
    return wrapper;
  }

  function renderField(field) {
    if (field.type === "info") return renderInfo(field);
    if (field.type === "signature") return renderSignatureField(field);
    var id = idPrefix + "field-" + field.id;
    var errorId = idPrefix + "error-" + field.id;
    var common = { id: id, name: field.id, required: field.required, "aria-describedby": errorId };
    var input;
    if (field.type === "multiline_text") {
      input = el("textarea", Object.assign({ rows: "4", maxlength: "10000" }, common));
    } else if (field.type === "boolean") {
      input = el("input", Object.assign({ type: "checkbox" }, common, { required: false }));
    } else if (field.type === "select") {
      input = el("select", common, [el("option", { value: "", text: t("choose") })].concat(field.options.map(function (option) {
        return el("option", { value: option, text: option });
      })));
    } else if (field.type === "number") {
      input = el("input", Object.assign({ type: "number", step: "1", inputmode: "numeric" }, common));
    } else if (field.type === "decimal") {
      input = el("input", Object.assign({ type: "text", inputmode: "decimal", pattern: "-?[0-9]{1,15}([.,][0-9]{1,6})?" }, common));
    } else if (field.type === "date") {
      input = el("input", Object.assign({ type: "date" }, common));
    } else if (field.type === "time") {
      input = el("input", Object.assign({ type: "time", step: "60" }, common));
    } else {
      input = el("input", Object.assign({ type: "text", maxlength: "10000" }, common));
      if (field.pattern && compilesInBrowser(field.pattern)) input.setAttribute("pattern", field.pattern);
    }
    if (field.type === "boolean") input.checked = field.value === true;
    else input.value = displayValue(field);

    var error = el("p", { className: "field-error", id: errorId, hidden: true });
    var label = field.type === "boolean"
      ? el("label", { className: "check", for: id }, [input, el("span", { text: field.name }), field.required ? requiredMarker("required") : null])
      : el("label", { for: id }, [field.name, field.required ? requiredMarker("required") : null]);
    var wrapper = el("div", { className: "field field-" + field.type, "data-field": field.id },
      field.type === "boolean" ? [label, error] : [label, input, error]);
    input.addEventListener("input", function () { showFieldError(field.id, null); });
    fieldViews[field.id] = { field: field, input: input, error: error, wrapper: wrapper };
    return wrapper;
  }

  function showFieldError(fieldId, message) {
    var view = fieldViews[fieldId];
    view.error.textContent = message || "";
    view.error.hidden = !message;
    view.wrapper.classList.toggle("invalid", !!message);
    if (message) view.input.setAttribute("aria-invalid", "true");
    else view.input.removeAttribute("aria-invalid");
  }

  function clientProblem(view) {
    if (view.problem) return view.problem();
    var input = view.input;
    var validity = input.validity;
    if (validity.valid) return null;
    if (validity.valueMissing) return t("field_required");
    if (view.field.type === "number") return t("field_number");
    if (view.field.type === "decimal") return t("field_decimal");
    if (view.field.type === "date") return t("field_date");
    if (view.field.type === "time") return t("field_time");
    if (validity.patternMismatch) return t("field_pattern");
    return input.validationMessage;
  }

  function valueOf(view) {
    if (view.value) return view.value();
    var input = view.input;
    var type = view.field.type;
    if (type === "boolean") return input.checked;
    var text = input.value.trim();
    if (text === "") return null;
    if (type === "decimal") return text.replace(",", ".");
    return type === "multiline_text" ? input.value : text;
  }

  function renderForm() {
    if (!ctx.attributes.length) return null;
    var fillable = ctx.attributes.filter(function (field) { return field.type !== "info"; });
    if (!fillable.length) return el("div", { className: "card form" }, [el("h2", { text: t("form_heading") })].concat(ctx.attributes.map(renderField)));
    var status = el("p", { className: "form-status", role: "status" });
    var button = el("button", { type: "submit", className: "button", text: t("save") });
    var form = el("form", { className: "card form", novalidate: true },
      [el("h2", { text: t("form_heading") })].concat(ctx.attributes.map(renderField), [button, status]));

    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      status.className = "form-status";
      var firstInvalid = null;
      var values = {};
      Object.keys(fieldViews).forEach(function (fieldId) {
        var view = fieldViews[fieldId];
        var problem = clientProblem(view);
        showFieldError(fieldId, problem);
        if (problem && !firstInvalid) firstInvalid = view.input;
        values[fieldId] = valueOf(view);
      });
      if (firstInvalid) {
        status.textContent = t("form_has_errors");
        status.classList.add("form-status-error");
        firstInvalid.focus();
        return;
      }
      button.disabled = true;
      status.textContent = t("saving");
      var reply;
      try {
        reply = await api("PUT", options.attributesPath || "attributes", values);
      } catch (error) {
        reply = null;
      } finally {
        button.disabled = false;
      }
      if (reply && reply.ok) {
        reply.data.attributes.forEach(function (field) {
          var view = fieldViews[field.id];
          if (!view) return;
          if (view.refresh) { view.refresh(field); return; }
          view.field = field;
          if (field.type === "boolean") view.input.checked = field.value === true;
          else view.input.value = displayValue(field);
        });
        status.textContent = t("saved");
        status.classList.add("form-status-ok");
        return;
      }
      status.classList.add("form-status-error");
      if (!reply) { status.textContent = t("error_network"); return; }
      if (reply.status === 404 || reply.status === 410) {
        showLinkProblem(reply.status);
        status.textContent = reply.status === 410 ? t("error_link_expired") : t("error_link_gone");
        return;
      }
      var unplaced = [];
      var details = errorCode(reply) ? reply.data.error.details || [] : [];
      details.forEach(function (detail) {
        var fieldId = String(detail.field || "").replace(/^attributes\./, "");
        if (fieldViews[fieldId]) {
          showFieldError(fieldId, t("field_server", { message: detail.message }));
          if (!firstInvalid) firstInvalid = fieldViews[fieldId].input;
        } else {
          unplaced.push(detail.message);
        }
      });
      status.textContent = firstInvalid ? t("form_has_errors") : (unplaced.join(" ") || t("error_server"));
      if (firstInvalid) firstInvalid.focus();
    });
    return form;
  }

  // ---- files for the customer and the contact ------------------------------------------------------

  var sentHolder = null;

  function renderSentList() {
    return el("ul", { className: "files" }, ctx.sent_files.map(function (file) {
      var link = el("a", { className: "button button-small", href: file.download_url || "#", rel: "noopener", text: t("download") });
      link.addEventListener("click", async function (event) {
        if (Date.now() - contextAt < STALE_DOWNLOAD_MS) return;
        // Download URLs are short-lived: fetch a fresh one for a page that stayed open a while.
        event.preventDefault();
        if (await refreshContext()) {
          var fresh = ctx.sent_files.filter(function (other) { return other.id === file.id; })[0];
          if (fresh && fresh.download_url) location.href = fresh.download_url;
        }
      });
      return el("li", { className: "file", "data-file-id": file.id }, [
        el("div", { className: "row" }, [el("span", { className: "name", text: file.filename }), link]),
        el("p", { className: "meta", text: size(file.size) + " · " + when(file.uploaded_at) }),
      ]);
    }));
  }

  function renderSent() {
    if (!ctx.sent_files.length) return null;
    sentHolder = el("div", {}, [renderSentList()]);
    return el("section", { className: "card sent" }, [el("h2", { text: t("sent_heading") }), sentHolder]);
  }

  function renderContact() {
    var branding = ctx.account.branding;
    var lines = [];
    if (branding.address) lines.push(el("p", { className: "address", text: branding.address }));
    if (branding.contact_email) lines.push(el("p", {}, [el("a", { href: "mailto:" + branding.contact_email, text: branding.contact_email })]));
    if (branding.contact_phone) lines.push(el("p", {}, [el("a", { href: "tel:" + branding.contact_phone.replace(/[^0-9+]/g, ""), text: branding.contact_phone })]));
    if (!lines.length) return null;
    return el("footer", { className: "card contact" }, [el("h2", { text: t("contact") }), el("p", { className: "company", text: branding.company_name })].concat(lines));
  }

  return {
    el: el, t: t, size: size, when: when,
    banner: banner,
    renderHeader: renderHeader, renderIntro: renderIntro, renderAreas: renderAreas, renderArea: renderArea,
    renderForm: renderForm, renderChecklist: renderChecklist, renderSent: renderSent, renderContact: renderContact,
    // The home reads its context again for every part at once and hands each instance its share.
    update: function (fresh) { ctx = fresh; contextAt = Date.now(); refreshAreaLists(); },
    refresh: refreshContext,
  };
  }

  window.DossierPortal = { create: create };

  var root = document.getElementById("portal");
  if (!root) return;
  var page = create({
    texts: JSON.parse(document.getElementById("portal-texts").textContent),
    context: JSON.parse(document.getElementById("portal-context").textContent),
  });
  root.replaceChildren(page.renderHeader(), page.banner, page.renderIntro(), page.renderAreas() || "", page.renderForm() || "",
    page.renderChecklist() || "", page.renderSent() || "", page.renderContact() || "");
}());
