/* The platform fee's rate for the category chosen in a select (templates/payments/_fee.html):
   the note's data-fee-rates maps category ids to the rate's text. */
(function () {
  document.querySelectorAll("[data-fee-for]").forEach(function (note) {
    var select = document.getElementById(note.getAttribute("data-fee-for"));
    var shown = note.querySelector("[data-fee-rate]");
    var hint = note.querySelector("[data-fee-hint]");
    if (!select || !shown) return;
    var rates = {};
    try { rates = JSON.parse(note.getAttribute("data-fee-rates") || "{}"); } catch (e) { return; }
    function sync() {
      var rate = rates[select.value];
      shown.textContent = rate || note.getAttribute("data-fee-default");
      if (hint) hint.hidden = Boolean(rate);
    }
    select.addEventListener("change", sync);
    sync();
  });
})();
