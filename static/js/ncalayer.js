/* Tyndau: "Sign with NCALayer" (templates/macros/ncalayer.html; no inline scripts: the CSP forbids them).
 *
 * NCALayer is a local application with a WebSocket server (NCALAYER_URL, wss://127.0.0.1:13579). A page
 * connects, NCALayer greets with {"result": {"version": "…"}}, then answers one request at a time:
 * {"module": "kz.gov.pki.knca.commonUtils", "method": M, "args": […]} → {"code": "200", "responseObject": …};
 * anything else is an error with its code and message ({"code": "500", "message": "action.canceled"} when the
 * person closes NCALayer's dialog).
 *
 * The client below has the shape of the npm package ncalayer-js-client (connect, getActiveTokens, signXml),
 * written here rather than vendored: the package's current version (1.5.6) also fetches
 * https://127.0.0.1:24680/ (KAZTOKEN mobile) and sends a KAZTOKEN request on every connect, whatever its
 * constructor option says, which the CSP (connect-src: exactly NCALAYER_URL) would log as a violation and
 * Chromium would ask about as a second local-network address; and it has no connect timeout.
 *
 * The button: disabled while it works (one signature per click); the XML comes from the portal (GET xml_url,
 * or POST the data form's fields to it); an answer that is not XML (the form's fields have errors, the session
 * ended) is shown by submitting the data form there the ordinary way, so nothing typed is lost; otherwise the
 * signed XML goes into the form's target field and the form is submitted as if its button were pressed.
 */
