// Progressive enhancement only: every page works without this file.
(function () {
  document.documentElement.classList.add("js");
  // Sign-up: show "kind of buyer" only when "a buyer" is chosen.
  var form = document.querySelector("form[data-signup]");
  if (!form) return;
  var buyerField = form.querySelector(".buyer-only");
  function sync() {
    var chosen = form.querySelector("input[name=account_kind]:checked");
    if (buyerField) buyerField.hidden = !(chosen && chosen.value === "buyer");
  }
  form.addEventListener("change", sync);
  sync();
})();

// Certificate form: OCOP stars and product only for OCOP.
(function () {
  var form = document.querySelector("form[data-certificate]");
  if (!form) return;
  var kind = form.querySelector("select[name=kind]");
  function sync() {
    form.querySelectorAll(".ocop-only").forEach(function (el) {
      el.hidden = kind.value !== "ocop";
    });
  }
  kind.addEventListener("change", sync);
  sync();
})();

// Search: the filter drawer starts open on wide screens; suggestions while typing, as links
// under the box (the server matches without tone marks, which a datalist would undo).
(function () {
  var drawer = document.querySelector("details[data-drawer]");
  if (drawer && window.matchMedia("(min-width: 900px)").matches) drawer.open = true;
  var input = document.querySelector("input[data-suggest]");
  if (!input || !window.fetch) return;
  var list = document.getElementById(input.getAttribute("aria-controls"));
  var action = input.form.getAttribute("action");
  var timer = null;
  var last = "";
  function show(texts) {
    list.textContent = "";
    texts.forEach(function (text) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = action + "?q=" + encodeURIComponent(text);
      link.textContent = text;
      item.appendChild(link);
      list.appendChild(item);
    });
    list.hidden = texts.length === 0;
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var value = input.value;
      if (value.trim().length < 2) { show([]); last = ""; return; }
      if (value === last) return;
      last = value;
      fetch(input.dataset.suggest + "?q=" + encodeURIComponent(value), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { products: [], coops: [] }; })
        .then(function (data) {
          if (input.value === value) show(data.products.concat(data.coops).slice(0, 8));
        })
        .catch(function () {});
    }, 150);
  });
})();

// Pay page: copy buttons (account number, holder, amount, reference) and sharing the VietQR
// PNG to a bank app where the phone offers it. Without script the values stay selectable
// text and the PNG a download link.
(function () {
  function copied(button) {
    var label = button.textContent;
    button.textContent = button.dataset.copied || "✓";
    var status = document.getElementById("copy-status");
    if (status) status.textContent = button.dataset.copiedSay || "";
    setTimeout(function () { button.textContent = label; }, 2000);
  }
  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "absolute";
    area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* the value stays visible to copy */ }
    document.body.removeChild(area);
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = button.dataset.copy;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { copied(button); }, function () {
          fallback(text); copied(button);
        });
      } else {
        fallback(text); copied(button);
      }
    });
  });
  var share = document.querySelector("button[data-share-qr]");
  if (!share || !window.fetch || !navigator.canShare || !window.File) return;
  var url = share.dataset.shareQr;
  var name = share.dataset.fileName || "VietQR.png";
  try {
    if (!navigator.canShare({ files: [new File([""], name, { type: "image/png" })] })) return;
  } catch (e) { return; }
  share.hidden = false;
  share.addEventListener("click", function () {
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.blob(); }).then(function (blob) {
      return navigator.share({ files: [new File([blob], name, { type: "image/png" })], title: share.dataset.title || name });
    }).catch(function () { /* the person closed the share sheet */ });
  });
})();

// Error summary: focused on load (autofocus does it without script too); a link in it puts
// the cursor in its field and shows the field's label with it.
(function () {
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) return;
  if (document.activeElement === document.body || !document.activeElement) summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) return;
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    event.preventDefault();
    var box = target.closest(".field") || target;
    box.scrollIntoView();
    target.focus({ preventScroll: true });
  });
})();

// A conversation shown is a conversation read: its "mark as read" form is sent in the
// background (without script it stays a button).
(function () {
  var form = document.querySelector("form[data-mark-read]");
  if (!form || !window.fetch) return;
  fetch(form.action, {
    method: "POST",
    body: new FormData(form),
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  })
    .then(function (r) { if (r.ok) form.remove(); })
    .catch(function () {});
})();

// The header menu (a <details>): Escape closes it and gives focus back to its button; a tap
// outside closes it.
(function () {
  var menu = document.getElementById("menu");
  if (!menu) return;
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && menu.open) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
  document.addEventListener("click", function (event) {
    if (menu.open && !menu.contains(event.target)) menu.open = false;
  });
})();

// Request for quotes: the new delivery location's fields only when "a new address…" is
// chosen (without script they are always shown under the choice, and used when it is empty).
(function () {
  var box = document.querySelector("fieldset[data-new-location]");
  var select = box && document.getElementById(box.getAttribute("data-new-location"));
  if (!select) return;
  var refused = !!box.querySelector("[aria-invalid]");
  function typed() {
    return Array.prototype.some.call(box.querySelectorAll("input"), function (input) {
      return input.value.trim() !== "";
    });
  }
  function sync() {
    box.hidden = !(select.value === "new" || (select.value === "" && (typed() || refused)));
  }
  select.addEventListener("change", function () { refused = false; sync(); });
  sync();
})();
