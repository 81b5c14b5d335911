/* The signature pad and the approval dialog of the portal home.
   DossierSignaturePad.create({label}) gives {element, isEmpty(), png(), clear()}: a canvas drawn with mouse, touch
   or pen (pointer events), undo and clear, and a keyboard alternative: "sign with my typed name" renders the
   name as the signature image. png() is the image as base64 PNG (without the data: prefix).
   The approval dialog registers itself as DossierHome.approvalDialog (see home.js). */
(function () {
  "use strict";

  var lang = (document.documentElement.lang || "de").slice(0, 2);
  var TEXTS = {
    de: {
      pad: "Unterschrift", pad_hint: "Mit Maus, Finger oder Stift im Feld unterschreiben.",
      canvas: "Unterschriftsfeld", undo: "Letzten Strich zurücknehmen", clear: "Löschen",
      typed: "Statt zu zeichnen: meinen eingegebenen Namen als Unterschrift verwenden",
      title: "Dokument freigeben", open: "Dokument ansehen", name: "Ihr vollständiger Name",
      comment: "Kommentar (optional)", approve: "Freigeben", decline: "Ablehnen", cancel: "Abbrechen",
      need_name: "Bitte geben Sie Ihren Namen ein.", need_signature: "Bitte unterschreiben Sie (zeichnen oder Namen verwenden).",
      failed: "Das hat nicht geklappt. Bitte versuchen Sie es noch einmal.", decided: "Dieses Dokument wurde bereits entschieden.",
      done_approved: "Vielen Dank: Das Dokument ist freigegeben.", done_declined: "Das Dokument ist abgelehnt."
    },
    en: {
      pad: "Signature", pad_hint: "Sign in the box with mouse, finger or pen.",
      canvas: "Signature box", undo: "Undo last stroke", clear: "Clear",
      typed: "Instead of drawing: use my typed name as my signature",
      title: "Approve document", open: "View document", name: "Your full name",
      comment: "Comment (optional)", approve: "Approve", decline: "Decline", cancel: "Cancel",
      need_name: "Please enter your name.", need_signature: "Please sign (draw, or use your name).",
      failed: "That did not work. Please try again.", decided: "This document was decided already.",
      done_approved: "Thank you: the document is approved.", done_declined: "The document is declined."
    }
  };
  var T = TEXTS[lang] || TEXTS.de;
  var WIDTH = 600, HEIGHT = 200;
  var counter = 0;

  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      if (key === "text") node.textContent = props[key];
      else if (key === "className") node.className = props[key];
      else if (key === "htmlFor") node.htmlFor = props[key];
      else if (key in node && typeof props[key] !== "string") node[key] = props[key];
      else node.setAttribute(key, props[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function createPad(options) {
    var id = "signature-" + (++counter);
    var strokes = [];
    var typedName = "";
    var canvas = el("canvas", { width: WIDTH, height: HEIGHT, role: "img", "aria-label": T.canvas,
      "data-signature-canvas": "" });
    canvas.style.width = "100%"; canvas.style.maxWidth = WIDTH + "px"; canvas.style.height = "auto";
    canvas.style.aspectRatio = WIDTH + " / " + HEIGHT; canvas.style.touchAction = "none";
    canvas.style.border = "1px solid currentColor"; canvas.style.borderRadius = "6px"; canvas.style.background = "#fff";
    canvas.style.display = "block";
    var ctx = canvas.getContext("2d");
    var typed = el("input", { type: "checkbox", id: id + "-typed" });
    var hint = el("p", { className: "hint", id: id + "-hint", text: T.pad_hint });
    canvas.setAttribute("aria-describedby", hint.id);

    function redraw() {
      ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, WIDTH, HEIGHT);
      ctx.strokeStyle = "#111"; ctx.fillStyle = "#111"; ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.lineJoin = "round";
      if (typed.checked) {
        var size = 64;
        ctx.font = "italic " + size + "px cursive, serif";
        while (size > 16 && ctx.measureText(typedName).width > WIDTH - 40) { size -= 4; ctx.font = "italic " + size + "px cursive, serif"; }
        ctx.textBaseline = "middle";
        ctx.fillText(typedName, 20, HEIGHT / 2);
        return;
      }
      strokes.forEach(function (stroke) {
        ctx.beginPath();
        stroke.forEach(function (p, i) { if (i) ctx.lineTo(p[0], p[1]); else ctx.moveTo(p[0], p[1]); });
        if (stroke.length === 1) ctx.lineTo(stroke[0][0] + 0.5, stroke[0][1] + 0.5);
        ctx.stroke();
      });
    }

    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return [(event.clientX - rect.left) * WIDTH / rect.width, (event.clientY - rect.top) * HEIGHT / rect.height];
    }
    var drawing = null;
    canvas.addEventListener("pointerdown", function (event) {
      if (typed.checked) return;
      event.preventDefault();
      drawing = [point(event)];
      strokes.push(drawing);
      if (canvas.setPointerCapture) try { canvas.setPointerCapture(event.pointerId); } catch (ignored) { /* synthetic */ }
      redraw();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      drawing.push(point(event));
      redraw();
    });
    function stop() { drawing = null; }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    canvas.addEventListener("pointerleave", stop);

    var undo = el("button", { type: "button", className: "button button-small button-quiet", text: T.undo });
    undo.addEventListener("click", function () { strokes.pop(); redraw(); });
    var clear = el("button", { type: "button", className: "button button-small button-quiet", text: T.clear });
    clear.addEventListener("click", function () { strokes = []; redraw(); });
    typed.addEventListener("change", function () {
      undo.disabled = clear.disabled = typed.checked;
      redraw();
    });

    var element = el("fieldset", { className: "signature-pad" }, [
      el("legend", { text: options && options.label || T.pad }),
      hint,
      canvas,
      el("div", { className: "actions" }, [undo, clear]),
      el("div", { className: "checkbox" }, [typed, el("label", { htmlFor: typed.id, text: T.typed })])
    ]);
    redraw();
    return {
      element: element,
      useName: function (name) { typedName = name || ""; if (typed.checked) redraw(); },
      isEmpty: function () { return typed.checked ? !typedName.trim() : !strokes.length; },
      png: function () { redraw(); return canvas.toDataURL("image/png").split(",", 2)[1]; },
      clear: function () { strokes = []; typed.checked = false; redraw(); }
    };
  }

  window.DossierSignaturePad = { create: createPad };

  function approvalDialog(approval, hooks) {
    var pad = createPad();
    var name = el("input", { type: "text", id: "approval-signer", autocomplete: "name", required: true, maxLength: 200 });
    name.addEventListener("input", function () { pad.useName(name.value); });
    var comment = el("textarea", { id: "approval-comment", maxLength: 2000, rows: 3 });
    var error = el("p", { className: "notice notice-error", role: "alert" });
    error.hidden = true;
    var dialog = el("dialog", { className: "approval-dialog", "aria-labelledby": "approval-title" });
    dialog.style.maxWidth = "min(640px, 96vw)"; dialog.style.width = "100%"; dialog.style.boxSizing = "border-box";
    var buttons = [];

    function close() {
      dialog.close();
      dialog.remove();
      if (hooks.returnFocus && document.contains(hooks.returnFocus)) hooks.returnFocus.focus();
    }

    async function decide(decision) {
      error.hidden = true;
      if (!name.value.trim()) { error.textContent = T.need_name; error.hidden = false; name.focus(); return; }
      if (pad.isEmpty()) { error.textContent = T.need_signature; error.hidden = false; return; }
      buttons.forEach(function (b) { b.disabled = true; });
      var reply = await hooks.request("POST", "approvals/" + encodeURIComponent(approval.id), {
        decision: decision, signer_name: name.value.trim(), signature_png: pad.png(),
        comment: comment.value.trim() || null });
      buttons.forEach(function (b) { b.disabled = false; });
      if (!reply.ok) {
        error.textContent = reply.status === 409 ? T.decided : (reply.data && reply.data.error && reply.data.error.message) || T.failed;
        error.hidden = false;
        return;
      }
      close();
      var status = document.getElementById("approval-status") || el("p", { id: "approval-status", role: "status", className: "visually-hidden" });
      if (!status.parentNode) document.body.appendChild(status);
      status.textContent = decision === "approved" ? T.done_approved : T.done_declined;
      hooks.done();
    }

    var approve = el("button", { type: "button", className: "button", text: T.approve, "data-decision": "approved" });
    approve.addEventListener("click", function () { decide("approved"); });
    var decline = el("button", { type: "button", className: "button button-quiet", text: T.decline, "data-decision": "declined" });
    decline.addEventListener("click", function () { decide("declined"); });
    var cancel = el("button", { type: "button", className: "button button-quiet", text: T.cancel });
    cancel.addEventListener("click", close);
    buttons = [approve, decline, cancel];
    dialog.addEventListener("cancel", function (event) { event.preventDefault(); close(); });

    dialog.append(
      el("h2", { id: "approval-title", text: T.title }),
      el("p", {}, [el("strong", { text: approval.filename || "" })]),
      approval.message ? el("p", { className: "note", text: approval.message }) : null,
      approval.download_url ? el("p", {}, [el("a", { href: approval.download_url, rel: "noopener", text: T.open })]) : null,
      el("div", { className: "field" }, [el("label", { htmlFor: name.id, text: T.name }), name]),
      pad.element,
      el("div", { className: "field" }, [el("label", { htmlFor: comment.id, text: T.comment }), comment]),
      error,
      el("div", { className: "actions" }, buttons)
    );
    document.body.appendChild(dialog);
    dialog.showModal();
    name.focus();
  }

  if (window.DossierHome) {
    window.DossierHome.approvalDialog = approvalDialog;
    if (window.DossierHome.refresh) window.DossierHome.refresh();
  }
})();
