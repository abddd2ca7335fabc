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
