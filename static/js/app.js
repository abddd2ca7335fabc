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
