// The service's API description, rendered by the Swagger UI this service ships
// (same origin, no CDN). The document's address is relative to this page, so
// the page works wherever the service is mounted.
"use strict";

window.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  const url = new URL(root.dataset.url, document.baseURI).href;
  window.ui = window.SwaggerUIBundle({
    url,
    domNode: root,
    // No links inside the operations' buttons (a link in a button is two controls in one).
    deepLinking: false,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // No call to the public validator service: same origin only.
    validatorUrl: null,
    // A staff token typed into "Authorize" is kept in this tab's memory only.
    persistAuthorization: false,
    defaultModelsExpandDepth: 0,
  });
});