(function () {
  "use strict";

  var CONNECT_TIMEOUT_MS = 5000;
  var COMMON_UTILS = "kz.gov.pki.knca.commonUtils";

  // --- the client --------------------------------------------------------------------------

  /** kind: "unavailable" (no connection), "canceled" (the person closed the dialog) or "failed". */
  function NCALayerError(kind, detail) {
    this.kind = kind;
    this.detail = detail || "";
  }

  function NCALayerClient(url) {
    this.url = url;
    this.socket = null;
    this.pending = null;  // {resolve, reject} of the one request on its way
  }

  NCALayerClient.prototype.connect = function (timeoutMs) {
    var self = this;
    return new Promise(function (resolve, reject) {
      var socket, done = false;
      function fail(detail) {
        if (done) return;
        done = true;
        window.clearTimeout(timer);
        self.close();
        reject(new NCALayerError("unavailable", detail));
      }
      var timer = window.setTimeout(function () { fail("timeout"); }, timeoutMs || CONNECT_TIMEOUT_MS);
      try {
        socket = self.socket = new WebSocket(self.url);
      } catch (e) {  // a malformed address, or one the CSP refuses
        fail(String(e && e.message || e));
        return;
      }
      socket.onerror = function () { fail("error"); };
      socket.onclose = function () { fail("closed"); };
      socket.onmessage = function (event) {
        if (done) return;
        var greeting = parse(event.data);
        if (!greeting || !greeting.result || !greeting.result.version) { fail("no greeting"); return; }
        done = true;
        window.clearTimeout(timer);
        socket.onmessage = function (message) { self.answer(message.data); };
        socket.onclose = socket.onerror = function () {
          self.settle(null, new NCALayerError("failed", "NCALayer closed the connection"));
        };
        resolve(greeting.result.version);
      };
    });
  };

  NCALayerClient.prototype.request = function (method, args) {
    var self = this;
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new NCALayerError("unavailable", "not connected"));
    }
    if (this.pending) return Promise.reject(new NCALayerError("failed", "busy"));
    return new Promise(function (resolve, reject) {
      self.pending = { resolve: resolve, reject: reject };
      self.socket.send(JSON.stringify({ module: COMMON_UTILS, method: method, args: args }));
    });
  };

  NCALayerClient.prototype.answer = function (data) {
    var response = parse(data);
    if (!response) { this.settle(null, new NCALayerError("failed", "unreadable answer")); return; }
    if (String(response.code) === "200") { this.settle(response.responseObject); return; }
    var message = response.message || "";
    var kind = message === "action.canceled" ? "canceled" : "failed";
    this.settle(null, new NCALayerError(kind, [response.code, message].filter(Boolean).join(": ")));
  };

  NCALayerClient.prototype.settle = function (value, error) {
    var pending = this.pending;
    this.pending = null;
    if (!pending) return;
    if (error) pending.reject(error); else pending.resolve(value);
  };

  // The plugged-in hardware tokens; [] (a key file) when there are none, and also when this NCALayer does not
  // answer the call (it is optional: every NCALayer signs with a key file), unless the connection is gone.
  NCALayerClient.prototype.getActiveTokens = function () {
    return this.request("getActiveTokens", []).catch(function (error) {
      if (error instanceof NCALayerError && error.kind === "failed" && error.detail !== "NCALayer closed the connection") {
        return [];
      }
      throw error;
    });
  };

  NCALayerClient.prototype.signXml = function (storage, keyType, xml, tbsXPath, parentXPath) {
    return this.request("signXml", [storage, keyType, xml, tbsXPath || "", parentXPath || ""]);
  };

  NCALayerClient.prototype.close = function () {
    var socket = this.socket;
    this.socket = null;
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
    try { socket.close(); } catch (e) { /* already closed */ }
  };

  function parse(data) {
    try { return JSON.parse(data); } catch (e) { return null; }
  }

  // --- the button --------------------------------------------------------------------------

  function NotXml() {}

  function csrfToken(form) {
    var field = form && form.querySelector("input[name=csrf_token]");
    if (field) return field.value;
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) {
      return "";
    }
  }

  // The form whose fields make the document (xml_form), or null: the document is fetched with GET.
  function dataFormOf(box) {
    var id = box.getAttribute("data-xml-form");
    return id ? document.getElementById(id) : null;
  }

  // The document to sign, exactly as the portal prepared it.
  function fetchXml(box) {
    var url = box.getAttribute("data-xml-url");
    var dataForm = dataFormOf(box);
    var init = { credentials: "same-origin", headers: { "Accept": "application/xml" } };
    if (dataForm) {
      var data = new FormData();
      new FormData(dataForm).forEach(function (value, name) {
        if (typeof value === "string") data.append(name, value);  // the typed fields; files are not in the XML
      });
      init.method = "POST";
      init.body = data;
      init.headers["X-CSRFToken"] = csrfToken(dataForm);
    }
    return fetch(url, init).then(function (response) {
      var type = (response.headers.get("Content-Type") || "").toLowerCase();
      if (!response.ok || response.redirected || !/^(application|text)\/xml\b/.test(type)) throw new NotXml();
      return response.text();
    }, function () { throw new NotXml(); });
  }

  // The portal's own answer, as without JavaScript: the data form posted to xml_url, or xml_url opened.
  function showPortalAnswer(box) {
    var url = box.getAttribute("data-xml-url");
    var dataForm = dataFormOf(box);
    if (!dataForm) { window.location.assign(url); return; }
    var submit = document.createElement("button");
    submit.type = "submit";
    submit.hidden = true;
    submit.formAction = url;
    submit.formMethod = "post";
    submit.formNoValidate = true;
    dataForm.appendChild(submit);
    dataForm.requestSubmit(submit);
    submit.remove();
  }

  function targetField(form, name) {
    var field = form.elements.namedItem(name);
    if (field && !field.tagName && field.length) field = field[0];  // a RadioNodeList: the first of that name
    if (!field) {
      field = document.createElement("textarea");
      field.name = name;
      field.hidden = true;
      form.appendChild(field);
    }
    return field;
  }

  // The form's own submit button (not one that posts elsewhere), so the post is what pressing it would send.
  function submitterOf(form) {
    var buttons = form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]");
    for (var i = 0; i < buttons.length; i++) {
      if (!buttons[i].hasAttribute("formaction") && !buttons[i].closest("[data-ncalayer]")) return buttons[i];
    }
    return null;
  }

  function showState(box, state, detail) {
    box.querySelector("[data-ncalayer-progress]").hidden = state !== "working";
    box.querySelector("[data-ncalayer-sending]").hidden = state !== "sending";
    var errors = box.querySelector("[data-ncalayer-errors]");
    var shown = false;
    errors.querySelectorAll("[data-ncalayer-error]").forEach(function (el) {
      var on = el.getAttribute("data-ncalayer-error") === state;
      el.hidden = !on;
      shown = shown || on;
    });
    box.querySelector("[data-ncalayer-detail]").textContent = state === "failed" ? (detail || "") : "";
    errors.hidden = !shown;
  }

  function sign(box, button) {
    if (button.disabled) return;  // one signature per click
    var form = button.form || box.closest("form");
    var client = null;
    button.disabled = true;
    showState(box, "working");
    fetchXml(box).then(function (xml) {
      client = new NCALayerClient(box.getAttribute("data-ncalayer-url"));
      return client.connect(CONNECT_TIMEOUT_MS).then(function () {
        return client.getActiveTokens();
      }).then(function (tokens) {
        // [] when no hardware token is plugged in: a key file.
        var storage = Array.isArray(tokens) && tokens.length ? tokens[0] : "PKCS12";
        return client.signXml(storage, box.getAttribute("data-key-type") || "SIGNATURE", xml, "", "");
      });
    }).then(function (signed) {
      client.close();
      if (typeof signed !== "string" || !signed) throw new NCALayerError("failed", "empty answer");
      targetField(form, box.getAttribute("data-target") || "signed_text").value = signed;
      showState(box, "sending");  // NCALayer is done; the portal now checks the signature
      var submitter = submitterOf(form);
      if (submitter) form.requestSubmit(submitter); else form.requestSubmit();
    }).catch(function (error) {
      if (client) client.close();
      button.disabled = false;
      if (error instanceof NotXml) {
        showState(box, "none");
        showPortalAnswer(box);
        return;
      }
      var kind = error instanceof NCALayerError ? error.kind : "failed";
      showState(box, kind, error instanceof NCALayerError ? error.detail : String(error && error.message || error));
    });
  }

  function enable(root) {
    root.querySelectorAll("[data-ncalayer]").forEach(function (box) {
      var button = box.querySelector("[data-ncalayer-button]");
      if (!button || box.dataset.ncalayerReady || !window.WebSocket || !window.fetch) return;
      box.dataset.ncalayerReady = "1";
      box.hidden = false;
      button.addEventListener("click", function () { sign(box, button); });
    });
  }

  // Back to the page from the browser's cache: the button works again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("[data-ncalayer]").forEach(function (box) {
      box.querySelector("[data-ncalayer-button]").disabled = false;
      showState(box, "none");
    });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enable(document); });
  } else {
    enable(document);
  }
})();
