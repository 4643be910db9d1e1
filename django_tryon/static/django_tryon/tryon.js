/* django-tryon shopper widget. No dependencies, no build step; one global: DjangoTryOn.
   Each [data-tryon-widget] on the page is independent. Texts come translated from the
   page (the JSON config), so this file holds no language. Events (bubbling CustomEvents
   on the widget, mirrored to window.dataLayer when present): tryon:open, tryon:submit,
   tryon:success, tryon:error, tryon:download, tryon:delete, tryon:add_to_cart (cancelable). */
(function () {
  "use strict";
  if (window.DjangoTryOn) return;

  var instances = [];
  var FOCUSABLE = "button, [href], input, textarea, select, [tabindex]:not([tabindex='-1'])";

  function one(root, selector) { return root.querySelector(selector); }
  function all(root, selector) { return Array.prototype.slice.call(root.querySelectorAll(selector)); }
  function fill(text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (m, key) { return key in values ? values[key] : m; });
  }
  function clock(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  // Decode with the orientation applied, downscale to maxEdge, re-encode as JPEG (which
  // drops EXIF, GPS included) at the best quality that fits the target size. null: the
  // browser can't read it, so the server (which checks everything again) must judge.
  function decode(file) {
    if (window.createImageBitmap) return createImageBitmap(file, { imageOrientation: "from-image" });
    return new Promise(function (resolve, reject) {
      var img = new Image();
      var url = URL.createObjectURL(file);
      img.onload = function () { URL.revokeObjectURL(url); resolve(img); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("decode")); };
      img.src = url;
    });
  }
  function encode(canvas, quality) {
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", quality); });
  }
  async function prepare(file, maxEdge, targetBytes) {
    var source;
    try { source = await decode(file); } catch (e) { return null; }
    var scale = Math.min(1, maxEdge / Math.max(source.width, source.height));
    var canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(source.width * scale));
    canvas.height = Math.max(1, Math.round(source.height * scale));
    var ctx = canvas.getContext("2d");
    ctx.imageSmoothingQuality = "high";
    ctx.fillStyle = "#fff"; // transparent PNGs get a white background, not black
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
    if (source.close) source.close();
    var blob = null;
    var qualities = [0.88, 0.8, 0.7, 0.6, 0.5];
    for (var i = 0; i < qualities.length; i++) {
      blob = await encode(canvas, qualities[i]);
      if (blob && blob.size <= targetBytes) break;
    }
    canvas.width = canvas.height = 0;
    return blob;
  }

  // Events for the shop's conversion report: batched, sent every 2 s and when the page is left.
  // The server may start the shopper's session with a batch, as with a photo: the two never
  // travel together (holds), or one session could overwrite the other.
  var queue = [], sendTo = null, sendTimer = null, sending = Promise.resolve(), holds = 0;
  function track(widget, type, product) {
    var url = widget.config.eventsUrl;
    if (!url) return;
    sendTo = { url: url, csrf: widget.csrf() };
    // The product as "app_label.model:pk", unambiguous when several models are products.
    queue.push({ type: type, product: product || widget.config.product, job: widget.job ? widget.job.token : null });
    if (!sendTimer) sendTimer = setTimeout(flush, 2000);
  }
  function flush() {
    clearTimeout(sendTimer);
    sendTimer = holds ? setTimeout(flush, 2000) : null;
    return holds ? sending : send();
  }
  function send() {
    while (queue.length) {
      sending = Promise.all([sending, fetch(sendTo.url, {
        method: "POST", keepalive: true, credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": sendTo.csrf },
        body: JSON.stringify({ events: queue.splice(0, 50) })
      }).catch(function () {})]);
    }
    return sending;
  }
  window.addEventListener("pagehide", send);
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") send(); });

  function TryOn(root) {
    this.root = root;
    this.config = JSON.parse(one(root, "script[type='application/json']").textContent);
    this.t = this.config.strings;
    this.dialog = one(root, "[data-tryon-dialog]");
    this.opener = one(root, "[data-tryon-open]");
    this.form = one(root, "form[data-step='choose']");
    this.consent = one(root, "[data-tryon-consent]");
    this.chooseText = this.el("choose-label").textContent;
    this.photo = null; // the Blob to upload
    this.job = null; // the last status payload of the running or finished job
    this.generation = 0; // bumped whenever a job is left behind, so late answers are ignored
    this.bind();
    this.opener.hidden = false;
    track(this, "view");
  }

  TryOn.prototype.el = function (name) { return one(this.root, "[data-tryon-" + name + "]"); };

  TryOn.prototype.bind = function () {
    var self = this;
    var on = function (el, type, fn) { el.addEventListener(type, fn); };
    on(this.opener, "click", function () { self.open(); });
    on(this.el("close"), "click", function () { self.close(); });
    on(this.dialog, "cancel", function (e) { e.preventDefault(); self.close(); }); // Esc
    // A click that starts and ends on the backdrop (the dialog box itself) closes it.
    on(this.dialog, "pointerdown", function (e) { self.downOnBackdrop = e.target === self.dialog; });
    on(this.dialog, "click", function (e) {
      if (e.target === self.dialog && self.downOnBackdrop) self.close();
    });
    on(this.dialog, "keydown", function (e) { self.trapTab(e); });
    all(this.root, "[data-tryon-file]").forEach(function (input) {
      on(input, "change", function () { self.pick(input); });
    });
    on(this.form, "submit", function (e) { e.preventDefault(); self.submit(); });
    on(this.el("cancel"), "click", function () { self.cancel(true); });
    all(this.root, "[data-tryon-again]").forEach(function (b) { on(b, "click", function () { self.again(); }); });
    on(this.el("delete"), "click", function () { self.remove(); });
    on(this.el("download"), "click", function () { self.emit("download", { method: "download" }); });
    on(this.el("share"), "click", function () { self.share(); });
    this.bindLook();
    all(this.root, "[data-tryon-cart]").forEach(function (f) { on(f, "submit", function (e) { self.addToCart(e); }); });
    on(this.el("use"), "click", function () { self.reusing = true; self.submit(); });
    // Leaving the page with a job running: stop it (where the provider can).
    on(window, "pagehide", function () { self.cancel(false, true); });
  };

  TryOn.prototype.emit = function (name, extra, pageOnly) {
    var detail = { garment: this.config.garment, product: this.config.product };
    Object.keys(extra || {}).forEach(function (k) { detail[k] = extra[k]; });
    var forPage = Object.assign({ token: this.job ? this.job.token : null }, pageOnly, detail);
    var event = new CustomEvent("tryon:" + name, { bubbles: true, cancelable: true, detail: forPage });
    var go = this.root.dispatchEvent(event);
    var layer = window.dataLayer; // the token stays out of third-party analytics
    if (layer && typeof layer.push === "function") layer.push({ event: "tryon:" + name, tryon: detail });
    return go;
  };

  // The shop's own add-to-cart form under the result: an ordinary post to the shop, unless
  // a tryon:add_to_cart listener calls preventDefault() (a shop with a cart of its own).
  // A garment added by "Complete the look" has its own form, naming its own product.
  TryOn.prototype.addToCart = function (e) {
    var product = e.target.getAttribute("data-product") || this.config.product;
    track(this, "add_to_cart", product);
    send();
    if (!this.emit("add_to_cart", { product: product }, { job: this.job ? this.job.token : null, form: e.target })) e.preventDefault();
  };

  TryOn.prototype.show = function (step) {
    this.step = step;
    all(this.root, "[data-step]").forEach(function (el) { el.hidden = el.getAttribute("data-step") !== step; });
  };

  TryOn.prototype.focusables = function () {
    return all(this.dialog, FOCUSABLE).filter(function (el) {
      return !el.disabled && el.getClientRects().length > 0;
    });
  };

  TryOn.prototype.focusFirst = function () {
    var target = this.step === "choose"
      ? (this.visitPhoto && this.el("use")) || one(this.form, "[data-tryon-file]")
      : one(this.root, "[data-step='" + this.step + "'] [data-tryon-focus]") || this.el("status");
    if (target) target.focus();
  };

  // showModal() keeps the page inert; this keeps Tab cycling inside the dialog as well.
  TryOn.prototype.trapTab = function (e) {
    if (e.key !== "Tab") return;
    var items = this.focusables();
    if (!items.length) return;
    var first = items[0], last = items[items.length - 1], active = document.activeElement;
    if (e.shiftKey && (active === first || !this.dialog.contains(active))) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && (active === last || !this.dialog.contains(active))) { e.preventDefault(); first.focus(); }
  };

  TryOn.prototype.open = function () {
    if (this.dialog.open) return;
    this.returnFocus = document.activeElement;
    if (!this.step) this.show("choose");
    this.dialog.showModal();
    this.focusFirst();
    this.emit("open");
    track(this, "open");
    this.loadVisit();
  };

  TryOn.prototype.close = function () {
    if (this.job && !this.job.done) this.cancel(false);
    if (this.step === "progress" || this.step === "deleted") this.show("choose");
    this.dialog.close();
    var back = this.returnFocus && document.contains(this.returnFocus) ? this.returnFocus : this.opener;
    back.focus();
  };

  TryOn.prototype.message = function (name, text) {
    var el = this.el(name);
    el.textContent = text || "";
    el.hidden = !text;
  };

  TryOn.prototype.refuse = function (code, text, focus) {
    this.message("error", text);
    this.emit("error", { code: code });
    if (focus) focus.focus();
  };

  TryOn.prototype.setPreview = function (blob) {
    if (this.previewUrl) URL.revokeObjectURL(this.previewUrl);
    this.previewUrl = blob ? URL.createObjectURL(blob) : "";
    this.el("preview").src = this.previewUrl;
    this.el("thumb").src = this.previewUrl;
    this.el("preview-box").hidden = !blob;
  };

  TryOn.prototype.pick = async function (input) {
    var file = input.files && input.files[0];
    if (!file) return;
    var ticket = ++this.picking;
    this.message("error", "");
    this.photo = null;
    this.setPreview(null);
    this.el("choose-label").textContent = this.t.preparing;
    var prepared = await prepare(file, this.config.maxEdge, this.config.targetBytes);
    if (ticket !== this.picking) return; // another photo was chosen meanwhile
    if (!prepared && file.size > this.config.maxBytes) {
      this.el("choose-label").textContent = this.chooseText;
      this.refuse("file_too_large", fill(this.t.file_too_large, { size: Math.ceil(file.size / 1048576) }));
      input.value = "";
      return;
    }
    this.el("choose-label").textContent = this.t.choose_again;
    this.photo = prepared || file;
    this.setPreview(prepared);
  };
  TryOn.prototype.picking = 0;

  TryOn.prototype.csrf = function () {
    var input = one(this.root, "input[name='csrfmiddlewaretoken']");
    if (input && input.value) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  };

  TryOn.prototype.request = async function (url, options) {
    options = options || {};
    options.credentials = "same-origin";
    options.headers = Object.assign({ Accept: "application/json", "X-CSRFToken": this.csrf() }, options.headers);
    var response = await fetch(url, options);
    var data = {};
    if (response.status !== 204) data = await response.json().catch(function () { return {}; });
    return { ok: response.ok, status: response.status, data: data };
  };

  TryOn.prototype.setStatus = function (text) {
    var el = this.el("status");
    if (el.textContent !== text) el.textContent = text;
  };

  TryOn.prototype.startClock = function () {
    var self = this, started = Date.now(), el = this.el("elapsed");
    this.stopClock();
    var update = function () { el.textContent = fill(self.t.elapsed, { time: clock((Date.now() - started) / 1000) }); };
    update();
    this.clock = setInterval(update, 1000);
    this.startedAt = started;
  };
  TryOn.prototype.stopClock = function () {
    clearInterval(this.clock);
    clearTimeout(this.pollTimer);
  };

  TryOn.prototype.submit = async function () {
    this.message("error", "");
    var reusing = this.reusing && this.visitPhoto;
    this.reusing = false;
    if (reusing) this.el("thumb").src = this.visitPhoto.url;
    else if (!this.photo) return this.refuse("photo_required", this.t.photo_required, one(this.form, "[data-tryon-file]"));
    if (!this.consent.checked && !reusing) return this.refuse("consent_required", this.t.consent_required, this.consent);
    this.worn = [this.config.category];
    var generation = ++this.generation;
    this.show("progress");
    this.setStatus(this.t.uploading);
    this.startClock();
    this.el("status").focus();
    this.emit("submit", reusing ? { reused: true } : {});
    var body = new FormData();
    body.append("garment", this.config.garment);
    if (this.consent.checked || !reusing) body.append("consent", "1");
    body.append("consent_version", this.config.consentVersion);
    var prompt = this.el("prompt");
    if (prompt && prompt.value.trim()) body.append("prompt", prompt.value.trim());
    if (reusing) body.append("photo_token", this.visitPhoto.token);
    else body.append("photo", this.photo, "photo.jpg");
    var answer;
    holds++;
    try {
      await send();
      answer = await this.request(this.config.createUrl, { method: "POST", body: body });
    } catch (e) {
      if (generation === this.generation) this.failed({ code: "network", message: this.t.network });
      return;
    } finally {
      holds--;
    }
    if (generation !== this.generation) {
      // The shopper closed the dialog during the upload: stop the job that was made anyway.
      if (answer.ok) this.request(answer.data.cancel_url, { method: "POST", keepalive: true }).catch(function () {});
      return;
    }
    if (!answer.ok) return this.failed(answer.data.code ? answer.data : { code: "http_" + answer.status, message: this.t.generic });
    if (answer.data.photo) offerAll(answer.data.photo);
    this.update(answer.data);
  };

  TryOn.prototype.update = function (data) {
    data.done = data.poll_after === null;
    this.job = data;
    if (data.status === "succeeded") return this.succeeded(data);
    if (data.done) return this.failed(data.error || { code: data.status, message: this.t.generic });
    this.setStatus(this.t[data.stage] || this.t.generating);
    var self = this;
    this.pollTimer = setTimeout(function () { self.poll(0); }, data.poll_after);
  };

  TryOn.prototype.poll = async function (failures) {
    var self = this, generation = this.generation, answer;
    try {
      answer = await this.request(this.job.url);
    } catch (e) {
      // A hiccup in the connection: keep trying, more slowly.
      if (generation === this.generation) this.pollTimer = setTimeout(function () { self.poll(failures + 1); }, Math.min(8000, 1000 * (failures + 2)));
      return;
    }
    if (generation !== this.generation) return;
    if (!answer.ok) return this.failed(answer.data.code ? answer.data : { code: "http_" + answer.status, message: this.t.generic });
    this.update(answer.data);
  };

  TryOn.prototype.succeeded = function (data, restored) {
    this.stopClock();
    this.show("result");
    this.message("result-error", "");
    this.el("result").src = data.result_url;
    this.el("download").href = data.download_url;
    var canShare = false;
    try {
      canShare = !!(navigator.share && navigator.canShare &&
        navigator.canShare({ files: [new File([""], "try-on.jpg", { type: "image/jpeg" })] }));
    } catch (e) { canShare = false; }
    this.el("share").hidden = !canShare;
    this.showLooks();
    this.setStatus(this.t.succeeded);
    this.focusFirst();
    if (!restored) {
      this.emit("success", { seconds: Math.round((Date.now() - this.startedAt) / 1000) });
      track(this, "result");
    }
  };

  TryOn.prototype.failed = function (error) {
    this.stopClock();
    this.job = null;
    this.show("choose");
    this.setStatus("");
    if (error.code === "photo_gone") offerAll(null);
    var input = (this.visitPhoto && this.el("use")) || one(this.form, "[data-tryon-file]");
    this.refuse(error.code || "error", error.message || this.t.generic, input);
  };

  // Stop the running job: by the Cancel button (back to the form), on close, or on leaving.
  TryOn.prototype.cancel = function (byButton, leaving) {
    var job = this.job;
    if (!job || job.done) return;
    this.generation++;
    this.stopClock();
    this.job = null;
    if (leaving && navigator.sendBeacon) {
      var body = new FormData();
      body.append("csrfmiddlewaretoken", this.csrf());
      navigator.sendBeacon(job.cancel_url, body);
    } else {
      this.request(job.cancel_url, { method: "POST", keepalive: true }).catch(function () {});
    }
    if (byButton) {
      this.show("choose");
      this.message("error", this.t.canceled);
      one(this.form, "[data-tryon-submit]").focus();
    }
  };

  TryOn.prototype.again = function () {
    this.generation++;
    this.stopClock();
    this.job = null;
    this.worn = [this.config.category];
    this.photo = null;
    this.setPreview(null);
    this.el("choose-label").textContent = this.chooseText;
    this.el("result").removeAttribute("src");
    all(this.root, "[data-tryon-file]").forEach(function (input) { input.value = ""; });
    this.offer(this.visitPhoto || null);
    this.message("error", "");
    this.show("choose");
    this.focusFirst();
  };

  TryOn.prototype.remove = async function () {
    var job = this.job, button = this.el("delete"), label = button.textContent;
    if (!job) return;
    button.disabled = true;
    button.textContent = this.t.deleting;
    var answer;
    try { answer = await this.request(job.url, { method: "DELETE" }); } catch (e) { answer = { ok: false }; }
    button.disabled = false;
    button.textContent = label;
    if (!answer.ok && answer.status !== 404) {
      this.message("result-error", this.t.delete_failed);
      return;
    }
    this.job = null;
    this.photo = null;
    this.setPreview(null);
    this.el("choose-label").textContent = this.chooseText;
    all(this.root, "[data-tryon-file]").forEach(function (input) { input.value = ""; });
    this.el("result").removeAttribute("src");
    offerAll(null); // the visit's photo went with it, and every result made from it
    this.show("deleted");
    this.focusFirst();
    this.emit("delete");
  };

  TryOn.prototype.share = async function () {
    var job = this.job;
    if (!job) return;
    try {
      var response = await fetch(job.result_url, { credentials: "same-origin" });
      var blob = await response.blob();
      var file = new File([blob], "try-on.jpg", { type: blob.type || "image/jpeg" });
      await navigator.share({ files: [file], title: this.t.share_title });
      this.emit("download", { method: "share" });
    } catch (e) {
      if (e && e.name !== "AbortError") this.message("result-error", this.t.generic);
    }
  };

  // "Complete the look": another garment tried on with this result, as one new job.
  // worn: the categories on the picture and the garments added (their cart forms show).
  TryOn.prototype.bindLook = function () {
    var self = this;
    this.worn = [this.config.category];
    all(this.root, "[data-tryon-look-garment]").forEach(function (b) {
      b.addEventListener("click", function () { self.look(b); });
    });
  };
  TryOn.prototype.showLooks = function () {
    var box = this.el("look"), worn = this.worn, left = 0;
    if (!box) return;
    all(box, "[data-tryon-look-item]").forEach(function (li) {
      li.hidden = worn.indexOf(li.getAttribute("data-category")) >= 0;
      if (!li.hidden) left++;
    });
    all(this.root, "[data-tryon-look-cart]").forEach(function (f) { f.hidden = worn.indexOf(f.getAttribute("data-tryon-look-cart")) < 0; });
    box.hidden = !left;
  };
  TryOn.prototype.look = async function (button) {
    if (!this.job || !this.job.outfit_url) return;
    var generation = ++this.generation, body = new FormData(), answer;
    body.append("garment", button.getAttribute("data-tryon-look-garment"));
    this.show("progress");
    this.setStatus(this.t.look_generating);
    this.startClock();
    this.el("status").focus();
    this.emit("look", { added: body.get("garment") });
    try {
      answer = await this.request(this.job.outfit_url, { method: "POST", body: body });
    } catch (e) {
      if (generation === this.generation) this.failed({ code: "network", message: this.t.network });
      return;
    }
    if (generation !== this.generation) return;
    if (!answer.ok) return this.failed(answer.data.code ? answer.data : { code: "http_" + answer.status, message: this.t.generic });
    this.worn = this.worn.concat(button.parentNode.getAttribute("data-category"), body.get("garment"));
    this.update(answer.data);
  };

  // One photo for the visit: "Use my photo" once the session has one; a reload shows
  // this product's latest result again (without a new "success" event), outfit included.
  TryOn.prototype.offer = function (photo) {
    this.visitPhoto = photo;
    var use = this.el("use");
    use.hidden = !photo;
    if (photo) this.el("use-thumb").src = photo.thumbnail_url;
    else this.el("use-thumb").removeAttribute("src");
    if (!this.photo) this.el("choose-label").textContent = photo ? this.t.choose_again : this.chooseText;
  };
  function offerAll(photo) { instances.forEach(function (w) { w.offer(photo); }); }

  TryOn.prototype.loadVisit = async function () {
    var generation = this.generation, answer;
    var url = this.config.visitUrl + "?garment=" + encodeURIComponent(this.config.garment);
    try { answer = await this.request(url); } catch (e) { return; }
    if (!answer.ok || generation !== this.generation) return;
    var first = one(this.form, "[data-tryon-file]"), moved = document.activeElement !== first;
    this.offer(answer.data.photo);
    var result = answer.data.result;
    if (result && this.step === "choose" && !this.photo && !this.job && this.dialog.open) {
      result.done = true;
      this.job = result;
      // An outfit: what it wears, so each garment's cart form shows as it did live.
      this.worn = (result.outfit || []).reduce(function (w, g) { return w.concat(g.category, String(g.garment)); }, [this.config.category]);
      this.startedAt = Date.now();
      this.succeeded(result, true);
    } else if (!moved && this.step === "choose") this.focusFirst();
  };

  function init(scope) {
    if (typeof HTMLDialogElement !== "function") return; // too old a browser: no button at all
    all(scope || document, "[data-tryon-widget]").forEach(function (root) {
      if (!root.tryonWidget) instances.push(root.tryonWidget = new TryOn(root));
    });
  }

  window.DjangoTryOn = { init: init, instances: instances };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { init(); });
  else init();
})();
