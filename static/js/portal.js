/* Tyndau: small enhancements on top of pages that work without JavaScript (no inline scripts: the CSP forbids them).
 *
 * 1. Upload progress: the documents step's <progress> (#upload-progress) follows htmx's htmx:xhr:progress events.
 * 2. Busy state: a form or link marked data-busy (and every htmx form that posts, and every download link
 *    styled as a button) says it is working: aria-busy on it, the control shows data-busy-label and a spinner,
 *    a second click is ignored. A busy download stays busy until its file has arrived.
 *    Every form that posts is sent once: the button pressed is disabled until the answer (the next page, or
 *    htmx's answer, error included), and a second click or Enter meanwhile sends nothing. Back to the page
 *    (pageshow), or no answer within SENDING_MS (a post answered by a download), enables it again. Without
 *    JavaScript nothing is ever disabled; the submissions that must happen once also carry a key the server
 *    checks.
 * 3. Print: buttons marked data-print are shown (hidden without JavaScript) and open the print dialog.
 * 4. Errors where they were made: the portal's 409/413/422/429 answers carry their own message and are swapped
 *    like a 200; any other failure (a 5xx, a 403, no network) shows the page's translated alert next to the
 *    element that made the request (<body data-error-message / data-network-error-message>).
 */
(function () {
  "use strict";

  // --- 4. errors where they were made --------------------------------------------------------
  // htmx 2 swaps nothing but 2xx by default, so a form's 422 (its errors) or a taken slot's 409 would show
  // nothing at all. These answers are the partial the target expects (or, for a 413/429 that no view saw,
  // an alert the server retargets next to the form): swap them. Every other 4xx/5xx: not swapped, an alert.
  if (window.htmx) {
    window.htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "(409|413|422|429)", swap: true, error: false },
      { code: "[45]..", swap: false, error: true },
      { code: "...", swap: false }
    ];
  }

  var ALERT = "data-htmx-alert";

  function clearAlerts(el) {
    var next = el && el.nextElementSibling;
    while (next && next.hasAttribute(ALERT)) {
      var after = next.nextElementSibling;
      next.remove();
      next = after;
    }
  }

  function showAlert(el, message) {
    if (!message) return;
    if (!el || !el.isConnected || el === document.body || el === document.documentElement) {
      el = document.getElementById("main");
      if (!el) return;
      var top = document.createElement("p");
      top.className = "notice notice-error";
      top.setAttribute("role", "alert");
      top.setAttribute(ALERT, "");
      top.textContent = message;
      el.insertBefore(top, el.firstChild);
      return;
    }
    clearAlerts(el);
    var alert = document.createElement("p");
    alert.className = "notice notice-error";
    alert.setAttribute("role", "alert");
    alert.setAttribute(ALERT, "");
    alert.textContent = message;  // text, never HTML
    el.insertAdjacentElement("afterend", alert);
  }

  document.addEventListener("htmx:beforeRequest", function (event) { clearAlerts(sourceOf(event)); });
  document.addEventListener("htmx:responseError", function (event) {
    showAlert(sourceOf(event), document.body.getAttribute("data-error-message"));
  });
  function networkError(event) {
    showAlert(sourceOf(event), document.body.getAttribute("data-network-error-message") ||
                               document.body.getAttribute("data-error-message"));
  }
  document.addEventListener("htmx:sendError", networkError);
  document.addEventListener("htmx:timeout", networkError);

  // --- 2. busy state -------------------------------------------------------------------------
  var BUSY = "is-busy";

  function submitterOf(el) {
    if (el.matches("a, button")) return el;
    return el.querySelector("button[type=submit], button:not([type]), input[type=submit]");
  }

  function setBusy(el, busy, pressed) {
    var control = pressed || submitterOf(el);
    el.setAttribute("aria-busy", busy ? "true" : "false");
    if (!busy) enableSent(el);
    if (!control) return;
    control.classList.toggle(BUSY, busy);
    if (busy) {
      control.setAttribute("aria-disabled", "true");
      var label = el.getAttribute("data-busy-label") || control.getAttribute("data-busy-label");
      if (label && control.dataset.idleLabel === undefined) {
        control.dataset.idleLabel = control.textContent;
        control.textContent = label;
      }
    } else {
      control.removeAttribute("aria-disabled");
      if (control.dataset.idleLabel !== undefined) {
        control.textContent = control.dataset.idleLabel;
        delete control.dataset.idleLabel;
      }
    }
  }

  function isHtmx(el) {
    return el.hasAttribute("hx-post") || el.hasAttribute("hx-get") || el.hasAttribute("hx-put");
  }

  // A form that posts is sent once. Captured on the document, so a second submit of an htmx form is stopped
  // before htmx's own listener on the form could queue it behind the first.
  var SENDING_MS = 20000;

  function posts(form) {
    if (form.hasAttribute("hx-post")) return true;
    return !isHtmx(form) && (form.getAttribute("method") || "").toLowerCase() === "post";
  }

  // The pressed button is disabled only after this turn of the event loop: a button disabled while the submit
  // event runs would drop its own name=value from what the form sends.
  function disableSent(form, button) {
    if (!button) return;
    form._sentButton = button;
    window.setTimeout(function () { if (form._sentButton === button) button.disabled = true; }, 0);
    form._sentTimer = window.setTimeout(function () { setBusy(form, false, button); }, SENDING_MS);
  }

  function enableSent(form) {
    if (form._sentTimer) window.clearTimeout(form._sentTimer);
    if (form._sentButton) form._sentButton.disabled = false;
    form._sentButton = form._sentTimer = null;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !posts(form)) return;
    if (form.getAttribute("aria-busy") === "true") {  // already on its way: no second post
      event.preventDefault();
      if (isHtmx(form)) event.stopImmediatePropagation();  // nor queued by htmx behind the first
      return;
    }
    var pressed = event.submitter && event.submitter.isConnected && !event.submitter.hidden ? event.submitter : null;
    setBusy(form, true, form.hasAttribute("data-busy") ? null : pressed);
    disableSent(form, pressed || submitterOf(form));
  }, true);

  // htmx sent nothing after all (its own validation stopped it): the form can be sent again.
  document.addEventListener("htmx:validation:halted", function (event) {
    var form = sourceOf(event) || event.target;
    if (form && form.matches && form.matches("form")) setBusy(form, false);
  });

  // A download that takes a while (a PDF rendered, a case archive built): busy until the file has arrived.
  // The file is fetched and handed to the browser as a download; on any trouble the link is simply followed,
  // so the portal's own answer (an error page, a log-in) shows as it would without JavaScript.
  var DOWNLOADS = "a[data-busy], a.button[download]";

  function filenameOf(response, link) {
    var header = response.headers.get("Content-Disposition") || "";
    var star = /filename\*=UTF-8''([^;]+)/i.exec(header);
    if (star) return decodeURIComponent(star[1]);
    var plain = /filename="?([^";]+)"?/i.exec(header);
    if (plain) return plain[1];
    return link.getAttribute("download") || link.pathname.split("/").pop();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(DOWNLOADS);
    if (!link || event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey ||
        event.altKey) return;
    event.preventDefault();
    if (link.getAttribute("aria-busy") === "true") return;  // already on its way
    if (!window.fetch || !window.URL || !URL.createObjectURL) { window.location.href = link.href; return; }
    setBusy(link, true);
    fetch(link.href, { credentials: "same-origin" }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (!response.ok || response.redirected || type.indexOf("text/html") === 0) throw new Error("not a file");
      return response.blob().then(function (blob) {
        var url = URL.createObjectURL(blob), save = document.createElement("a");
        save.href = url;
        save.download = filenameOf(response, link);
        save.hidden = true;
        document.body.appendChild(save);
        save.click();
        save.remove();
        window.setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
      });
    }).catch(function () {
      window.location.href = link.href;
    }).then(function () {
      setBusy(link, false);
    });
  });

  // Back to a page from the browser's cache: nothing is working any more.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("[aria-busy=true]").forEach(function (el) { setBusy(el, false); });
  });

  // The element that issued an htmx request (a detached one hands its later events to an ancestor).
  function sourceOf(event) {
    var detail = event.detail || {};
    return (detail.requestConfig && detail.requestConfig.elt) || detail.elt;
  }

  function htmxBusyElement(event) {
    var el = sourceOf(event);
    if (!el || !el.matches) return null;
    return el.matches("[data-busy], form[hx-post]") ? el : null;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var el = htmxBusyElement(event);
    if (el) setBusy(el, true);
    if (el && el.matches("form[hx-encoding]")) progress.start(el);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var el = htmxBusyElement(event);
    if (el && document.contains(el)) setBusy(el, false);
    if (progress.form && sourceOf(event) === progress.form) progress.stop();
  });

  // --- 1. upload progress --------------------------------------------------------------------
  var progress = {
    box: null, bar: null, text: null, form: null, uploading: false,

    start: function (form) {
      this.box = document.getElementById("upload-progress");
      if (!this.box) return;
      this.bar = this.box.querySelector("progress");
      this.text = this.box.querySelector("[data-progress-text]");
      var file = form.querySelector("input[type=file]");
      var name = file && file.files && file.files[0] ? file.files[0].name : "";
      this.box.querySelector("[data-progress-name]").textContent = name;
      this.bar.value = 0;
      this.bar.max = 100;
      this.text.textContent = "0%";
      this.uploading = true;
      this.form = form;
      this.box.hidden = false;
      var list = document.getElementById("checklist");
      if (list) list.setAttribute("aria-busy", "true");
    },

    update: function (detail) {
      if (!this.box || !this.uploading || !detail.lengthComputable || !detail.total) return;
      var percent = Math.min(100, Math.round(detail.loaded * 100 / detail.total));
      this.bar.value = percent;
      this.text.textContent = percent + "%";
    },

    // The file has left the browser; the portal now checks it (type, size, hash): an indeterminate bar.
    sent: function () {
      if (!this.box || !this.uploading) return;
      this.uploading = false;
      this.bar.removeAttribute("value");
      this.text.textContent = this.box.getAttribute("data-checking-label") || "";
    },

    stop: function () {
      if (!this.box) return;
      this.box.hidden = true;
      this.uploading = false;
      var list = document.getElementById("checklist");
      if (list) list.removeAttribute("aria-busy");
      this.box = null;
      this.form = null;
    }
  };

  // Upload and download events both come as htmx:xhr:*; the upload's end is the first loadend.
  document.addEventListener("htmx:xhr:progress", function (event) {
    if (event.target === progress.form) progress.update(event.detail);
  });
  document.addEventListener("htmx:xhr:loadend", function (event) {
    if (event.target === progress.form) progress.sent();
  });

  // --- 3. print ------------------------------------------------------------------------------
  function enablePrint(root) {
    root.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      if (button.dataset.printReady) return;
      button.dataset.printReady = "1";
      button.addEventListener("click", function () { window.print(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enablePrint(document); });
  } else {
    enablePrint(document);
  }
})();
