// The floor plan's zoom buttons: a bigger or smaller cell (the plan works without this file).
(function () {
  document.querySelectorAll("[data-plan]").forEach(function (plan) {
    if (plan.dataset.zoomReady) return;
    plan.dataset.zoomReady = "1";
    var level = 2; // plan--zoom-1 … plan--zoom-4; 2 is the default cell
    plan.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        plan.classList.remove("plan--zoom-" + level);
        level = Math.max(1, Math.min(4, level + Number(button.dataset.zoom)));
        plan.classList.add("plan--zoom-" + level);
      });
    });
  });
})();
