// The API reference page (/api/v1/docs): Swagger UI (static/vendor/swagger-ui/, the pinned
// swagger-ui-dist package) drawn from the OpenAPI document named by the page. Without script
// the page links the document itself.
(function () {
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") return;
  var fallback = document.getElementById("reference-fallback");
  if (fallback) fallback.hidden = true;
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    // Deep links put a link inside each operation's button (axe-core: nested-interactive).
    deepLinking: false,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // Nothing leaves the site: no remote validator badge.
    validatorUrl: null,
    defaultModelsExpandDepth: 0,
    docExpansion: "list",
    filter: true,
    persistAuthorization: false,
    tryItOutEnabled: false
  });
})();
